//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

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
