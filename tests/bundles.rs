//! Saved bundles under `samples/bundles/<scenario>/` are diagnosed with their own facts: each one's
//! `expect.toml` says how the run ended and which findings must (and must not) be there, and its whole
//! text report is pinned by a snapshot. The healthy bundle must give no warning or error.

use devstack_doctor::report::text;

use crate::support::{builtin_rules, diagnose, root, Expect};

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
        let expect = Expect::read(&root().join(&dir).join("expect.toml"));
        let report = diagnose(&rules, &[&dir], false);
        failures.extend(expect.differences(&report, false).into_iter().map(|what| format!("{dir}: {what}")));
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
