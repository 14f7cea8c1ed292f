//! Second phase of loading: raw rules become [`Rule`]s. Every problem in every file is collected and
//! reported with its position; a rule with any problem is left out of the set.

use std::{collections::BTreeMap, ops::Range, path::Path};

use toml::Spanned;

use super::{
    raw::{RawRule, RawSignature, RawTest, RawWhen},
    Condition, Fix, MatchMode, Op, Pattern, Problem, Reference, Rule, RuleSet, RuleSource, RuleTest,
    Severity, Signature, AREAS,
};
use crate::{
    facts::{self, FactKind, FactValue, Facts},
    suggest,
};

/// The longest `within` window for `followed_by`.
const MAX_WITHIN: i64 = 1000;

pub(super) fn load(sources: &[RuleSource]) -> (RuleSet, Vec<Problem>) {
    use rayon::prelude::*;
    // Files are independent until the set-level checks: parse and validate them in parallel, which
    // halves start-up on two cores. The order of the results is the order of the sources.
    let per_file: Vec<(Option<Rule>, Vec<Problem>)> = sources.par_iter().map(load_one).collect();
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    for ((rule, mut found), source) in per_file.into_iter().zip(sources) {
        if let Some(rule) = rule {
            rules.push((rule, source));
        }
        problems.append(&mut found);
    }
    check_set(&mut rules, &mut problems);
    let mut rules: Vec<Rule> = rules.into_iter().map(|(rule, _)| rule).collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    problems.sort();
    (RuleSet { rules }, problems)
}

/// Parses and validates one file: the rule if it has no problem, and its problems.
fn load_one(source: &RuleSource) -> (Option<Rule>, Vec<Problem>) {
    let mut ctx = Ctx { source, problems: Vec::new() };
    let rule = match toml::from_str::<RawRule>(&source.text) {
        Ok(raw) => ctx.rule(raw).filter(|_| ctx.problems.is_empty()),
        Err(err) => {
            let span = err.span().unwrap_or(0..0);
            ctx.push(&span, err.message().trim_end_matches('.').to_string());
            None
        }
    };
    (rule, ctx.problems)
}

/// Checks that need every rule: unique ids and aliases, `explains` targets that exist.
fn check_set(rules: &mut Vec<(Rule, &RuleSource)>, problems: &mut Vec<Problem>) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for (index, (rule, _)) in rules.iter().enumerate() {
        for name in std::iter::once(&rule.id).chain(&rule.aliases) {
            if let Some(first) = seen.get(name) {
                problems.push(Problem {
                    path: rule.path.clone(),
                    line: 1,
                    col: 1,
                    message: format!("id `{name}` is already used by {first}"),
                });
                duplicates.push(index);
            } else {
                seen.insert(name.clone(), rule.path.clone());
            }
        }
    }
    for index in duplicates.into_iter().rev() {
        rules.remove(index);
    }
    let ids: Vec<String> = rules.iter().map(|(r, _)| r.id.clone()).collect();
    let mut broken = Vec::new();
    for (index, (rule, source)) in rules.iter().enumerate() {
        for target in &rule.explains {
            if !ids.contains(target) {
                let offset = source.text.find(&format!("\"{target}\"")).unwrap_or(0);
                let (line, col) = position(&source.text, offset);
                let hint = did_you_mean(target, ids.iter().map(String::as_str));
                problems.push(Problem {
                    path: rule.path.clone(),
                    line,
                    col,
                    message: format!("`explains` names unknown rule `{target}`{hint}"),
                });
                broken.push(index);
            }
        }
    }
    broken.dedup();
    for index in broken.into_iter().rev() {
        rules.remove(index);
    }
}

struct Ctx<'a> {
    source: &'a RuleSource,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn push(&mut self, span: &Range<usize>, message: String) {
        let (line, col) = position(&self.source.text, span.start);
        self.problems.push(Problem { path: self.source.path.clone(), line, col, message });
    }

    fn rule(&mut self, raw: RawRule) -> Option<Rule> {
        let path = Path::new(&self.source.path);
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let folder = path.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap_or_default();

        let id = raw.id.get_ref().clone();
        if !is_kebab(&id) {
            self.push(&raw.id.span(), format!("id `{id}` is not kebab-case"));
        } else if id != stem {
            self.push(&raw.id.span(), format!("id `{id}` does not match the file name `{stem}.toml`"));
        }
        let title = self.text(&raw.title, "title");
        if title.ends_with('.') {
            self.push(&raw.title.span(), "title ends with a period".to_string());
        }
        let severity = Severity::parse(raw.severity.get_ref());
        if severity.is_none() {
            self.push(
                &raw.severity.span(),
                format!("unknown severity `{}` (info, warning, error, critical)", raw.severity.get_ref()),
            );
        }
        let area = raw.area.get_ref().clone();
        if !AREAS.contains(&area.as_str()) {
            let hint = did_you_mean(&area, AREAS.iter().copied());
            self.push(&raw.area.span(), format!("unknown area `{area}`{hint}"));
        } else if AREAS.contains(&folder) && folder != area {
            self.push(&raw.area.span(), format!("area `{area}` does not match the folder `{folder}`"));
        }
        let summary = self.text(&raw.summary, "summary");
        let match_mode = match raw.match_mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("any", _)) => MatchMode::Any,
            Some(("all", _)) => MatchMode::All,
            Some((other, span)) => {
                self.push(&span, format!("unknown match mode `{other}` (any, all)"));
                MatchMode::Any
            }
        };
        let explains = self.ids(&raw.explains, "explains");
        if explains.contains(&id) {
            self.push(&raw.id.span(), "a rule cannot explain itself".to_string());
        }
        let aliases = self.ids(&raw.aliases, "aliases");

        let signatures: Vec<Signature> = raw.signatures.iter().filter_map(|s| self.signature(s)).collect();
        let conditions: Vec<Condition> = raw.when.iter().filter_map(|w| self.condition(w)).collect();
        let fallback = raw.fallback.as_ref().is_some_and(|f| *f.get_ref());
        if raw.signatures.is_empty() && raw.when.is_empty() {
            self.push(&raw.id.span(), "a rule needs at least one [[signatures]] or [[when]]".to_string());
        }

        // Built-in rules were checked when the crate was tested; their regexes compile on first use.
        let mut known_names: Vec<String> = Vec::new();
        for sig in signatures.iter().filter(|_| !self.source.trusted) {
            known_names.extend(sig.regex.regex().capture_names().flatten().map(str::to_string));
            if let Some(follow) = &sig.followed_by {
                known_names.extend(follow.regex().capture_names().flatten().map(str::to_string));
            }
        }
        let fix = self.fix(&raw.fix, &known_names);

        if raw.references.is_empty() {
            self.push(&raw.id.span(), "a rule needs at least one [[references]]".to_string());
        }
        let references = raw
            .references
            .iter()
            .map(|r| {
                let r = r.get_ref();
                let title = self.text(&r.title, "reference title");
                let url = r.url.get_ref().clone();
                if !url.starts_with("https://")
                    || url.len() <= "https://".len()
                    || url.contains(char::is_whitespace)
                {
                    self.push(&r.url.span(), format!("reference url `{url}` is not an https URL"));
                }
                Reference { title, url }
            })
            .collect();

        let tests: Vec<RuleTest> = raw.tests.iter().filter_map(|t| self.test(t, &known_names)).collect();
        if !tests.iter().any(|t| t.expect_match) {
            self.push(&raw.id.span(), "a rule needs at least one test with expect = \"match\"".to_string());
        }
        if !tests.iter().any(|t| !t.expect_match) {
            self.push(
                &raw.id.span(),
                "a rule needs at least one test with expect = \"no-match\"".to_string(),
            );
        }

        Some(Rule {
            id,
            title,
            severity: severity?,
            area,
            summary,
            match_mode,
            explains,
            aliases,
            fallback,
            signatures,
            conditions,
            fix,
            references,
            tests,
            path: self.source.path.clone(),
        })
    }

    fn text(&mut self, value: &Spanned<String>, what: &str) -> String {
        let text = value.get_ref().trim().to_string();
        if text.is_empty() {
            self.push(&value.span(), format!("{what} is empty"));
        }
        text
    }

    fn ids(&mut self, values: &[Spanned<String>], what: &str) -> Vec<String> {
        values
            .iter()
            .map(|v| {
                if !is_kebab(v.get_ref()) {
                    self.push(&v.span(), format!("{what} entry `{}` is not a kebab-case id", v.get_ref()));
                }
                v.get_ref().clone()
            })
            .collect()
    }

    fn regex(&mut self, value: &Spanned<String>, what: &str) -> Option<Pattern> {
        if self.source.trusted {
            return Some(Pattern::lazy(value.get_ref()));
        }
        match Pattern::compile(value.get_ref()) {
            Ok(pattern) if pattern.regex().is_match(b"") => {
                self.push(&value.span(), format!("{what} matches the empty line"));
                None
            }
            Ok(pattern) => Some(pattern),
            Err(err) => {
                let first = err.to_string();
                let detail = first.lines().last().unwrap_or_default().trim().trim_start_matches("error: ");
                self.push(&value.span(), format!("{what} does not compile: {detail}"));
                None
            }
        }
    }

    fn signature(&mut self, spanned: &Spanned<RawSignature>) -> Option<Signature> {
        let raw = spanned.get_ref();
        let regex = self.regex(&raw.regex, "regex");
        let followed_by = match &raw.followed_by {
            Some(f) => Some(self.regex(f, "followed_by")?),
            None => None,
        };
        let within = match (&raw.within, &raw.followed_by) {
            (Some(w), None) => {
                self.push(&w.span(), "`within` needs `followed_by`".to_string());
                10
            }
            (Some(w), Some(_)) if !(1..=MAX_WITHIN).contains(w.get_ref()) => {
                self.push(&w.span(), format!("`within` must be between 1 and {MAX_WITHIN}"));
                10
            }
            (Some(w), Some(_)) => u32::try_from(*w.get_ref()).unwrap_or(10),
            (None, _) => 10,
        };
        for glob in &raw.files {
            if let Err(err) = globset::Glob::new(glob.get_ref()) {
                self.push(&glob.span(), format!("bad file glob `{}`: {}", glob.get_ref(), err.kind()));
            }
        }
        Some(Signature {
            files: raw.files.iter().map(|g| g.get_ref().clone()).collect(),
            regex: regex?,
            followed_by,
            within,
            in_xtrace: raw.in_xtrace.unwrap_or(false),
        })
    }

    fn condition(&mut self, spanned: &Spanned<RawWhen>) -> Option<Condition> {
        let raw = spanned.get_ref();
        let key = raw.fact.get_ref();
        let Some(def) = facts::lookup(key) else {
            let hint = did_you_mean(key, facts::CATALOGUE.iter().map(|d| d.key));
            self.push(&raw.fact.span(), format!("unknown fact `{key}`{hint}"));
            return None;
        };
        let given = [
            raw.eq.is_some(),
            raw.ne.is_some(),
            raw.one_of.is_some(),
            raw.at_least.is_some(),
            raw.at_most.is_some(),
            raw.matches.is_some(),
            raw.contains.is_some(),
            raw.lacks.is_some(),
            raw.not_matches.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            self.push(
                &spanned.span(),
                format!(
                    "[[when]] on `{key}` needs exactly one of eq, ne, one_of, at_least, at_most, matches, not_matches, contains, lacks (found {given})"
                ),
            );
            return None;
        }
        let kind_problem = |op: &str| kind_problem(op, key, def.kind);
        let op = if let Some(v) = &raw.eq {
            Op::Eq(self.value(v, def.kind, key)?)
        } else if let Some(v) = &raw.ne {
            Op::Ne(self.value(v, def.kind, key)?)
        } else if let Some(vs) = &raw.one_of {
            let values: Vec<FactValue> = vs
                .get_ref()
                .iter()
                .filter_map(|v| self.value(&Spanned::new(vs.span(), v.clone()), def.kind, key))
                .collect();
            if values.len() != vs.get_ref().len() {
                return None;
            }
            Op::OneOf(values)
        } else if let Some(n) = &raw.at_least {
            if def.kind != FactKind::Int {
                self.push(&n.span(), kind_problem("at_least"));
                return None;
            }
            Op::AtLeast(*n.get_ref())
        } else if let Some(n) = &raw.at_most {
            if def.kind != FactKind::Int {
                self.push(&n.span(), kind_problem("at_most"));
                return None;
            }
            Op::AtMost(*n.get_ref())
        } else if let Some(pattern) = &raw.matches {
            Op::Matches(self.fact_regex(pattern, def.kind, "matches", key)?)
        } else if let Some(pattern) = &raw.not_matches {
            Op::NotMatches(self.fact_regex(pattern, def.kind, "not_matches", key)?)
        } else if let Some(item) = &raw.contains {
            Op::Contains(self.list_item(item, def.kind, "contains", key)?)
        } else if let Some(item) = &raw.lacks {
            Op::Lacks(self.list_item(item, def.kind, "lacks", key)?)
        } else {
            return None;
        };
        Some(Condition { fact: key.clone(), op })
    }

    /// The regex of a `matches`/`not_matches` condition, which applies to strings and lists.
    fn fact_regex(
        &mut self,
        pattern: &Spanned<String>,
        kind: FactKind,
        op: &str,
        key: &str,
    ) -> Option<regex::Regex> {
        if !matches!(kind, FactKind::Str | FactKind::List) {
            self.push(&pattern.span(), kind_problem(op, key, kind));
            return None;
        }
        match regex::Regex::new(pattern.get_ref()) {
            Ok(re) => Some(re),
            Err(err) => {
                let detail = err
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .trim_start_matches("error: ")
                    .to_string();
                self.push(&pattern.span(), format!("{op} does not compile: {detail}"));
                None
            }
        }
    }

    /// The item of a `contains`/`lacks` condition, which applies to lists.
    fn list_item(&mut self, item: &Spanned<String>, kind: FactKind, op: &str, key: &str) -> Option<String> {
        if kind != FactKind::List {
            self.push(&item.span(), kind_problem(op, key, kind));
            return None;
        }
        Some(item.get_ref().clone())
    }

    fn value(&mut self, value: &Spanned<toml::Value>, kind: FactKind, key: &str) -> Option<FactValue> {
        match to_fact_value(value.get_ref(), kind) {
            Some(v) => Some(v),
            None => {
                self.push(&value.span(), format!("value for `{key}` must be {}", kind_name(kind)));
                None
            }
        }
    }

    fn fix(&mut self, spanned: &Spanned<super::raw::RawFix>, known_names: &[String]) -> Fix {
        let raw = spanned.get_ref();
        let summary = self.text(&raw.summary, "fix summary");
        if raw.steps.is_empty() {
            self.push(&spanned.span(), "fix needs at least one step".to_string());
        }
        let check = |ctx: &mut Self, text: &Spanned<String>| {
            if ctx.source.trusted {
                return;
            }
            for name in super::placeholders(text.get_ref()) {
                if !known_names.contains(&name) && facts::lookup(&name).is_none() {
                    ctx.push(
                        &text.span(),
                        format!("placeholder `{{{name}}}` is neither a named capture nor a fact"),
                    );
                }
            }
        };
        check(self, &raw.summary);
        let steps = raw
            .steps
            .iter()
            .map(|s| {
                check(self, s);
                self.text(s, "fix step")
            })
            .collect();
        Fix { summary, steps }
    }

    fn test(&mut self, spanned: &Spanned<RawTest>, known_names: &[String]) -> Option<RuleTest> {
        let raw = spanned.get_ref();
        let (line, col) = position(&self.source.text, spanned.span().start);
        let expect_match = match raw.expect.get_ref().as_str() {
            "match" => true,
            "no-match" => false,
            other => {
                self.push(&raw.expect.span(), format!("unknown expect `{other}` (match, no-match)"));
                return None;
            }
        };
        if raw.log.is_none() && raw.facts.is_none() {
            self.push(&spanned.span(), format!("test `{}` has neither log nor facts", raw.name.get_ref()));
        }
        let mut facts = Facts::new();
        if let Some(table) = &raw.facts {
            for (key, value) in table.get_ref() {
                match facts::lookup(key) {
                    None => {
                        let hint = did_you_mean(key, facts::CATALOGUE.iter().map(|d| d.key));
                        self.push(&table.span(), format!("test fact `{key}` is not in the catalogue{hint}"));
                    }
                    Some(def) => match to_fact_value(value, def.kind) {
                        Some(v) => {
                            facts.insert(key.clone(), v);
                        }
                        None => self.push(
                            &table.span(),
                            format!("test fact `{key}` must be {}", kind_name(def.kind)),
                        ),
                    },
                }
            }
        }
        let captures = raw.captures.as_ref().map(|c| c.get_ref().clone()).unwrap_or_default();
        if let Some(c) = raw.captures.as_ref().filter(|_| !self.source.trusted) {
            for name in c.get_ref().keys() {
                if !known_names.contains(name) {
                    self.push(
                        &c.span(),
                        format!("test expects capture `{name}`, which no signature defines"),
                    );
                }
            }
        }
        Some(RuleTest {
            name: raw.name.get_ref().clone(),
            expect_match,
            log: raw.log.as_ref().map(|l| l.get_ref().clone()).unwrap_or_default(),
            facts,
            captures,
            line,
            col,
        })
    }
}

fn to_fact_value(value: &toml::Value, kind: FactKind) -> Option<FactValue> {
    match (kind, value) {
        (FactKind::Bool, toml::Value::Boolean(b)) => Some(FactValue::Bool(*b)),
        (FactKind::Int, toml::Value::Integer(i)) => Some(FactValue::Int(*i)),
        (FactKind::Str, toml::Value::String(s)) => Some(FactValue::Str(s.clone())),
        (FactKind::List, toml::Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(FactValue::List),
        _ => None,
    }
}

fn kind_problem(op: &str, key: &str, kind: FactKind) -> String {
    format!("`{op}` does not apply to `{key}`, which is {:?}", kind).to_lowercase()
}

fn kind_name(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Bool => "a boolean",
        FactKind::Int => "an integer",
        FactKind::Str => "a string",
        FactKind::List => "a list of strings",
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `, did you mean `x`?` or nothing.
fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let close = suggest::closest(name, candidates, 3);
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "))
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary_compat(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut index: usize) -> usize {
        while index > 0 && !self.is_char_boundary(index) {
            index -= 1;
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(path: &str, text: &str) -> RuleSource {
        RuleSource { path: path.to_string(), text: text.to_string(), trusted: false }
    }

    const GOOD: &str = r#"id = "demo-rule"
title = "A demo failure"
severity = "error"
area = "git"
summary = "Something broke."
[[signatures]]
regex = '''fatal: (?P<what>\w+) broke'''
[fix]
summary = "Fix {what}."
steps = ["do it"]
[[references]]
title = "ref"
url = "https://example.org/x"
[[tests]]
name = "hit"
expect = "match"
log = "fatal: git broke"
[[tests]]
name = "miss"
expect = "no-match"
log = "fine"
"#;

    #[test]
    fn a_good_rule_loads() {
        let (set, problems) = load(&[src("rules/git/demo-rule.toml", GOOD)]);
        assert_eq!(problems, vec![]);
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.rules[0].severity, Severity::Error);
    }

    #[test]
    fn every_problem_is_reported_with_position() {
        let bad = GOOD
            .replace("severity = \"error\"", "severity = \"fatal\"")
            .replace("url = \"https://example.org/x\"", "url = \"http://example.org/x\"")
            .replace("Fix {what}.", "Fix {nothing}.")
            .replace("expect = \"no-match\"", "expect = \"match\"");
        let (set, problems) = load(&[src("rules/git/demo-rule.toml", &bad)]);
        assert!(set.rules.is_empty());
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.contains(
                &"rules/git/demo-rule.toml:3:12: unknown severity `fatal` (info, warning, error, critical)"
                    .to_string()
            ),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("rules/git/demo-rule.toml:13:7: reference url")),
            "{text:#?}"
        );
        assert!(text.iter().any(|t| t.contains("placeholder `{nothing}`")), "{text:#?}");
        assert!(text.iter().any(|t| t.contains("no-match")), "{text:#?}");
    }

    #[test]
    fn unknown_keys_and_syntax_errors_have_positions() {
        let bad = GOOD.replace("area = \"git\"", "area = \"git\"\ncolour = \"red\"");
        let (_, problems) = load(&[src("rules/git/demo-rule.toml", &bad)]);
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].line, problems[0].col), (5, 1), "{}", problems[0]);
        assert!(problems[0].message.contains("colour"), "{}", problems[0]);
    }

    #[test]
    fn id_must_match_file_and_empty_regex_is_rejected() {
        let bad = GOOD.replace(r"'''fatal: (?P<what>\w+) broke'''", r"'''(?P<what>x*)'''");
        let (_, problems) = load(&[src("rules/git/other-name.toml", &bad)]);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("does not match the file name")), "{text:#?}");
        assert!(text.iter().any(|t| t.contains("matches the empty line")), "{text:#?}");
    }

    #[test]
    fn unknown_fact_gets_a_suggestion() {
        let bad = GOOD.replace("[fix]", "[[when]]\nfact = \"run.statu\"\neq = \"failed\"\n[fix]");
        let (_, problems) = load(&[src("rules/git/demo-rule.toml", &bad)]);
        assert!(problems.iter().any(|p| p.message.contains("did you mean `run.status`")), "{problems:#?}");
    }

    #[test]
    fn conditions_check_their_kind_and_regex() {
        let with = |when: &str| GOOD.replace("[fix]", &format!("[[when]]\n{when}\n[fix]"));
        let problems = |when: &str| {
            load(&[src("rules/git/demo-rule.toml", &with(when))])
                .1
                .into_iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
        };
        assert!(problems("fact = \"os.id\"\nlacks = \"x\"")
            .iter()
            .any(|p| p.contains("`lacks` does not apply to `os.id`")));
        assert!(problems("fact = \"user.uid\"\nnot_matches = \"x\"")
            .iter()
            .any(|p| p.contains("`not_matches` does not apply")));
        let bad = problems("fact = \"os.id\"\nnot_matches = \"(unclosed\"");
        assert!(
            bad.iter().any(|p| p.starts_with("rules/git/demo-rule.toml:10:15:")
                && p.contains("not_matches does not compile")),
            "{bad:?}"
        );
        assert!(problems("fact = \"storage.volume_groups\"\nlacks = \"vg\"").is_empty());
    }

    #[test]
    fn duplicates_and_unknown_explains_are_set_problems() {
        let with_explains =
            GOOD.replace("summary = \"Something broke.\"", "summary = \"x\"\nexplains = [\"no-such-rule\"]");
        let (set, problems) = load(&[
            src("rules/git/demo-rule.toml", GOOD),
            src("extra/git/demo-rule.toml", GOOD),
            src("rules/tls/demo-rule.toml", &with_explains.replace("area = \"git\"", "area = \"tls\"")),
        ]);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("already used")), "{text:#?}");
        assert_eq!(set.rules.len(), 1);
    }

    #[test]
    fn position_counts_lines_and_columns() {
        assert_eq!(position("ab\ncd", 4), (2, 2));
        assert_eq!(position("", 0), (1, 1));
    }
}
