//! The renderers, pinned by snapshots: the text and JSON reports of a known failure and of an
//! unexplained one. Review changes with `cargo insta review`.

use colored::control;
use devstack_doctor::report::{json, text};

use crate::support::{builtin_rules, diagnose};

fn render_text(path: &str) -> String {
    control::set_override(false);
    let report = diagnose(&builtin_rules(), &[path], false);
    let mut out = Vec::new();
    text::render(&report, text::TextOptions::default(), &mut out).expect("render");
    // The number of rules grows with the knowledge base; it is not what these snapshots pin.
    let text = String::from_utf8(out).expect("utf8");
    regex::Regex::new(r"against \d+ rules").expect("regex").replace(&text, "against N rules").into_owned()
}

#[test]
fn text_report_of_a_known_failure() {
    insta::assert_snapshot!(render_text("tests/data/git-tls.log"));
}

#[test]
fn text_report_of_an_unexplained_failure() {
    insta::assert_snapshot!(render_text("tests/data/unknown-failure.log"));
}

#[test]
fn json_report_of_a_known_failure() {
    let mut report = diagnose(&builtin_rules(), &["tests/data/git-tls.log"], false);
    report.stats.rules = 0; // grows with the knowledge base; not what this snapshot pins
    let mut out = Vec::new();
    json::render(&report, &mut out).expect("render");
    insta::assert_snapshot!(String::from_utf8(out).expect("utf8"));
}
