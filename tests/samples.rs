//! Every sample log carries its expectation in a sidecar `<name>.expect.toml`: how the run ended, the
//! phase, the root cause and the findings that must be there. Samples of successful runs must give
//! no warning or error at all: a rule that fires on a healthy run is a bug.

use std::path::{Path, PathBuf};

use devstack_doctor::run::RunStatus;

use crate::support::{builtin_rules, diagnose, files_under, rel, Expect};

/// The sample an expectation file describes: the one file beside it named `<name>` or `<name>.*`.
fn sample_for(expect: &Path) -> PathBuf {
    let name = expect
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".expect.toml"))
        .expect("name");
    let dir = expect.parent().expect("dir");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !n.ends_with(".expect.toml") && (n == name || n.starts_with(&format!("{name}.")))
        })
        .collect();
    found.sort();
    assert_eq!(
        found.len(),
        1,
        "{}: expected exactly one sample beside it, found {found:?}",
        expect.display()
    );
    found.remove(0)
}

#[test]
fn every_sample_is_diagnosed_as_expected() {
    let rules = builtin_rules();
    let expects = files_under("samples/logs", ".expect.toml");
    assert!(!expects.is_empty(), "no samples");
    let mut failures = Vec::new();
    for expect_path in &expects {
        let expect = Expect::read(expect_path);
        let sample = rel(&sample_for(expect_path));
        let report = diagnose(&rules, &[&sample], false);
        // A successful run must give no warning at all.
        let differences = expect.differences(&report, expect.status == "succeeded");
        failures.extend(differences.into_iter().map(|what| format!("{sample}: {what}")));
    }
    assert!(failures.is_empty(), "{} sample problem(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn successful_runs_exist_and_are_recognised() {
    let rules = builtin_rules();
    let logs: Vec<PathBuf> =
        files_under("samples/logs/success", ".expect.toml").iter().map(|e| sample_for(e)).collect();
    assert!(logs.len() >= 2, "need at least two successful-run samples, found {}", logs.len());
    for log in logs {
        let report = diagnose(&rules, &[&rel(&log)], true);
        assert_eq!(report.run.status, RunStatus::Succeeded, "{}", log.display());
    }
}

#[test]
fn the_three_newcomer_failures_have_samples() {
    let rules = builtin_rules();
    let roots: Vec<String> = files_under("samples/logs", ".expect.toml")
        .iter()
        .map(|e| {
            let report = diagnose(&rules, &[&rel(&sample_for(e))], false);
            report.findings.first().map(|f| format!("{}/{}", f.area, f.rule_id)).unwrap_or_default()
        })
        .collect();
    assert!(roots.iter().any(|r| r == "tls/git-tls-ca-missing"), "{roots:?}");
    assert!(roots.iter().any(|r| r == "pip/pip-wheel-build-failed"), "{roots:?}");
    assert!(roots.iter().any(|r| r.starts_with("reboot/")), "{roots:?}");
}
