//! Raw rule files as written: every field keeps its span so that validation can point at it.
//! Unknown keys are rejected by serde; everything else is checked in [`super::validate`].

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A rule file, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub severity: Spanned<String>,
    pub area: Spanned<String>,
    pub summary: Spanned<String>,
    #[serde(rename = "match", default)]
    pub match_mode: Option<Spanned<String>>,
    #[serde(default)]
    pub explains: Vec<Spanned<String>>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    #[serde(default)]
    pub fallback: Option<Spanned<bool>>,
    #[serde(default)]
    pub signatures: Vec<Spanned<RawSignature>>,
    #[serde(default)]
    pub when: Vec<Spanned<RawWhen>>,
    pub fix: Spanned<RawFix>,
    #[serde(default)]
    pub references: Vec<Spanned<RawReference>>,
    #[serde(default)]
    pub tests: Vec<Spanned<RawTest>>,
}

/// `[[signatures]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSignature {
    #[serde(default)]
    pub files: Vec<Spanned<String>>,
    pub regex: Spanned<String>,
    #[serde(default)]
    pub followed_by: Option<Spanned<String>>,
    #[serde(default)]
    pub within: Option<Spanned<i64>>,
    #[serde(default)]
    pub in_xtrace: Option<bool>,
}

/// `[[when]]`: a fact and exactly one condition.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWhen {
    pub fact: Spanned<String>,
    #[serde(default)]
    pub eq: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub ne: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub one_of: Option<Spanned<Vec<toml::Value>>>,
    #[serde(default)]
    pub at_least: Option<Spanned<i64>>,
    #[serde(default)]
    pub at_most: Option<Spanned<i64>>,
    #[serde(default)]
    pub matches: Option<Spanned<String>>,
    #[serde(default)]
    pub contains: Option<Spanned<String>>,
    #[serde(default)]
    pub lacks: Option<Spanned<String>>,
    #[serde(default)]
    pub not_matches: Option<Spanned<String>>,
}

/// `[fix]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFix {
    pub summary: Spanned<String>,
    #[serde(default)]
    pub steps: Vec<Spanned<String>>,
}

/// `[[references]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReference {
    pub title: Spanned<String>,
    pub url: Spanned<String>,
}

/// `[[tests]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTest {
    pub name: Spanned<String>,
    pub expect: Spanned<String>,
    #[serde(default)]
    pub log: Option<Spanned<String>>,
    #[serde(default)]
    pub facts: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub captures: Option<Spanned<BTreeMap<String, String>>>,
}
