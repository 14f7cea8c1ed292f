//! Arbitrary bytes as a log: line normalisation, the run model fed line by line, and the full scan
//! of a stack.sh log with the built-in rules must never panic; the gram filter must report exactly
//! the literal occurrences a plain search finds.

#![no_main]

use std::sync::OnceLock;

use devstack_doctor::{
    engine::{Matcher, SourceScanner},
    input::Role,
    logline,
    rules::{sources, RuleSet},
    run::RunTracker,
};
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static Matcher<'static> {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    static MATCHER: OnceLock<Matcher<'static>> = OnceLock::new();
    MATCHER.get_or_init(|| {
        let rules = RULES.get_or_init(|| {
            let (set, problems) = RuleSet::load(&sources::embedded());
            assert!(problems.is_empty(), "built-in rules do not load: {problems:?}");
            set
        });
        Matcher::new(rules).expect("built-in rules compile")
    })
}

fuzz_target!(|data: &[u8]| {
    let mut tracker = RunTracker::new(false);
    for (index, raw) in data.split_inclusive(|b| *b == b'\n').enumerate() {
        tracker.stamp(raw);
        let message = logline::message(raw);
        let xtrace = logline::is_xtrace(&message);
        tracker.feed(index as u64 + 1, &message, xtrace);
    }
    let summary = tracker.finish();
    let _ = summary.failed_at();

    let mut scanner = SourceScanner::new(matcher(), "stack.sh.log", "stack.sh.log", true, Role::StackLog);
    scanner.chunk(data);
    let scan = scanner.finish();
    assert!(scan.lines as usize <= data.len());

    let Some(grams) = &matcher().prefilter.grams else { return };
    let mut found = Vec::new();
    grams.each(data, &mut |start, literal| found.push((start, literal)));
    found.sort_unstable();
    let lower = data.to_ascii_lowercase();
    let mut want = Vec::new();
    for (index, (literal, folded)) in grams.literals().iter().enumerate() {
        let (text, needle) = if *folded { (&lower[..], literal.to_ascii_lowercase()) } else { (data, literal.clone()) };
        // Overlapping occurrences too, as the filter reports them.
        let finder = memchr::memmem::Finder::new(&needle);
        let mut at = 0;
        while let Some(found) = text.get(at..).and_then(|rest| finder.find(rest)) {
            want.push((at + found, index));
            at += found + 1;
        }
    }
    want.sort_unstable();
    assert_eq!(found, want);
});
