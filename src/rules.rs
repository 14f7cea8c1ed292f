//! The knowledge base: rule files are parsed into raw types with spans (`raw`), validated into the
//! types below (`validate`, which reports every problem at once as `path:line:col: message`), and
//! collected into a [`RuleSet`]. Built-in rules are embedded at build time ([`sources`]).

mod raw;
pub mod sources;
mod validate;

use std::{collections::BTreeMap, fmt, sync::OnceLock};

use regex::bytes::{Regex, RegexBuilder};
use serde::Serialize;

use crate::facts::{FactValue, Facts};

pub use sources::RuleSource;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A hint.
    Info,
    /// Degrades the cloud or commonly causes a later failure.
    Warning,
    /// Makes stack.sh fail.
    Error,
    /// Data loss or a security problem.
    Critical,
}

impl Severity {
    /// Parses the lowercase name used in rule files and on the command line.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether one signature is enough or all are needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchMode {
    /// One signature hit is enough.
    Any,
    /// Every signature must hit.
    All,
}

/// The areas (folders) of the knowledge base.
pub const AREAS: &[&str] = &[
    "apache",
    "cinder",
    "database",
    "devstack",
    "distro",
    "etcd",
    "git",
    "glance",
    "horizon",
    "host",
    "keystone",
    "libvirt",
    "network",
    "neutron",
    "nova",
    "ovn",
    "pip",
    "placement",
    "python",
    "rabbitmq",
    "reboot",
    "services",
    "swift",
    "tls",
];

/// A validated rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable kebab-case id, equal to the file stem.
    pub id: String,
    /// One sentence.
    pub title: String,
    /// How bad it is.
    pub severity: Severity,
    /// The folder it lives in.
    pub area: String,
    /// What happened and why.
    pub summary: String,
    /// Any or all signatures.
    pub match_mode: MatchMode,
    /// Ids of rules whose findings are fallout of this one.
    pub explains: Vec<String>,
    /// Former ids.
    pub aliases: Vec<String>,
    /// Fires only when no specific error-level rule fired; evidence comes from the run model.
    pub fallback: bool,
    /// Log signatures.
    pub signatures: Vec<Signature>,
    /// Conditions on facts; all must hold.
    pub conditions: Vec<Condition>,
    /// How to fix it.
    pub fix: Fix,
    /// Where the knowledge comes from.
    pub references: Vec<Reference>,
    /// Embedded tests.
    pub tests: Vec<RuleTest>,
    /// The file it came from.
    pub path: String,
}

/// One log signature.
#[derive(Debug)]
pub struct Signature {
    /// File-name globs; empty means every file.
    pub files: Vec<String>,
    /// The line pattern.
    pub regex: Pattern,
    /// A pattern that must match one of the next `within` lines.
    pub followed_by: Option<Pattern>,
    /// Window for `followed_by`.
    pub within: u32,
    /// Whether xtrace lines are examined too.
    pub in_xtrace: bool,
}

/// Regexes larger than this (compiled) are rejected: they would slow every scan.
pub const REGEX_SIZE_LIMIT: usize = 2 << 20;

/// A signature regex. Rules from user directories are compiled (and so validated) when they load;
/// the built-in rules, validated when the crate is tested, are compiled on first use so that a
/// diagnosis pays only for the signatures whose literals occur in its logs.
#[derive(Debug)]
pub struct Pattern {
    source: String,
    compiled: OnceLock<Regex>,
}

impl Pattern {
    /// Compiles `source` now.
    pub fn compile(source: &str) -> Result<Pattern, regex::Error> {
        let compiled = OnceLock::new();
        let _ = compiled.set(build(source)?);
        Ok(Pattern { source: source.to_string(), compiled })
    }

    /// Keeps `source` to compile on first use.
    pub fn lazy(source: &str) -> Pattern {
        Pattern { source: source.to_string(), compiled: OnceLock::new() }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled regex. A lazy pattern that does not compile (only possible for a built-in rule
    /// that skipped the checks) matches nothing.
    pub fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            build(&self.source)
                .unwrap_or_else(|_| build(r"(?-u:\b\B)").expect("a pattern that never matches compiles"))
        })
    }
}

fn build(source: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source).size_limit(REGEX_SIZE_LIMIT).build()
}

/// A condition on one fact.
#[derive(Debug)]
pub struct Condition {
    /// Catalogue key.
    pub fact: String,
    /// The test applied to its value.
    pub op: Op,
}

/// The test a condition applies.
#[derive(Debug)]
pub enum Op {
    /// Equal to.
    Eq(FactValue),
    /// Not equal to (an unknown fact still fails).
    Ne(FactValue),
    /// Equal to one of.
    OneOf(Vec<FactValue>),
    /// A number at least this.
    AtLeast(i64),
    /// A number at most this.
    AtMost(i64),
    /// A string (or any item of a list) matching.
    Matches(regex::Regex),
    /// A list containing this item.
    Contains(String),
    /// A (known) list without this item.
    Lacks(String),
    /// A string (or every item of a list) not matching.
    NotMatches(regex::Regex),
}

impl Condition {
    /// Whether the condition holds for these facts. Unknown facts never satisfy a condition.
    pub fn holds(&self, facts: &Facts) -> bool {
        let Some(value) = facts.get(&self.fact) else {
            return false;
        };
        match (&self.op, value) {
            (Op::Eq(want), got) => want == got,
            (Op::Ne(want), got) => want != got,
            (Op::OneOf(wants), got) => wants.contains(got),
            (Op::AtLeast(n), FactValue::Int(got)) => got >= n,
            (Op::AtMost(n), FactValue::Int(got)) => got <= n,
            (Op::Matches(re), FactValue::Str(got)) => re.is_match(got),
            (Op::Matches(re), FactValue::List(items)) => items.iter().any(|i| re.is_match(i)),
            (Op::Contains(item), FactValue::List(items)) => items.contains(item),
            (Op::Lacks(item), FactValue::List(items)) => !items.contains(item),
            (Op::NotMatches(re), FactValue::Str(got)) => !re.is_match(got),
            (Op::NotMatches(re), FactValue::List(items)) => !items.iter().any(|i| re.is_match(i)),
            _ => false,
        }
    }
}

/// The fix.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    /// One sentence; may hold `{capture}` placeholders.
    pub summary: String,
    /// Steps to follow, in order.
    pub steps: Vec<String>,
}

/// A reference.
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    /// What it is.
    pub title: String,
    /// Where it is (https).
    pub url: String,
}

/// A test embedded in a rule.
#[derive(Debug)]
pub struct RuleTest {
    /// Its name.
    pub name: String,
    /// True for `match`, false for `no-match`.
    pub expect_match: bool,
    /// The log excerpt to scan.
    pub log: String,
    /// Facts supplied inline.
    pub facts: Facts,
    /// Expected captures of the first hit.
    pub captures: BTreeMap<String, String>,
    /// Where the test starts in the rule file.
    pub line: usize,
    /// Column of that start.
    pub col: usize,
}

/// A problem in a rule file, with its position.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The rule file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Lowercase, no trailing period.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.col, self.message)
    }
}

/// A loaded, validated set of rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// The rules, sorted by id.
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// Parses and validates rule files. Rules with problems are left out; every problem is returned.
    pub fn load(sources: &[RuleSource]) -> (RuleSet, Vec<Problem>) {
        validate::load(sources)
    }

    /// Finds a rule by id or alias.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.id == id)
            .or_else(|| self.rules.iter().find(|r| r.aliases.iter().any(|a| a == id)))
    }

    /// Ids of every rule.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.id.as_str())
    }
}

/// The placeholders `{name}` in a fix text. `${VAR}` (shell) and `{{`/`}}` are not placeholders.
pub fn placeholders(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'{' if i > 0 && bytes[i - 1] == b'$' => i += 1,
            b'{' => {
                let rest = &text[i + 1..];
                let len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .unwrap_or(rest.len());
                if len > 0 && rest[len..].starts_with('}') {
                    out.push(rest[..len].to_string());
                    i += len + 2;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// Replaces placeholders with values; unknown ones are left as written.
pub fn interpolate(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = text.replace("{{", "\u{0}").replace("}}", "\u{1}");
    for name in placeholders(text) {
        if let Some(value) = values.get(&name) {
            out = out.replace(&format!("{{{name}}}"), value);
        }
    }
    out.replace('\u{0}', "{").replace('\u{1}', "}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_skip_shell_and_doubled_braces() {
        assert_eq!(
            placeholders("Reinstall {cafile} in ${DEST} {{literal}} {os.id}"),
            vec!["cafile", "os.id"]
        );
        assert!(placeholders("no braces { here }").is_empty());
    }

    #[test]
    fn interpolate_fills_known_values_only() {
        let mut values = BTreeMap::new();
        values.insert("cafile".to_string(), "/etc/ssl/ca.crt".to_string());
        assert_eq!(
            interpolate("use {cafile} not {other} ${HOME}", &values),
            "use /etc/ssl/ca.crt not {other} ${HOME}"
        );
    }

    #[test]
    fn negative_conditions_need_a_known_fact() {
        let mut facts = Facts::new();
        facts.insert("storage.volume_groups".into(), FactValue::List(vec!["ubuntu-vg".into()]));
        facts.insert("os.id".into(), FactValue::Str("ubuntu".into()));
        let lacks = Condition {
            fact: "storage.volume_groups".into(),
            op: Op::Lacks("stack-volumes-lvmdriver-1".into()),
        };
        assert!(lacks.holds(&facts));
        let not_matches = |fact: &str, re: &str| Condition {
            fact: fact.into(),
            op: Op::NotMatches(regex::Regex::new(re).expect("re")),
        };
        assert!(not_matches("storage.volume_groups", "^stack-volumes").holds(&facts));
        assert!(!not_matches("storage.volume_groups", "-vg$").holds(&facts));
        assert!(!not_matches("os.id", "^ubu").holds(&facts));
        // An unknown fact satisfies no condition, negative ones included.
        assert!(!not_matches("os.codename", "x").holds(&facts));
        assert!(
            !Condition { fact: "storage.loop_backing_files".into(), op: Op::Lacks("x".into()) }.holds(&facts)
        );
    }

    #[test]
    fn severities_order_by_badness() {
        assert!(Severity::Info < Severity::Warning && Severity::Error < Severity::Critical);
        assert_eq!(Severity::parse("warning"), Some(Severity::Warning));
        assert_eq!(Severity::parse("fatal"), None);
    }
}
