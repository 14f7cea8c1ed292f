//! The command line: clap definitions, and the one place where colour is decided (`--color`,
//! `NO_COLOR`, whether stdout is a terminal).

use std::{io::IsTerminal, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tells you why DevStack's ./stack.sh failed and how to fix it.
///
/// Reads stack.sh logs (files, directories, .gz, or stdin), matches them against a knowledge base of
/// known DevStack failures, and prints the root cause first with its fix and references.
#[derive(Debug, Parser)]
#[command(name = "devstack-doctor", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// When to use colour: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Also load rules from this directory (repeatable).
    #[arg(long = "rules", value_name = "DIR", global = true)]
    pub rule_dirs: Vec<PathBuf>,

    /// Do not load the built-in rules.
    #[arg(long, global = true)]
    pub no_builtin_rules: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Output formats of `diagnose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people at a terminal.
    Text,
    /// One JSON document (schema_version 1), for scripts.
    Json,
    /// A report to paste into a ticket, bug or review.
    Markdown,
}

/// Output formats of listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One line each.
    Text,
    /// A JSON array.
    Json,
}

/// Severity threshold names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Threshold {
    /// Any finding.
    Info,
    /// Warnings and worse.
    Warning,
    /// Errors and worse.
    Error,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a stack.sh run from its logs.
    ///
    /// Each PATH is a log file, a directory of logs (stack.sh.log*, *.summary, error.log,
    /// worlddump-*.txt, service logs and journal exports are picked up), a .gz file, or - for
    /// standard input. With no PATH, looks where DevStack writes its logs (LOGFILE/LOGDIR from
    /// local.conf or .stackenv in ./, ~/devstack or /opt/stack/devstack; else /opt/stack/logs).
    ///
    /// Exit status: 0 nothing at or above --fail-on; 1 findings that a known rule explains; 3 the run
    /// failed and no specific rule explains it; 2 bad arguments, rules that do not load, or an input
    /// that could not be read.
    Diagnose(DiagnoseArgs),
    /// Show a knowledge-base entry in full: what happens, why, the fix and references.
    Explain {
        /// The rule id (see `rules list`).
        id: String,
    },
    /// Browse and check the knowledge base.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write a redacted, size-capped bundle of logs and host facts for a support ticket.
    ///
    /// The bundle holds bundle.toml, facts.json, report.md, report.json and logs/ (the last run's
    /// stack.sh log and summary, error.log, the latest world dump and the journal of failed
    /// devstack@ units). `devstack-doctor diagnose FILE.tar.gz` reads it back on any machine.
    Collect(CollectArgs),
    /// Run stack.sh with its output untouched; if it fails, print the diagnosis and write a report.
    ///
    /// The exit status is stack.sh's own. Ctrl-C goes to stack.sh.
    Run {
        /// Where to write the Markdown report (default: devstack-doctor-report.md beside the log).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// The command, e.g. `-- ./stack.sh`.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// Install or remove the post-install check in DevStack's local.sh.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Show the facts of this host that rules can test (read-only; needs no root).
    Facts {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// The DevStack checkout (default: ./, ~/devstack or /opt/stack/devstack).
        #[arg(long, value_name = "DIR")]
        devstack_dir: Option<PathBuf>,
    },
}

/// Options of `diagnose`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Log files, directories, .gz files, or - for stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Print only the findings (text format).
    #[arg(long, short)]
    pub quiet: bool,

    /// Also show info-level findings.
    #[arg(long)]
    pub all: bool,

    /// Lowest severity that makes the exit status non-zero.
    #[arg(long, value_enum, default_value_t = Threshold::Warning)]
    pub fail_on: Threshold,

    /// Files scanned in parallel (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Also use the live host's facts (always on in live mode; never with a bundle, whose own facts
    /// describe the host its logs came from).
    #[arg(long)]
    pub host: bool,

    /// The DevStack checkout (default: ./, ~/devstack or /opt/stack/devstack).
    #[arg(long, value_name = "DIR")]
    pub devstack_dir: Option<PathBuf>,

    /// Do not redact secrets (for local use only: the output may then hold passwords and tokens).
    #[arg(long)]
    pub no_redact: bool,

    /// Read no logs at all: only the host's facts (the state rules), as the post-install hook does.
    #[arg(long, conflicts_with = "paths")]
    pub no_logs: bool,
}

/// Options of `collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The bundle to write (a .tar.gz, created with mode 0600).
    #[arg(short, long, value_name = "FILE.tar.gz", required_unless_present = "dry_run")]
    pub output: Option<PathBuf>,

    /// List what would go in, with sizes and redaction counts, and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Keep at most the last N MiB of each log.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub max_file_mib: u64,

    /// Keep the logs of the bundle under N MiB in all.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_total_mib: u64,

    /// The DevStack checkout (default: ./, ~/devstack or /opt/stack/devstack).
    #[arg(long, value_name = "DIR")]
    pub devstack_dir: Option<PathBuf>,

    /// The log directory (default: LOGFILE/LOGDIR from local.conf or .stackenv, else /opt/stack/logs).
    #[arg(long, value_name = "DIR")]
    pub logdir: Option<PathBuf>,
}

/// `hook` subcommands.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Add a check to DevStack's local.sh, which stack.sh runs after a successful run: it prints
    /// warnings about the host (a failed unit, low disk, no KVM) and never fails the run.
    Install {
        /// The DevStack checkout (default: ./, ~/devstack or /opt/stack/devstack).
        dir: Option<PathBuf>,
    },
    /// Remove exactly the block `hook install` added.
    Uninstall {
        /// The DevStack checkout (default: ./, ~/devstack or /opt/stack/devstack).
        dir: Option<PathBuf>,
    },
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// One line per rule: id, severity, area, title.
    List {
        /// Only rules of this area.
        #[arg(long)]
        area: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Find rules by id, title, summary or the messages they match; paste an error message here.
    Search {
        /// Words or a whole log line.
        text: Vec<String>,
    },
    /// Validate rule files and run their embedded tests; every problem as path:line:col: message.
    Check {
        /// A directory of rules (default: the rules loaded, built-in and --rules).
        dir: Option<PathBuf>,
    },
    /// Print every signature regex, one per line, in a form `rg -f` accepts.
    Patterns,
    /// List the fact catalogue: the facts rules may test, with types.
    Facts,
}

impl Cli {
    /// Parses the process arguments (exits with clap's message on bad arguments).
    pub fn parse_args() -> Cli {
        Cli::parse()
    }

    /// Decides whether to colour stdout, once, and tells the `colored` crate.
    pub fn apply_color(&self) {
        let on = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
            }
        };
        colored::control::set_override(on);
    }
}
