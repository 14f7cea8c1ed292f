//! The subcommands that work around a run rather than on a log given by hand: `collect` (a bundle for
//! a support ticket), `run` (stack.sh under devstack-doctor) and `hook` (the post-install check in
//! local.sh). They join input, the engine, redaction and the renderers like `diagnose` does.

use std::{
    ffi::OsString,
    io::Write,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{anyhow, bail, Context, Result};

use super::{
    build_report, devstack_checkouts, environment, load_rules, log_places, redactor_for, stdout, warn,
    ScanOptions, EXIT_CLEAN, EXIT_TROUBLE,
};
use crate::{
    cli::{Cli, CollectArgs, HookCommand},
    collect::{self, Limits},
    engine::Matcher,
    facts::FactValue,
    hook::{self, HookChange},
    input::{
        self,
        bundle::{self, FactsFile, FileEntry, Manifest},
        host::{self, HostOptions},
    },
    report::{self, markdown, text::TextOptions, Report},
    wrapper,
};

/// How long one `journalctl` may take while collecting.
const JOURNAL_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn collect(cli: &Cli, args: &CollectArgs) -> Result<u8> {
    let (rules, rule_trouble) = load_rules(cli);
    let devstack_dir = args.devstack_dir.as_deref();
    let redactor = redactor_for(devstack_dir, &[]);
    let logdir = args.logdir.clone().or_else(|| log_places(devstack_dir).into_iter().next());
    let logs = logdir.as_deref().map(collect::run_logs).unwrap_or_default();
    if logs.is_empty() {
        warn(format_args!(
            "no DevStack logs found in {}; the bundle holds the host facts only (set LOGFILE in local.conf, or use --logdir)",
            logdir.as_deref().map_or_else(|| "/opt/stack/logs".to_string(), |d| d.display().to_string())
        ));
    }
    let collected = host::collect(&HostOptions {
        devstack_dir: devstack_dir.map(Path::to_path_buf),
        ..HostOptions::default()
    });
    let failed_units = match collected.facts.get("systemd.failed_units") {
        Some(FactValue::List(units)) => units.clone(),
        _ => Vec::new(),
    };
    let limits = Limits { per_file: args.max_file_mib << 20, total: args.max_total_mib << 20 };
    let (items, notes) = collect::plan(&logs, &failed_units, limits, &redactor, JOURNAL_TIMEOUT);
    for note in &notes {
        warn(note);
    }
    let facts =
        FactsFile { facts: collect::redact_facts(&collected.facts, &redactor), unknown: collected.unknown };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut manifest = Manifest {
        format: bundle::FORMAT,
        created: collect::rfc3339(i64::try_from(now).unwrap_or(0)),
        tool: format!("devstack-doctor {}", env!("CARGO_PKG_VERSION")),
        redacted: redactor.is_enabled(),
        files: items
            .iter()
            .map(|i| FileEntry {
                path: i.name.clone(),
                source: i.source.clone(),
                bytes: i.data.len() as u64,
                cut: i.cut,
            })
            .collect(),
        redactions: redactor.counts(),
    };

    if args.dry_run {
        let mut out = stdout();
        writeln!(out, "{:<48} {:>10} {:>10}  source", "in the bundle", "bytes", "of")?;
        for item in &items {
            let cut = if item.cut { " (end kept)" } else { "" };
            writeln!(
                out,
                "{:<48} {:>10} {:>10}  {}{cut}",
                item.name,
                item.data.len(),
                item.original,
                item.source
            )?;
        }
        writeln!(out, "{:<48} {} facts, {} unknown", "facts.json", facts.facts.len(), facts.unknown.len())?;
        writeln!(out, "bundle.toml, report.md, report.json")?;
        if manifest.redactions.is_empty() {
            writeln!(out, "redactions: none")?;
        } else {
            let counts: Vec<String> = manifest.redactions.iter().map(|(k, n)| format!("{k} {n}")).collect();
            writeln!(out, "redactions: {}", counts.join(", "))?;
        }
        out.flush()?;
        return Ok(if rule_trouble { EXIT_TROUBLE } else { EXIT_CLEAN });
    }

    let output = args.output.as_deref().ok_or_else(|| anyhow!("collect needs -o FILE.tar.gz"))?;
    let display =
        output.file_name().map_or_else(|| "bundle".to_string(), |n| n.to_string_lossy().into_owned());
    // Diagnose the bundle as it will be read back: same files, same facts, same names.
    let staging = tempfile::tempdir().context("creating a temporary directory")?;
    let files: Vec<(String, Vec<u8>)> = items.into_iter().map(|i| (i.name, i.data)).collect();
    write_staging(staging.path(), &manifest, &facts, &files)?;
    let found = input::discover_bundle(staging.path(), &display);
    let matcher = Matcher::new(&rules).context("compiling the rules")?.with_redactor(redactor);
    let mut report =
        build_report(&matcher, &found.sources, found.problems, &facts.facts, ScanOptions::default())?;
    report.redacted = true;
    let mut report_md = Vec::new();
    let md_options = markdown::MarkdownOptions { redacted: true, ..markdown::MarkdownOptions::default() };
    markdown::render(&report, &environment(&facts.facts, rules.rules.len()), md_options, &mut report_md)?;
    let mut report_json = Vec::new();
    report::json::render(&report, &mut report_json)?;
    manifest.redactions = matcher.redactor.counts();
    let mut all = files;
    all.push(("report.md".into(), report_md));
    all.push(("report.json".into(), report_json));
    bundle::write(output, &manifest, &facts, &all)
        .with_context(|| format!("writing {}", output.display()))?;
    let mut out = stdout();
    writeln!(
        out,
        "wrote {} ({} log file{}, {} finding{}, redacted); read it anywhere with: devstack-doctor diagnose {}",
        output.display(),
        manifest.files.len(),
        if manifest.files.len() == 1 { "" } else { "s" },
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" },
        output.display()
    )?;
    out.flush()?;
    Ok(if rule_trouble { EXIT_TROUBLE } else { EXIT_CLEAN })
}

/// Lays a bundle out as a directory (what the archive will hold), so it can be diagnosed first.
fn write_staging(
    dir: &Path,
    manifest: &Manifest,
    facts: &FactsFile,
    files: &[(String, Vec<u8>)],
) -> Result<()> {
    std::fs::write(dir.join("bundle.toml"), toml::to_string(manifest)?)?;
    std::fs::write(dir.join("facts.json"), serde_json::to_vec_pretty(facts)?)?;
    std::fs::create_dir_all(dir.join("logs"))?;
    for (name, data) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, data)?;
    }
    Ok(())
}

pub(super) fn run(cli: &Cli, report_path: Option<&Path>, command: &[OsString]) -> Result<u8> {
    let Some((program, args)) = command.split_first() else {
        bail!("run needs a command, for example: devstack-doctor run -- ./stack.sh");
    };
    let outcome = wrapper::run(program, args)?;
    if outcome.success() {
        return Ok(EXIT_CLEAN);
    }
    // stack.sh failed: diagnose its logs where DevStack wrote them, with this host's facts.
    let checkout =
        Path::new(program).parent().filter(|p| p.join("stack.sh").is_file()).map(Path::to_path_buf);
    let checkout = checkout.or_else(|| devstack_checkouts(None).into_iter().next());
    let (rules, _) = load_rules(cli);
    let redactor = redactor_for(checkout.as_deref(), &[]);
    let matcher = Matcher::new(&rules).context("compiling the rules")?.with_redactor(redactor);
    let places = log_places(checkout.as_deref());
    let found = if places.is_empty() {
        warn("no DevStack logs found (set LOGFILE in local.conf to keep one); diagnosing the host only");
        input::Discovery::default()
    } else {
        input::discover(&places.iter().map(|p| p.display().to_string()).collect::<Vec<_>>())
    };
    let collected = host::collect(&HostOptions { devstack_dir: checkout.clone(), ..HostOptions::default() });
    let mut report =
        build_report(&matcher, &found.sources, found.problems, &collected.facts, ScanOptions::default())?;
    report.redacted = true;
    let mut out = stdout();
    writeln!(out)?;
    writeln!(
        out,
        "devstack-doctor: {} exited with status {}; diagnosis:",
        program.to_string_lossy(),
        outcome.code
    )?;
    writeln!(out)?;
    report::text::render(&report, TextOptions::default(), &mut out)?;
    let target = report_path.map(Path::to_path_buf).unwrap_or_else(|| {
        places.first().cloned().unwrap_or_else(|| PathBuf::from(".")).join("devstack-doctor-report.md")
    });
    write_report(&report, &collected.facts, rules.rules.len(), &target)?;
    writeln!(out, "devstack-doctor: report for a ticket written to {}", target.display())?;
    out.flush()?;
    // The exit status stays stack.sh's own (a status is one byte).
    Ok(u8::try_from(outcome.code & 0xff).unwrap_or(EXIT_TROUBLE))
}

fn write_report(
    report: &Report,
    facts: &crate::facts::Facts,
    rule_count: usize,
    target: &Path,
) -> Result<()> {
    let mut text = Vec::new();
    let options =
        markdown::MarkdownOptions { redacted: report.redacted, ..markdown::MarkdownOptions::default() };
    markdown::render(report, &environment(facts, rule_count), options, &mut text)?;
    std::fs::write(target, text).with_context(|| format!("writing {}", target.display()))
}

pub(super) fn hook(command: &HookCommand) -> Result<u8> {
    let (HookCommand::Install { dir } | HookCommand::Uninstall { dir }) = command;
    let dir = match dir {
        Some(dir) => dir.clone(),
        None => devstack_checkouts(None).into_iter().next().ok_or_else(|| {
            anyhow!("no DevStack checkout in ./, ~/devstack or /opt/stack/devstack; give its path")
        })?,
    };
    let dir = std::fs::canonicalize(&dir).with_context(|| format!("{}", dir.display()))?;
    let mut out = stdout();
    match command {
        HookCommand::Install { .. } => {
            let exe = std::env::current_exe().context("finding this program's path")?;
            let line = format!(
                "{} diagnose --no-logs --quiet --fail-on error --devstack-dir {}",
                shell_quote(&exe.to_string_lossy()),
                shell_quote(&dir.to_string_lossy())
            );
            let change = hook::install(&dir, &line).with_context(|| format!("{}/local.sh", dir.display()))?;
            let what =
                if change == HookChange::AlreadyInstalled { "already installed in" } else { "installed in" };
            writeln!(
                out,
                "devstack-doctor hook {what} {}/local.sh; stack.sh runs it after a successful run",
                dir.display()
            )?;
        }
        HookCommand::Uninstall { .. } => {
            let change = hook::uninstall(&dir).with_context(|| format!("{}/local.sh", dir.display()))?;
            let what = if change == HookChange::Removed { "removed from" } else { "was not installed in" };
            writeln!(out, "devstack-doctor hook {what} {}/local.sh", dir.display())?;
        }
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}

/// Single-quotes a word for the shell unless it is plainly safe.
fn shell_quote(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+@:".contains(&b)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
