//! Finding rules from a user's words or a pasted log line. A line that one of a rule's signatures
//! matches ranks highest; then words found in the id, the title, the signatures and the summary.

use crate::{
    logline,
    rules::{Rule, RuleSet},
};

/// A rule and how well it matched.
#[derive(Debug)]
pub struct SearchHit<'r> {
    /// The rule.
    pub rule: &'r Rule,
    /// Higher is better.
    pub score: u32,
}

/// Rules matching `text`, best first.
pub fn search<'r>(rules: &'r RuleSet, text: &str) -> Vec<SearchHit<'r>> {
    let message = logline::message(text.as_bytes());
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| w.len() >= 3)
        .map(str::to_lowercase)
        .collect();
    let mut hits: Vec<SearchHit<'r>> = rules
        .rules
        .iter()
        .filter_map(|rule| {
            let mut score = 0;
            if rule.signatures.iter().any(|s| s.regex.regex().is_match(&message)) {
                score += 1000;
            }
            let id = rule.id.to_lowercase();
            let title = rule.title.to_lowercase();
            let summary = rule.summary.to_lowercase();
            let patterns: String = rule.signatures.iter().map(|s| s.regex.as_str().to_lowercase()).collect();
            for word in &words {
                score += 5 * u32::from(id.contains(word.as_str()))
                    + 3 * u32::from(title.contains(word.as_str()))
                    + 2 * u32::from(patterns.contains(word.as_str()))
                    + u32::from(summary.contains(word.as_str()));
            }
            (score > 0).then_some(SearchHit { rule, score })
        })
        .collect();
    hits.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.rule.id.cmp(&b.rule.id)));
    // A pasted line that a signature recognises: show only the recognised rules.
    if hits.first().is_some_and(|h| h.score >= 1000) {
        hits.retain(|h| h.score >= 1000);
    }
    hits.truncate(20);
    hits
}
