//! Runs the tests embedded in rules: each test's log is scanned as an excerpt of unknown origin (every
//! signature applies), its facts are supplied as host facts, and the rule must fire (`match`) or not
//! (`no-match`), with the expected captures. Failures are reported as problems at the test's position.

use std::collections::BTreeMap;

use super::{
    compile::Matcher,
    evaluate::{evaluate, EvalOptions},
    scan::{SourceScan, SourceScanner},
};
use crate::{
    input::Role,
    rules::{Problem, Rule, RuleTest},
};

/// Scans an in-memory text as one source.
pub fn scan_text(matcher: &Matcher<'_>, path: &str, text: &str, explicit: bool, role: Role) -> SourceScan {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut scanner = SourceScanner::new(matcher, name, path, explicit, role);
    scanner.chunk(text.as_bytes());
    scanner.finish()
}

/// Runs every test of every rule; returns the failures.
pub fn run_all(matcher: &Matcher<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, rule) in matcher.rules.rules.iter().enumerate() {
        for test in &rule.tests {
            if let Some(message) = run_one(matcher, index, rule, test) {
                problems.push(Problem { path: rule.path.clone(), line: test.line, col: test.col, message });
            }
        }
    }
    problems
}

/// Runs one test; `None` when it passes, else why it failed.
pub fn run_one(matcher: &Matcher<'_>, rule_index: usize, rule: &Rule, test: &RuleTest) -> Option<String> {
    let scan = scan_text(matcher, "test.log", &test.log, true, Role::StackLog);
    let evaluation =
        evaluate(matcher, std::slice::from_ref(&scan), &test.facts, EvalOptions { include_info: true });
    let fired = evaluation.findings.iter().any(|f| f.rule_id == rule.id);
    match (test.expect_match, fired) {
        (true, false) => {
            return Some(format!("test `{}` expects a match, but the rule did not fire", test.name))
        }
        (false, true) => {
            let line = evaluation
                .findings
                .iter()
                .find(|f| f.rule_id == rule.id)
                .and_then(|f| f.evidence.first())
                .map(|e| format!(" (line {}: {})", e.line, e.text))
                .unwrap_or_default();
            return Some(format!("test `{}` expects no match, but the rule fired{line}", test.name));
        }
        _ => {}
    }
    if test.expect_match && !test.captures.is_empty() {
        let got = first_captures(matcher, rule_index, &scan);
        for (name, want) in &test.captures {
            match got.get(name) {
                Some(value) if value == want => {}
                Some(value) => {
                    return Some(format!(
                        "test `{}`: capture `{name}` is `{value}`, expected `{want}`",
                        test.name
                    ))
                }
                None => return Some(format!("test `{}`: capture `{name}` is missing", test.name)),
            }
        }
    }
    None
}

fn first_captures(matcher: &Matcher<'_>, rule_index: usize, scan: &SourceScan) -> BTreeMap<String, String> {
    matcher
        .sigs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.rule == rule_index)
        .filter_map(|(flat, _)| scan.hits.get(&flat))
        .filter(|h| h.count > 0)
        .min_by_key(|h| h.evidence.first().map_or(u64::MAX, |l| l.line))
        .map(|h| h.captures.clone())
        .unwrap_or_default()
}
