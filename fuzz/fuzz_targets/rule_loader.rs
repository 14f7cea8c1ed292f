//! Arbitrary bytes as a user rule file: loading must report problems, never panic.

#![no_main]

use devstack_doctor::rules::{RuleSet, RuleSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = RuleSource { path: "rules/git/x.toml".into(), text: text.to_string(), trusted: false };
    let (set, problems) = RuleSet::load(&[source]);
    // A file either loads as one rule or explains why not.
    assert!(set.rules.len() <= 1);
    assert!(!set.rules.is_empty() || !problems.is_empty(), "a rule file vanished without a problem");
    for problem in &problems {
        let _ = problem.to_string();
    }
});
