//! One function per subcommand. The only place that joins input, engine and report, and that writes
//! to stdout and stderr.

use std::{
    io::{self, BufWriter, IsTerminal, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use colored::Colorize;
use rayon::prelude::*;

use crate::{
    cli::{Cli, Command, DiagnoseArgs, Format, ListFormat, RulesCommand, Threshold},
    engine::{self, evaluate::EvalOptions, selftest, Matcher, SourceScan, SourceScanner},
    facts::{self, Facts},
    input::{
        self,
        host::{self, HostOptions},
        logs, Source,
    },
    redact::{secrets_from_config, Redactor},
    report::markdown::{self, Environment, MarkdownOptions},
    report::{self, text::TextOptions, InputProblem, Report, Stats},
    rules::{sources, Problem, RuleSet, RuleSource, Severity},
    suggest,
};

mod progress;
mod ticket;

use progress::Progress;

/// Exit status: nothing at or above --fail-on.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: findings that a known rule explains.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: bad arguments, rules that do not load, or unreadable input.
pub const EXIT_TROUBLE: u8 = 2;
/// Exit status: the run failed and no specific rule explains it.
pub const EXIT_UNEXPLAINED: u8 = 3;

/// Runs the command; returns the exit status.
pub fn run(cli: Cli) -> Result<u8> {
    cli.apply_color();
    match &cli.command {
        Command::Diagnose(args) => diagnose(&cli, args),
        Command::Explain { id } => explain(&cli, id),
        Command::Rules(RulesCommand::List { area, format }) => rules_list(&cli, area.as_deref(), *format),
        Command::Rules(RulesCommand::Search { text }) => rules_search(&cli, &text.join(" ")),
        Command::Rules(RulesCommand::Check { dir }) => rules_check(&cli, dir.as_deref()),
        Command::Rules(RulesCommand::Patterns) => rules_patterns(&cli),
        Command::Rules(RulesCommand::Facts) => rules_facts(),
        Command::Facts { format, devstack_dir } => host_facts(*format, devstack_dir.as_deref()),
        Command::Collect(args) => ticket::collect(&cli, args),
        Command::Run { report, command } => ticket::run(&cli, report.as_deref(), command),
        Command::Hook(command) => ticket::hook(command),
    }
}

fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::new(io::stdout().lock())
}

fn warn(message: impl std::fmt::Display) {
    let mut err = io::stderr().lock();
    // Nothing sensible can be done if stderr is gone.
    let _ = writeln!(err, "devstack-doctor: {message}");
}

/// Loads the built-in rules and `--rules` directories. Problems are printed; the rules that loaded
/// are returned with whether any problem occurred.
fn load_rules(cli: &Cli) -> (RuleSet, bool) {
    let (all, mut problems) = gather_sources(cli);
    let (set, mut load_problems) = RuleSet::load(&all);
    problems.append(&mut load_problems);
    for problem in &problems {
        warn(problem);
    }
    (set, !problems.is_empty())
}

/// The rule files to load: the built-in ones (unless `--no-builtin-rules`) and those of every
/// `--rules` directory. A user's rule replaces the built-in rule with the same file name (id).
fn gather_sources(cli: &Cli) -> (Vec<RuleSource>, Vec<Problem>) {
    let mut user: Vec<RuleSource> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    for dir in &cli.rule_dirs {
        let (found, mut trouble) = sources::from_dir(dir);
        user.extend(found);
        problems.append(&mut trouble);
    }
    let stems: Vec<String> = user.iter().map(|s| stem(&s.path)).collect();
    let mut all: Vec<RuleSource> = if cli.no_builtin_rules {
        Vec::new()
    } else {
        sources::embedded().into_iter().filter(|s| !stems.contains(&stem(&s.path))).collect()
    };
    all.extend(user);
    (all, problems)
}

fn stem(path: &str) -> String {
    Path::new(path).file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn diagnose(cli: &Cli, args: &DiagnoseArgs) -> Result<u8> {
    let (rules, rule_trouble) = load_rules(cli);
    let redactor = if args.no_redact {
        Redactor::disabled()
    } else {
        redactor_for(args.devstack_dir.as_deref(), &args.paths)
    };
    let live = args.paths.is_empty() && !args.no_logs;
    let found = if args.no_logs {
        input::Discovery::default()
    } else if live {
        live_discovery(args.devstack_dir.as_deref())
    } else {
        input::discover(&args.paths)
    };
    let matcher = Matcher::new(&rules).context("compiling the rules")?.with_redactor(redactor);
    let facts = diagnosis_facts(&found, live || args.host || args.no_logs, args.devstack_dir.as_deref());
    // A progress bar only for people at a terminal reading text.
    let progress = args.format == Format::Text && !args.quiet && std::io::stderr().is_terminal();
    let options = ScanOptions { threads: args.threads, include_info: args.all, progress };
    let mut report = build_report(&matcher, &found.sources, found.problems, &facts, options)?;
    report.redacted = !args.no_redact;
    for problem in report.errors.iter().chain(&report.warnings) {
        warn(format_args!("{}: {}", problem.path, problem.message));
    }
    let mut out = stdout();
    match args.format {
        Format::Text => report::text::render(&report, TextOptions { quiet: args.quiet }, &mut out)?,
        Format::Json => report::json::render(&report, &mut out)?,
        Format::Markdown => {
            let options = MarkdownOptions { redacted: report.redacted, ..MarkdownOptions::default() };
            markdown::render(&report, &environment(&facts, rules.rules.len()), options, &mut out)?;
        }
    }
    out.flush()?;

    if rule_trouble || !report.errors.is_empty() {
        return Ok(EXIT_TROUBLE);
    }
    Ok(exit_status(&report, rules_by_id(&rules), args.fail_on))
}

/// Config files that hold DevStack's secrets.
const SECRET_FILES: &[&str] =
    &["local.conf", "localrc", ".localrc.auto", ".localrc.password", ".stackenv", "openrc"];

/// A redactor seeded with the secrets of the DevStack checkout (as live mode finds it) and of any
/// config file among, or directly inside, the given paths (a bundle never holds them, but a
/// directory a user points at may).
pub fn redactor_for(devstack_dir: Option<&Path>, paths: &[String]) -> Redactor {
    let mut files: Vec<PathBuf> = Vec::new();
    for checkout in devstack_checkouts(devstack_dir) {
        files.extend(SECRET_FILES.iter().map(|name| checkout.join(name)));
    }
    for given in paths {
        let path = Path::new(given);
        if path.is_dir() {
            for dir in [path.to_path_buf(), path.join("devstack")] {
                files.extend(SECRET_FILES.iter().map(|name| dir.join(name)));
            }
        } else if path.file_name().is_some_and(|n| SECRET_FILES.iter().any(|s| n == *s)) {
            files.push(path.to_path_buf());
        }
    }
    let mut seeds = Vec::new();
    for file in files {
        if let Ok(text) = std::fs::read_to_string(&file) {
            seeds.extend(secrets_from_config(&text));
        }
    }
    Redactor::new(seeds)
}

/// The environment table of a Markdown report, from what the facts know.
pub fn environment(facts: &Facts, rule_count: usize) -> Environment {
    let get = |key: &str| facts.get(key).map(facts::FactValue::display).filter(|v| !v.is_empty());
    let int = |key: &str| match facts.get(key) {
        Some(facts::FactValue::Int(n)) => Some(*n),
        _ => None,
    };
    let gib = |mib: i64| format!("{:.1} GiB", mib as f64 / 1024.0);
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(os) = get("os.pretty_name") {
        let support = match facts.get("os.supported") {
            Some(facts::FactValue::Bool(true)) => " (supported by DevStack)",
            Some(facts::FactValue::Bool(false)) => " (not in DevStack's supported list)",
            _ => "",
        };
        rows.push(("OS".into(), format!("{os}{support}")));
    }
    if let Some(kernel) = get("os.kernel") {
        rows.push((
            "Kernel".into(),
            format!("{kernel} {}", get("os.arch").unwrap_or_default()).trim().to_string(),
        ));
    }
    if let Some(branch) = get("devstack.branch").or_else(|| get("devstack.commit")) {
        let commit =
            get("devstack.commit").map(|c| format!(" @ {}", &c[..c.len().min(8)])).unwrap_or_default();
        rows.push(("DevStack".into(), format!("{branch}{commit}")));
    }
    if let Some(services) = get("devstack.enabled_services") {
        rows.push(("Enabled services".into(), services));
    }
    if let Some(total) = int("mem.total_mib") {
        let available =
            int("mem.available_mib").map(|a| format!(" ({} available)", gib(a))).unwrap_or_default();
        rows.push(("Memory".into(), format!("{}{available}", gib(total))));
    }
    for (label, prefix) in [("Disk /", "disk.root"), ("Disk DEST", "disk.dest")] {
        if let Some(free) = int(&format!("{prefix}.free_mib")) {
            let used =
                int(&format!("{prefix}.used_pct")).map(|p| format!(" ({p}% used)")).unwrap_or_default();
            rows.push((label.into(), format!("{} free{used}", gib(free))));
        }
    }
    if let Some(python) = get("python.version") {
        let pip = get("python.pip_version").map(|p| format!(", pip {p}")).unwrap_or_default();
        rows.push(("Python".into(), format!("{python}{pip}")));
    }
    rows.push(("devstack-doctor".into(), format!("{}, {rule_count} rules", env!("CARGO_PKG_VERSION"))));
    Environment { rows }
}

/// How to scan.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOptions {
    /// Files scanned in parallel; 0 for one per core.
    pub threads: usize,
    /// Keep info-level findings.
    pub include_info: bool,
    /// Show a progress bar on stderr if the scan takes a while (more than a second).
    pub progress: bool,
}

/// Bytes the sources hold on disk (standard input counts nothing).
fn bytes_on_disk(sources: &[Source]) -> u64 {
    sources
        .iter()
        .map(|s| match &s.origin {
            input::Origin::File(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
            input::Origin::Stdin => 0,
        })
        .sum()
}

/// Scans `sources`, evaluates the rules with `host_facts`, and returns the report. Problems found
/// before the scan (`errors`) are carried into it; per-file problems are added.
pub fn build_report(
    matcher: &Matcher<'_>,
    sources: &[Source],
    mut errors: Vec<InputProblem>,
    host_facts: &Facts,
    options: ScanOptions,
) -> Result<Report> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .context("starting the scan threads")?;
    let progress = Progress::new(sources.len(), bytes_on_disk(sources), options.progress);
    let results: Vec<(SourceScan, logs::ReadOutcome)> = pool.install(|| {
        sources
            .par_iter()
            .map(|source| {
                let result = scan_source(matcher, source, &progress);
                progress.file_done();
                result
            })
            .collect()
    });
    progress.finish();

    let mut warnings = Vec::new();
    let mut scans = Vec::new();
    let mut stats = Stats { rules: matcher.rules.rules.len() as u64, ..Stats::default() };
    for (scan, outcome) in results {
        if let Some(reason) = &outcome.skipped {
            errors.push(InputProblem::new(&scan.path, reason.clone()));
            continue;
        }
        if let Some(reason) = &outcome.error {
            errors.push(InputProblem::new(&scan.path, reason.clone()));
        }
        if outcome.invalid_utf8 {
            warnings.push(InputProblem::new(
                &scan.path,
                "contains bytes that are not valid UTF-8; they are shown as \u{fffd}",
            ));
        }
        if outcome.long_lines > 0 {
            warnings.push(InputProblem::new(
                &scan.path,
                format!("{} line(s) longer than {} MiB were cut", outcome.long_lines, logs::MAX_LINE >> 20),
            ));
        }
        stats.files += 1;
        stats.bytes += outcome.bytes;
        stats.lines += scan.lines;
        scans.push(scan);
    }
    let evaluation =
        engine::evaluate(matcher, &scans, host_facts, EvalOptions { include_info: options.include_info });
    Ok(Report {
        schema_version: report::SCHEMA_VERSION,
        tool: report::Tool::default(),
        redacted: matcher.redactor.is_enabled(),
        run: evaluation.run,
        findings: evaluation.findings,
        errors,
        warnings,
        stats,
    })
}

/// The exit status for a report: see [`EXIT_FINDINGS`] and [`EXIT_UNEXPLAINED`].
pub fn exit_status(report: &Report, is_fallback: impl Fn(&str) -> bool, fail_on: Threshold) -> u8 {
    let threshold = match fail_on {
        Threshold::Info => Severity::Info,
        Threshold::Warning => Severity::Warning,
        Threshold::Error => Severity::Error,
    };
    let relevant: Vec<_> = report.at_least(threshold).collect();
    if relevant.is_empty() {
        EXIT_CLEAN
    } else if relevant.iter().all(|f| is_fallback(&f.rule_id)) {
        EXIT_UNEXPLAINED
    } else {
        EXIT_FINDINGS
    }
}

fn rules_by_id(rules: &RuleSet) -> impl Fn(&str) -> bool + '_ {
    move |id| rules.get(id).is_some_and(|r| r.fallback)
}

fn scan_source(
    matcher: &Matcher<'_>,
    source: &Source,
    progress: &Progress,
) -> (SourceScan, logs::ReadOutcome) {
    let mut scanner =
        SourceScanner::new(matcher, source.file_name(), &source.display, source.explicit, source.role);
    let outcome = logs::read_chunks(source, &mut |chunk| {
        progress.read(chunk.len());
        scanner.chunk(chunk);
    });
    (scanner.finish(), outcome)
}

/// The facts a diagnosis uses: a bundle's own (never the diagnosing machine's); else the live
/// host's in live mode or with `--host`; else none.
fn diagnosis_facts(found: &input::Discovery, host: bool, devstack_dir: Option<&Path>) -> Facts {
    if let Some(bundle) = found.bundles.first() {
        if found.bundles.len() > 1 {
            warn(format_args!("several bundles given; using the facts of {}", bundle.display));
        }
        if host {
            warn("--host ignored: a bundle's facts describe the host its logs came from");
        }
        return bundle.facts.facts.clone();
    }
    if host {
        let options =
            HostOptions { devstack_dir: devstack_dir.map(Path::to_path_buf), ..HostOptions::default() };
        return host::collect(&options).facts;
    }
    Facts::new()
}

/// Where DevStack writes its logs: LOGFILE's directory and LOGDIR from `.stackenv` and `local.conf` of
/// the checkout, then `/opt/stack/logs`; only those that exist.
fn log_places(devstack_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut places: Vec<PathBuf> = Vec::new();
    for checkout in devstack_checkouts(devstack_dir) {
        for file in [".stackenv", "local.conf"] {
            if let Ok(text) = std::fs::read_to_string(checkout.join(file)) {
                for (key, value) in simple_assignments(&text) {
                    match key.as_str() {
                        "LOGFILE" => places.extend(Path::new(&value).parent().map(Path::to_path_buf)),
                        "LOGDIR" => places.push(PathBuf::from(value)),
                        _ => {}
                    }
                }
            }
        }
    }
    places.push(PathBuf::from("/opt/stack/logs"));
    let mut seen = Vec::new();
    for place in places {
        if place.is_dir() && !seen.contains(&place) {
            seen.push(place);
        }
    }
    seen
}

/// Live mode: the logs where DevStack writes them.
fn live_discovery(devstack_dir: Option<&Path>) -> input::Discovery {
    let places = log_places(devstack_dir);
    if places.is_empty() {
        return input::Discovery {
            problems: vec![InputProblem::new(
                "/opt/stack/logs",
                "no DevStack logs found; pass a log file or directory (DevStack keeps a log file only when LOGFILE is set in local.conf)",
            )],
            ..input::Discovery::default()
        };
    }
    let paths: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
    input::discover(&paths)
}

fn devstack_checkouts(given: Option<&Path>) -> Vec<PathBuf> {
    if let Some(dir) = given {
        return vec![dir.to_path_buf()];
    }
    let mut out = vec![PathBuf::from(".")];
    if let Some(home) = std::env::var_os("HOME") {
        out.push(Path::new(&home).join("devstack"));
    }
    out.push(PathBuf::from("/opt/stack/devstack"));
    out.into_iter().filter(|p| p.join("stack.sh").is_file()).collect()
}

/// `KEY=value` lines of a shell-like file (local.conf's localrc section, .stackenv), unquoted.
fn simple_assignments(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let (key, value) = line.split_once('=')?;
            if key.is_empty()
                || !key.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                return None;
            }
            Some((key.to_string(), value.trim().trim_matches('"').trim_matches('\'').to_string()))
        })
        .collect()
}

fn explain(cli: &Cli, id: &str) -> Result<u8> {
    let (rules, trouble) = load_rules(cli);
    let Some(rule) = rules.get(id) else {
        let close = suggest::closest(id, rules.ids(), 3);
        let hint = if close.is_empty() {
            "; `devstack-doctor rules search TEXT` finds rules by message".to_string()
        } else {
            format!("; did you mean {}?", close.join(", "))
        };
        warn(format_args!("no rule `{id}`{hint}"));
        return Ok(EXIT_TROUBLE);
    };
    let mut out = stdout();
    crate::report::explain::render(rule, &mut out)?;
    out.flush()?;
    Ok(if trouble { EXIT_TROUBLE } else { EXIT_CLEAN })
}

fn rules_list(cli: &Cli, area: Option<&str>, format: ListFormat) -> Result<u8> {
    let (rules, trouble) = load_rules(cli);
    if let Some(area) = area {
        if !crate::rules::AREAS.contains(&area) {
            let close = suggest::closest(area, crate::rules::AREAS.iter().copied(), 3);
            warn(format_args!(
                "unknown area `{area}`; areas are: {}",
                if close.is_empty() { crate::rules::AREAS.join(", ") } else { close.join(", ") }
            ));
            return Ok(EXIT_TROUBLE);
        }
    }
    let selected: Vec<_> = rules.rules.iter().filter(|r| area.is_none_or(|a| r.area == a)).collect();
    let mut out = stdout();
    crate::report::listing::render(&selected, format == ListFormat::Json, &mut out)?;
    out.flush()?;
    Ok(if trouble { EXIT_TROUBLE } else { EXIT_CLEAN })
}

fn rules_search(cli: &Cli, text: &str) -> Result<u8> {
    let (rules, trouble) = load_rules(cli);
    if text.trim().is_empty() {
        warn("rules search needs some text, for example: devstack-doctor rules search \"Cannot uninstall\"");
        return Ok(EXIT_TROUBLE);
    }
    let hits = crate::engine::search::search(&rules, text);
    let mut out = stdout();
    if hits.is_empty() {
        writeln!(out, "no rule matches {text:?}")?;
    }
    let found: Vec<_> = hits.iter().map(|h| h.rule).collect();
    crate::report::listing::render(&found, false, &mut out)?;
    out.flush()?;
    Ok(if trouble {
        EXIT_TROUBLE
    } else if hits.is_empty() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn rules_check(cli: &Cli, dir: Option<&Path>) -> Result<u8> {
    let (set, problems) = match dir {
        None => {
            // Checking validates everything, the built-in rules included.
            let (mut all, mut problems) = gather_sources(cli);
            for source in &mut all {
                source.trusted = false;
            }
            let (set, mut more) = RuleSet::load(&all);
            problems.append(&mut more);
            (set, problems)
        }
        Some(dir) => check_dir(cli, dir),
    };
    let own: Vec<String> = match dir {
        Some(dir) => sources::from_dir(dir).0.into_iter().map(|s| s.path).collect(),
        None => set.rules.iter().map(|r| r.path.clone()).collect(),
    };
    let matcher = Matcher::new(&set).context("compiling the rules")?;
    let mut problems = problems;
    problems.extend(selftest::run_all(&matcher).into_iter().filter(|p| own.contains(&p.path)));
    problems.sort();
    let mut out = stdout();
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    // Not a problem, but every scan pays for it.
    for flat in &matcher.prefilter.always {
        let at = matcher.sigs[*flat];
        let path = &set.rules[at.rule].path;
        if own.contains(path) {
            writeln!(
                out,
                "{path}: note: signature {} has no fixed text of 4 or more characters, so it is checked on \
                 every line of every log",
                at.sig + 1
            )?;
        }
    }
    let checked = set.rules.iter().filter(|r| own.contains(&r.path)).count();
    let tests: usize = set.rules.iter().filter(|r| own.contains(&r.path)).map(|r| r.tests.len()).sum();
    writeln!(
        out,
        "{} rules and {} tests checked, {} problem{}",
        checked,
        tests,
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )?;
    out.flush()?;
    Ok(if problems.is_empty() { EXIT_CLEAN } else { EXIT_TROUBLE })
}

/// Loads `dir` for checking, with the built-in rules it does not replace as context for `explains`.
/// Only problems in `dir` are returned.
fn check_dir(cli: &Cli, dir: &Path) -> (RuleSet, Vec<Problem>) {
    let (own, mut problems) = sources::from_dir(dir);
    let stems: Vec<String> = own.iter().map(|s| stem(&s.path)).collect();
    let mut all = own.clone();
    if !cli.no_builtin_rules {
        all.extend(sources::embedded().into_iter().filter(|s| !stems.contains(&stem(&s.path))));
    }
    let (set, more) = RuleSet::load(&all);
    let own_paths: Vec<&str> = own.iter().map(|s| s.path.as_str()).collect();
    problems.extend(more.into_iter().filter(|p| own_paths.contains(&p.path.as_str())));
    (set, problems)
}

fn rules_patterns(cli: &Cli) -> Result<u8> {
    let (rules, trouble) = load_rules(cli);
    let mut out = stdout();
    for rule in &rules.rules {
        for sig in &rule.signatures {
            writeln!(out, "{}", one_line_pattern(sig.regex.as_str()))?;
        }
    }
    out.flush()?;
    Ok(if trouble { EXIT_TROUBLE } else { EXIT_CLEAN })
}

/// A pattern on one line for `rg -f`: verbose `(?x)` patterns are reprinted from their syntax tree,
/// which has neither comments nor line breaks, and group names are dropped because `rg -f` joins all
/// patterns into one regex, where the same name may not appear twice.
fn one_line_pattern(pattern: &str) -> String {
    let printed = if pattern.contains(['\n', '#']) {
        match regex_syntax::ast::parse::Parser::new().parse(pattern) {
            Ok(ast) => {
                let mut out = String::new();
                let _ = regex_syntax::ast::print::Printer::new().print(&ast, &mut out);
                out
            }
            Err(_) => pattern.replace('\n', " "),
        }
    } else {
        pattern.to_string()
    };
    unname_groups(&printed)
}

/// `(?P<name>` and `(?<name>` become `(?:`.
fn unname_groups(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(at) = rest.find("(?") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let escaped = before.ends_with('\\') && !before.ends_with("\\\\");
        let name_start = if after.starts_with("(?P<") {
            Some(4)
        } else if after.starts_with("(?<") && !after.starts_with("(?<=") && !after.starts_with("(?<!") {
            Some(3)
        } else {
            None
        };
        match (escaped, name_start, after.find('>')) {
            (false, Some(_), Some(close)) => {
                out.push_str("(?:");
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str("(?");
                rest = &after[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn host_facts(format: ListFormat, devstack_dir: Option<&Path>) -> Result<u8> {
    let started = std::time::Instant::now();
    let options = HostOptions { devstack_dir: devstack_dir.map(Path::to_path_buf), ..HostOptions::default() };
    let collected = host::collect(&options);
    let took = started.elapsed();
    let mut out = stdout();
    match format {
        ListFormat::Json => {
            let doc = input::bundle::FactsFile { facts: collected.facts, unknown: collected.unknown };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let width = facts::CATALOGUE.iter().map(|d| d.key.len()).max().unwrap_or(0);
            for def in facts::CATALOGUE {
                if let Some(value) = collected.facts.get(def.key) {
                    writeln!(out, "{:<width$}  {}", def.key, value.display())?;
                } else if let Some(why) = collected.unknown.get(def.key) {
                    writeln!(out, "{:<width$}  {}", def.key, format!("unknown ({why})").dimmed())?;
                }
            }
            writeln!(out, "{}", format!("collected in {} ms", took.as_millis()).dimmed())?;
        }
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}

fn rules_facts() -> Result<u8> {
    let mut out = stdout();
    for def in facts::CATALOGUE {
        writeln!(out, "{:<30} {:<5} {}", def.key, format!("{:?}", def.kind).to_lowercase(), def.doc)?;
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}
