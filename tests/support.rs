//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use devstack_doctor::{
    app::{build_report, ScanOptions},
    engine::Matcher,
    input,
    report::Report,
    rules::{sources, RuleSet},
};

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built-in rules, fully validated (as `rules check` does); panics with every problem.
pub fn builtin_rules() -> RuleSet {
    let mut all = sources::embedded();
    for source in &mut all {
        source.trusted = false;
    }
    let (set, problems) = RuleSet::load(&all);
    assert!(
        problems.is_empty(),
        "built-in rules do not load:\n{}",
        problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
    );
    set
}

/// Diagnoses paths (relative to the crate root) with the built-in rules, as the CLI would.
pub fn diagnose(rules: &RuleSet, paths: &[&str], include_info: bool) -> Report {
    let matcher = Matcher::new(rules).expect("rules compile");
    let root = root();
    let owned: Vec<String> = paths.iter().map(|p| root.join(p).display().to_string()).collect();
    let found = input::discover(&owned);
    // A bundle's facts describe the host its logs came from, as in the CLI.
    let facts = found.bundles.first().map(|b| b.facts.facts.clone()).unwrap_or_default();
    let mut report = build_report(
        &matcher,
        &found.sources,
        found.problems,
        &facts,
        ScanOptions { threads: 1, include_info, progress: false },
    )
    .expect("report");
    // Show paths relative to the crate root, as a user running from there would see them.
    let prefix = format!("{}/", root.display());
    let strip = |p: &mut String| {
        if let Some(rest) = p.strip_prefix(&prefix) {
            *p = rest.to_string();
        }
    };
    for f in &mut report.findings {
        for e in &mut f.evidence {
            strip(&mut e.path);
        }
    }
    for l in [&mut report.run.failed_at, &mut report.run.failing_command].into_iter().flatten() {
        strip(&mut l.path);
    }
    if let Some(l) = &mut report.run.log {
        strip(l);
    }
    report
}

/// Every file under `dir` (relative to the crate root) whose name ends with `suffix`, sorted.
pub fn files_under(dir: &str, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root().join(dir))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name().to_string_lossy().ends_with(suffix))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// `path` relative to the crate root, as a string.
pub fn rel(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// The built binary, run from the crate root with no home directory (so no devstack checkout is
/// found there) and colour left to the flags under test.
pub fn doctor() -> Command {
    let mut cmd = Command::cargo_bin("devstack-doctor").expect("binary");
    cmd.current_dir(root()).env_remove("NO_COLOR").env("HOME", "/nonexistent");
    cmd
}

/// Runs a command: exit code, stdout and stderr.
pub fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What a sample (`<name>.expect.toml`) or a bundle (`expect.toml`) says its diagnosis must be.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// failed, succeeded or unknown.
    pub status: String,
    /// The phase reached, if the log shows one.
    #[serde(default)]
    pub phase: Option<String>,
    /// The rule ranked first.
    #[serde(default)]
    pub root_cause: Option<String>,
    /// Rules that must fire.
    #[serde(default)]
    pub findings: Vec<String>,
    /// Rules that must not fire.
    #[serde(default)]
    pub absent: Vec<String>,
    /// No warning or error at all (a healthy host).
    #[serde(default)]
    pub healthy: bool,
}

impl Expect {
    /// Reads an expectation file.
    pub fn read(path: &Path) -> Expect {
        toml::from_str(&std::fs::read_to_string(path).expect("read expectation"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every way `report` differs from the expectation; with `no_warnings`, any warning or error too.
    pub fn differences(&self, report: &Report, no_warnings: bool) -> Vec<String> {
        let ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
        let mut out = Vec::new();
        if report.run.status.as_str() != self.status {
            out.push(format!("run status is {}, expected {}", report.run.status.as_str(), self.status));
        }
        if let Some(phase) = &self.phase {
            if report.run.phase.as_ref() != Some(phase) {
                out.push(format!("phase is {:?}, expected {phase:?}", report.run.phase));
            }
        }
        if let Some(root) = &self.root_cause {
            if ids.first() != Some(&root.as_str()) {
                out.push(format!("root cause is {:?}, expected {root}", ids.first()));
            }
        }
        out.extend(
            self.findings
                .iter()
                .filter(|id| !ids.contains(&id.as_str()))
                .map(|id| format!("finding {id} is missing")),
        );
        out.extend(
            self.absent
                .iter()
                .filter(|id| ids.contains(&id.as_str()))
                .map(|id| format!("finding {id} should not be there")),
        );
        if !report.errors.is_empty() {
            out.push(format!("input errors: {:?}", report.errors));
        }
        if no_warnings || self.healthy {
            for finding in report.at_least(devstack_doctor::rules::Severity::Warning) {
                let line = finding
                    .evidence
                    .first()
                    .map(|e| format!(": {}:{}: {}", e.path, e.line, e.text))
                    .unwrap_or_default();
                out.push(format!("rule {} fires on a healthy run{line}", finding.rule_id));
            }
        }
        out.into_iter().map(|what| format!("{what}\n    findings: {ids:?}")).collect()
    }
}
