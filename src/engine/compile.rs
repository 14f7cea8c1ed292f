//! Compiling a rule set for scanning. Each signature gets a set of required literals (see
//! [`super::literals`]); all of them go into two Aho-Corasick automata (case-sensitive and ASCII
//! case-insensitive) that find candidate lines in a whole buffer at once, so a signature's regex runs
//! only on lines that contain one of its literals. The few signatures without a usable literal go
//! into a `RegexSet` that is checked on every line.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{RegexSet, RegexSetBuilder};

use std::sync::Arc;

use super::literals;
use crate::{
    redact::Redactor,
    rules::{RuleSet, Signature},
};

/// Where a flat signature index points.
#[derive(Debug, Clone, Copy)]
pub struct SigRef {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Index of the signature in the rule.
    pub sig: usize,
}

/// The literal prefilter: automata over every signature's required literals.
#[derive(Debug)]
pub struct Prefilter {
    /// Case-sensitive literals.
    pub exact: Option<AhoCorasick>,
    /// For each pattern of `exact`, the signatures it stands for.
    pub exact_sigs: Vec<Vec<usize>>,
    /// ASCII case-insensitive literals.
    pub folded: Option<AhoCorasick>,
    /// For each pattern of `folded`, the signatures it stands for.
    pub folded_sigs: Vec<Vec<usize>>,
    /// Signatures without a usable literal: checked on every line.
    pub always: Vec<usize>,
    /// Their regexes, as one set (indexes into `always`).
    pub always_set: Option<RegexSet>,
}

/// A compiled rule set.
#[derive(Debug)]
pub struct Matcher<'r> {
    /// The rules.
    pub rules: &'r RuleSet,
    /// Flat signature index to rule and signature.
    pub sigs: Vec<SigRef>,
    /// Candidate-line search.
    pub prefilter: Prefilter,
    /// Applied to every piece of evidence as it is captured, before anything else sees it.
    pub redactor: Arc<Redactor>,
    globs: Vec<Option<GlobSet>>,
}

impl<'r> Matcher<'r> {
    /// Compiles `rules` for inputs of unknown or large size. Their regexes were validated by the
    /// loader; only the automata are built here.
    pub fn new(rules: &'r RuleSet) -> Result<Matcher<'r>, regex::Error> {
        Matcher::for_input(rules, None)
    }

    /// Compiles `rules` for about `bytes` of input: below [`SMALL_INPUT`] the prefilter uses an
    /// automaton that is quick to build (a diagnosis of a short log is mostly start-up); for more, or
    /// an unknown amount, one that is quick to run.
    pub fn for_input(rules: &'r RuleSet, bytes: Option<u64>) -> Result<Matcher<'r>, regex::Error> {
        let mut sigs = Vec::new();
        let mut globs = Vec::new();
        for (rule_index, rule) in rules.rules.iter().enumerate() {
            for (sig_index, sig) in rule.signatures.iter().enumerate() {
                sigs.push(SigRef { rule: rule_index, sig: sig_index });
                globs.push(file_globs(sig));
            }
        }
        let signature = |flat: usize| {
            let r: SigRef = sigs[flat];
            &rules.rules[r.rule].signatures[r.sig]
        };
        let kind = match bytes {
            Some(bytes) if bytes < SMALL_INPUT => AhoCorasickKind::ContiguousNFA,
            _ => AhoCorasickKind::DFA,
        };
        let prefilter = Prefilter::build((0..sigs.len()).map(|flat| (flat, signature(flat))), kind)?;
        Ok(Matcher { rules, sigs, prefilter, redactor: Arc::new(Redactor::disabled()), globs })
    }

    /// Redacts evidence with `redactor` (it is off by default).
    #[must_use]
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = Arc::new(redactor);
        self
    }

    /// Which signatures apply to a file: all of them for a file named on the command line (an
    /// excerpt of unknown origin), else those whose `files` globs match its name or path.
    pub fn applicable(&self, file_name: &str, path: &str, explicit: bool) -> Vec<bool> {
        self.globs
            .iter()
            .map(|g| explicit || g.as_ref().is_none_or(|g| g.is_match(file_name) || g.is_match(path)))
            .collect()
    }

    /// The signature behind a flat index.
    pub fn signature(&self, flat: usize) -> &Signature {
        let r = self.sigs[flat];
        &self.rules.rules[r.rule].signatures[r.sig]
    }
}

fn file_globs(sig: &Signature) -> Option<GlobSet> {
    if sig.files.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for glob in &sig.files {
        if let Ok(glob) = Glob::new(glob) {
            builder.add(glob);
        }
    }
    builder.build().ok()
}

/// Inputs smaller than this get the prefilter automaton that builds fastest (about 1 ms against about
/// 15 ms for the DFA, which scans about 2.5 times faster: the break-even is near 3 MiB).
pub const SMALL_INPUT: u64 = 4 << 20;

/// Stands for "a private key block starts or ends on this line" among the candidates: the scanner
/// tracks such blocks so that no line inside one is ever shown.
pub const KEY_MARKER: usize = usize::MAX;

impl Prefilter {
    fn build<'a>(
        signatures: impl Iterator<Item = (usize, &'a Signature)>,
        kind: AhoCorasickKind,
    ) -> Result<Prefilter, regex::Error> {
        let mut exact: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        let mut folded: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        let mut always = Vec::new();
        let mut always_patterns = Vec::new();
        for (flat, sig) in signatures {
            match literals::required(sig.regex.as_str()) {
                Some(set) => {
                    for literal in set {
                        let table = if literal.case_insensitive { &mut folded } else { &mut exact };
                        match table.iter_mut().find(|(bytes, _)| *bytes == literal.bytes) {
                            Some((_, flats)) => flats.push(flat),
                            None => table.push((literal.bytes, vec![flat])),
                        }
                    }
                }
                None => {
                    always.push(flat);
                    always_patterns.push(sig.regex.as_str().to_string());
                }
            }
        }
        exact.push((b"PRIVATE KEY-----".to_vec(), vec![KEY_MARKER]));
        let automaton = |patterns: &[(Vec<u8>, Vec<usize>)], fold: bool| {
            if patterns.is_empty() {
                return None;
            }
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                .ascii_case_insensitive(fold)
                .build(patterns.iter().map(|(bytes, _)| bytes))
                .ok()
        };
        let always_set = if always_patterns.is_empty() {
            None
        } else {
            Some(RegexSetBuilder::new(&always_patterns).size_limit(64 << 20).build()?)
        };
        Ok(Prefilter {
            exact: automaton(&exact, false),
            exact_sigs: exact.into_iter().map(|(_, flats)| flats).collect(),
            folded: automaton(&folded, true),
            folded_sigs: folded.into_iter().map(|(_, flats)| flats).collect(),
            always,
            always_set,
        })
    }

    /// Calls `found(line_start, signature)` for every signature with a literal on a line of
    /// `haystack` (a buffer of whole lines), in no particular order. The automata skip quickly to the
    /// next line holding any literal; only on such a line are all overlapping literals collected.
    pub fn candidates(&self, haystack: &[u8], found: &mut dyn FnMut(usize, usize)) {
        for (automaton, sigs) in [(&self.exact, &self.exact_sigs), (&self.folded, &self.folded_sigs)] {
            let Some(automaton) = automaton else { continue };
            let mut at = 0;
            while at < haystack.len() {
                let Some(first) = automaton.find(Input::new(haystack).range(at..)) else { break };
                let start = memchr::memrchr(b'\n', &haystack[..first.start()]).map_or(0, |i| i + 1);
                let end = memchr::memchr(b'\n', &haystack[first.start()..])
                    .map_or(haystack.len(), |i| first.start() + i + 1);
                for m in automaton.find_overlapping_iter(&haystack[start..end]) {
                    for flat in &sigs[m.pattern().as_usize()] {
                        found(start, *flat);
                    }
                }
                at = end;
            }
        }
    }
}
