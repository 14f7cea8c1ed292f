//! The literal prefilter never misses: on every sample log and on generated text, the gram filter of
//! the built-in rules reports exactly the occurrences of every required literal that a plain search
//! for each literal finds. A miss here would silently drop a finding.

use devstack_doctor::engine::{compile::Matcher, grams::GramFilter};
use std::sync::LazyLock;

use proptest::{collection::vec, prelude::*, test_runner::Config};

use crate::support::{builtin_rules, files_under};

/// Every (start, literal) pair, by a plain search per literal.
fn plain_search(filter: &GramFilter, haystack: &[u8]) -> Vec<(usize, usize)> {
    let folded_haystack = haystack.to_ascii_lowercase();
    let mut out = Vec::new();
    for (index, (literal, folded)) in filter.literals().iter().enumerate() {
        let (text, needle) = if *folded {
            (&folded_haystack, literal.to_ascii_lowercase())
        } else {
            (&haystack.to_vec(), literal.clone())
        };
        // Overlapping occurrences too (`git call failed: [git call failed: [`), as the filter
        // reports them.
        let finder = memchr::memmem::Finder::new(&needle);
        let mut at = 0;
        while let Some(found) = text.get(at..).and_then(|rest| finder.find(rest)) {
            out.push((at + found, index));
            at += found + 1;
        }
    }
    out.sort_unstable();
    out
}

fn filtered(filter: &GramFilter, haystack: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    filter.each(haystack, &mut |start, literal| out.push((start, literal)));
    out.sort_unstable();
    out
}

/// The gram filter of the built-in rules, built once.
fn builtin_filter() -> &'static GramFilter {
    static FILTER: LazyLock<GramFilter> = LazyLock::new(|| {
        let rules = builtin_rules();
        let matcher = Matcher::new(&rules).expect("built-in rules compile");
        matcher.prefilter.grams.clone().expect("built-in rules have literals")
    });
    &FILTER
}

#[test]
fn every_literal_in_every_sample_is_found() {
    let filter = builtin_filter();
    let mut files = files_under("samples/logs", ".log");
    files.extend(files_under("tests/data", ".log"));
    assert!(files.len() > 50, "samples not found");
    let mut total = 0;
    for file in files {
        let bytes = std::fs::read(&file).expect("readable sample");
        let want = plain_search(filter, &bytes);
        total += want.len();
        assert_eq!(filtered(filter, &bytes), want, "{}", file.display());
    }
    assert!(total > 100, "only {total} literal occurrences in all samples: the test would prove little");
}

#[test]
fn overlapping_occurrences_of_one_literal_are_all_found() {
    // Found by fuzzing: a literal that overlaps itself when the message repeats.
    let filter = builtin_filter();
    let text = b"[ERROR] ./functions-common:709 git call failed: [git call failed: [git clone https://x]\n";
    let found = filtered(filter, text);
    assert_eq!(found, plain_search(filter, text));
    let repeated =
        found.iter().filter(|(_, literal)| found.iter().filter(|(_, l)| l == literal).count() > 1).count();
    assert!(repeated >= 2, "{found:?}");
}

/// Text made of pieces of the built-in literals (whole, cut, in the other case) and random bytes.
fn pieces(literals: Vec<(Vec<u8>, bool)>) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => (proptest::sample::select(literals.clone()), any::<bool>()).prop_map(|((bytes, _), flip)| {
            if flip { bytes.to_ascii_uppercase() } else { bytes }
        }),
        2 => (proptest::sample::select(literals), 0usize..64, 0usize..64).prop_map(|((bytes, _), a, b)| {
            let (from, to) = (a.min(b).min(bytes.len()), a.max(b).min(bytes.len()));
            bytes[from..to].to_vec()
        }),
        2 => vec(any::<u8>(), 0..12),
        1 => Just(b"\n".to_vec()),
    ];
    vec(piece, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

    #[test]
    fn the_filter_finds_what_a_plain_search_finds(haystack in pieces(builtin_filter().literals().to_vec())) {
        let filter = builtin_filter();
        prop_assert_eq!(filtered(filter, &haystack), plain_search(filter, &haystack));
    }
}
