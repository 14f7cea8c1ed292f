//! Compiling a rule set for scanning. Each signature gets a set of required literals (see
//! [`super::literals`]); all of them go into one gram filter (see [`super::grams`]) that finds every
//! literal in a whole buffer at once, so a signature's regex runs only on lines that contain one of
//! its literals. The markers of the run model and of private key blocks ride along as pseudo
//! signatures. The few signatures without a usable literal go into a `RegexSet` that is checked on
//! every line.

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use regex::bytes::{RegexSet, RegexSetBuilder};

use std::{collections::HashMap, sync::Arc};

use super::{grams::GramFilter, literals};
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

/// The literal prefilter.
#[derive(Debug)]
pub struct Prefilter {
    /// Finds every required literal; `None` when no signature has one.
    pub grams: Option<GramFilter>,
    /// For each literal of `grams`, the signatures it stands for.
    pub literal_sigs: Vec<Vec<usize>>,
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
    /// Compiles `rules`. Their regexes were validated by the loader; only the prefilter is built.
    pub fn new(rules: &'r RuleSet) -> Result<Matcher<'r>, regex::Error> {
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
        let signatures: Vec<&Signature> = (0..sigs.len()).map(signature).collect();
        let prefilter = Prefilter::build(&signatures)?;
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

/// Stands for "a private key block starts or ends on this line" among the candidates: the scanner
/// tracks such blocks so that no line inside one is ever shown.
pub const KEY_MARKER: usize = usize::MAX;

/// Stands for "this line holds a marker of the run model" (see [`crate::run::MARKERS`]): the
/// scanner feeds the run model only such lines, and lines it asks for.
pub const RUN_MARKER: usize = usize::MAX - 1;

/// A literal's bytes and whether it matches ASCII letters of either case.
type LiteralKey = (Vec<u8>, bool);

impl Prefilter {
    fn build(signatures: &[&Signature]) -> Result<Prefilter, regex::Error> {
        // (bytes, case-insensitive) and the signatures that need it.
        let mut literals: Vec<(LiteralKey, Vec<usize>)> = Vec::new();
        let mut index: HashMap<LiteralKey, usize> = HashMap::new();
        let mut add = |key: LiteralKey, flat: usize| match index.get(&key) {
            Some(at) => literals[*at].1.push(flat),
            None => {
                index.insert(key.clone(), literals.len());
                literals.push((key, vec![flat]));
            }
        };
        let mut always = Vec::new();
        let mut always_patterns = Vec::new();
        // Parsing every regex for its literals is most of the start-up: spread it over the cores.
        let required: Vec<_> =
            signatures.par_iter().map(|sig| literals::required(sig.regex.as_str())).collect();
        for (flat, (sig, required)) in signatures.iter().zip(required).enumerate() {
            match required {
                Some(set) => {
                    for literal in set {
                        add((literal.bytes, literal.case_insensitive), flat);
                    }
                }
                None => {
                    always.push(flat);
                    always_patterns.push(sig.regex.as_str().to_string());
                }
            }
        }
        add((b"PRIVATE KEY-----".to_vec(), false), KEY_MARKER);
        for marker in crate::run::markers() {
            add((marker.as_bytes().to_vec(), false), RUN_MARKER);
        }
        let always_set = if always_patterns.is_empty() {
            None
        } else {
            Some(RegexSetBuilder::new(&always_patterns).size_limit(64 << 20).build()?)
        };
        let (keys, literal_sigs): (Vec<_>, Vec<_>) = literals.into_iter().unzip();
        // Every literal is at least a gram long (see `literals::MIN_LITERAL`), so this never fails.
        let grams = GramFilter::new(keys);
        Ok(Prefilter { grams, literal_sigs, always, always_set })
    }

    /// Calls `found(line_start, signature)` for every signature with a literal on a line of
    /// `haystack` (a buffer of whole lines), in no particular order and possibly more than once.
    pub fn candidates(&self, haystack: &[u8], found: &mut dyn FnMut(usize, usize)) {
        let Some(grams) = &self.grams else { return };
        // The line around the last occurrence, so that each line is delimited only once.
        let mut line = 0..0;
        grams.each(haystack, &mut |start, literal| {
            if !line.contains(&start) {
                let from = line.end.min(start);
                let line_start =
                    memchr::memrchr(b'\n', &haystack[from..start]).map_or(from, |i| from + i + 1);
                let line_end =
                    memchr::memchr(b'\n', &haystack[start..]).map_or(haystack.len(), |i| start + i + 1);
                line = line_start..line_end;
            }
            for flat in &self.literal_sigs[literal] {
                found(line.start, *flat);
            }
        });
    }
}
