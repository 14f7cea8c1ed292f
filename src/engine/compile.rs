//! Compiling a rule set for scanning: every signature regex goes into one `RegexSet` so that a line
//! is checked against all of them in one pass; the per-signature regexes (already compiled by the
//! loader) are used only for lines that hit, to extract captures.

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{RegexSet, RegexSetBuilder};

use crate::rules::RuleSet;

/// Where a flat signature index points.
#[derive(Debug, Clone, Copy)]
pub struct SigRef {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Index of the signature in the rule.
    pub sig: usize,
}

/// A compiled rule set.
#[derive(Debug)]
pub struct Matcher<'r> {
    /// The rules.
    pub rules: &'r RuleSet,
    /// Flat signature index to rule and signature.
    pub sigs: Vec<SigRef>,
    set: RegexSet,
    globs: Vec<Option<GlobSet>>,
}

impl<'r> Matcher<'r> {
    /// Compiles `rules`. Their regexes were validated by the loader, so this cannot fail for them;
    /// a set too large for the regex size limit is reported as an error.
    pub fn new(rules: &'r RuleSet) -> Result<Matcher<'r>, regex::Error> {
        let mut sigs = Vec::new();
        let mut patterns = Vec::new();
        let mut globs = Vec::new();
        for (rule_index, rule) in rules.rules.iter().enumerate() {
            for (sig_index, sig) in rule.signatures.iter().enumerate() {
                sigs.push(SigRef { rule: rule_index, sig: sig_index });
                patterns.push(sig.regex.as_str().to_string());
                globs.push(if sig.files.is_empty() {
                    None
                } else {
                    let mut builder = GlobSetBuilder::new();
                    for glob in &sig.files {
                        if let Ok(glob) = Glob::new(glob) {
                            builder.add(glob);
                        }
                    }
                    builder.build().ok()
                });
            }
        }
        let set = RegexSetBuilder::new(&patterns).size_limit(256 << 20).dfa_size_limit(64 << 20).build()?;
        Ok(Matcher { rules, sigs, set, globs })
    }

    /// The regex set over every signature.
    pub fn set(&self) -> &RegexSet {
        &self.set
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
    pub fn signature(&self, flat: usize) -> &crate::rules::Signature {
        let r = self.sigs[flat];
        &self.rules.rules[r.rule].signatures[r.sig]
    }
}
