//! Arbitrary bytes as a user rule file: loading must report problems, never panic. A rule that
//! loads is compiled, and its required literals must be sound: every line of its tests that a
//! signature matches holds one of that signature's literals (else the prefilter would hide it).

#![no_main]

use devstack_doctor::{
    engine::{literals, Matcher},
    logline,
    rules::{RuleSet, RuleSource},
};
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
    if Matcher::new(&set).is_err() {
        return;
    }
    for rule in &set.rules {
        for sig in &rule.signatures {
            let Some(required) = literals::required(sig.regex.as_str()) else { continue };
            for test in &rule.tests {
                for line in test.log.lines() {
                    let message = logline::message(line.as_bytes());
                    if !sig.regex.regex().is_match(&message) {
                        continue;
                    }
                    let lower = message.to_ascii_lowercase();
                    let holds = required.iter().any(|l| {
                        let text = if l.case_insensitive { &lower[..] } else { &message[..] };
                        memchr::memmem::find(text, &l.bytes).is_some()
                    });
                    assert!(holds, "{:?} matches {line:?} without any of {required:?}", sig.regex.as_str());
                }
            }
        }
    }
});
