//! Arbitrary bytes as a log: line normalisation, the run model fed line by line, and the full scan
//! of a stack.sh log with the built-in rules (in two chunks) must never panic; the scan's run model
//! (fed only some lines) must agree with the run model fed every line, and the gram filter must
//! report exactly the literal occurrences a plain search finds.

#![no_main]

use std::sync::OnceLock;

use devstack_doctor::{
    engine::{Matcher, SourceScanner},
    input::Role,
    logline,
    rules::{sources, RuleSet},
    run,
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
    for raw in data.split_inclusive(|b| *b == b'\n') {
        let message = logline::message(raw);
        let _ = logline::is_xtrace(&message);
    }

    // The scan feeds the run model only some lines, in chunks; it must agree with the run model
    // fed every line.
    let text = String::from_utf8_lossy(data);
    let bytes = text.as_bytes();
    let cut = bytes.iter().take(bytes.len() / 2).rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut scanner = SourceScanner::new(matcher(), "stack.sh.log", "stack.sh.log", true, Role::StackLog);
    scanner.chunk(&bytes[..cut]);
    scanner.chunk(&bytes[cut..]);
    let scan = scanner.finish();
    assert!(scan.lines as usize <= bytes.len());
    let summary = run::summarize(&text, false);
    let _ = summary.failed_at();
    assert_eq!(scan.run.as_ref(), Some(&summary));

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
