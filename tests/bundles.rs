//! Saved bundles under `samples/bundles/<scenario>/` are diagnosed with their own facts: each one's
//! `expect.toml` says how the run ended and which findings must (and must not) be there, and its whole
//! text report is pinned by a snapshot. The healthy bundle must give no warning or error.

use devstack_doctor::{report::text, rules::Severity};
use serde::Deserialize;

use crate::support::{builtin_rules, diagnose, root};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    status: String,
    #[serde(default)]
    root_cause: Option<String>,
    #[serde(default)]
    findings: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    healthy: bool,
}

fn scenarios() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("samples/bundles"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.path().join("bundle.toml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn every_bundle_is_diagnosed_as_expected() {
    let rules = builtin_rules();
    let names = scenarios();
    assert!(names.iter().any(|n| n == "healthy"), "no healthy bundle among {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let dir = format!("samples/bundles/{name}");
        let expect: Expect = toml::from_str(
            &std::fs::read_to_string(root().join(&dir).join("expect.toml")).expect("expect.toml"),
        )
        .unwrap_or_else(|e| panic!("{dir}/expect.toml: {e}"));
        let report = diagnose(&rules, &[&dir], false);
        let ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
        let mut fail = |what: String| failures.push(format!("{dir}: {what}\n    findings: {ids:?}"));
        if report.run.status.as_str() != expect.status {
            fail(format!("run status {}, expected {}", report.run.status.as_str(), expect.status));
        }
        if let Some(root_cause) = &expect.root_cause {
            if ids.first() != Some(&root_cause.as_str()) {
                fail(format!("root cause {:?}, expected {root_cause}", ids.first()));
            }
        }
        for id in &expect.findings {
            if !ids.contains(&id.as_str()) {
                fail(format!("finding {id} missing"));
            }
        }
        for id in &expect.absent {
            if ids.contains(&id.as_str()) {
                fail(format!("finding {id} should not be there"));
            }
        }
        if expect.healthy {
            for finding in report.at_least(Severity::Warning) {
                fail(format!("rule {} fires on a healthy bundle", finding.rule_id));
            }
        }
        if !report.errors.is_empty() {
            fail(format!("input errors: {:?}", report.errors));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bundle_reports_are_pinned() {
    colored::control::set_override(false);
    let rules = builtin_rules();
    let rule_count = regex::Regex::new(r"against \d+ rules").expect("regex");
    for name in scenarios() {
        let report = diagnose(&rules, &[&format!("samples/bundles/{name}")], false);
        let mut out = Vec::new();
        text::render(&report, text::TextOptions::default(), &mut out).expect("render");
        let rendered = String::from_utf8(out).expect("utf8");
        let rendered = rule_count.replace(&rendered, "against N rules").into_owned();
        insta::assert_snapshot!(format!("bundle_{name}"), rendered);
    }
}
