//! The knowledge base proves itself: every built-in rule loads without a problem, every embedded
//! test passes, the coverage the product promises is there, and every DevStack commit a rule cites
//! is a real commit of DevStack.

use std::collections::BTreeMap;

use devstack_doctor::{
    engine::{selftest, Matcher},
    rules::AREAS,
};

use crate::support::{builtin_rules, files_under, root};

#[test]
fn every_rule_loads_and_passes_its_own_tests() {
    let rules = builtin_rules();
    let matcher = Matcher::new(&rules).expect("rules compile");
    let failures = selftest::run_all(&matcher);
    assert!(
        failures.is_empty(),
        "rule tests failed:\n{}",
        failures.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_rule_has_a_match_and_a_no_match_test() {
    for rule in builtin_rules().rules {
        assert!(rule.tests.iter().any(|t| t.expect_match), "{} has no match test", rule.id);
        assert!(rule.tests.iter().any(|t| !t.expect_match), "{} has no no-match test", rule.id);
    }
}

#[test]
fn every_rule_file_is_embedded() {
    let on_disk = files_under("rules", ".toml").len();
    assert_eq!(builtin_rules().rules.len(), on_disk, "a rule file on disk did not load");
}

#[test]
fn the_knowledge_base_covers_its_areas() {
    let rules = builtin_rules();
    let mut by_area: BTreeMap<&str, usize> = BTreeMap::new();
    for rule in &rules.rules {
        *by_area.entry(rule.area.as_str()).or_default() += 1;
    }
    assert!(rules.rules.len() >= 30, "only {} rules", rules.rules.len());
    assert!(by_area.len() >= 10, "only {} areas: {by_area:?}", by_area.len());
    for area in by_area.keys() {
        assert!(AREAS.contains(area));
    }
    for id in ["git-tls-ca-missing", "pip-wheel-build-failed", "stack-sh-failed"] {
        assert!(rules.get(id).is_some(), "missing the rule {id}");
    }
    assert!(by_area.get("reboot").is_some_and(|n| *n >= 1), "no reboot rule");
}

#[test]
fn cited_devstack_commits_exist() {
    let known = std::fs::read_to_string(root().join("tests/data/devstack-commits.txt")).expect("commit list");
    let known: std::collections::HashSet<&str> = known.lines().collect();
    let mut cited = 0;
    for rule in builtin_rules().rules {
        for reference in &rule.references {
            if let Some(rest) = reference.url.strip_prefix("https://opendev.org/openstack/devstack/commit/") {
                let hash = rest.trim_end_matches('/');
                assert_eq!(hash.len(), 40, "{}: cite the full commit hash, not {hash}", rule.id);
                assert!(known.contains(hash), "{}: {hash} is not a DevStack commit", rule.id);
                cited += 1;
            }
            for word in reference.url.split(|c: char| !c.is_ascii_hexdigit()) {
                if word.len() == 40 && reference.url.contains("devstack") {
                    assert!(known.contains(word), "{}: {word} is not a DevStack commit", rule.id);
                }
            }
        }
    }
    assert!(cited > 0, "no rule cites a DevStack commit");
}

#[test]
fn the_reboot_rules_cite_the_policy_commit() {
    let rules = builtin_rules();
    for rule in rules.rules.iter().filter(|r| r.area == "reboot") {
        assert!(
            rule.references.iter().any(|r| r.url.contains("9ba49cd82631ada84b8458b370ac535985d57725")),
            "{} does not cite the rejoin-stack.sh removal",
            rule.id
        );
    }
}

#[test]
fn every_signature_has_a_literal_for_the_prefilter() {
    // A signature without a required literal of at least three bytes is checked on every line of
    // every file, which is what makes a scanner slow; the knowledge base has none.
    let rules = builtin_rules();
    let mut missing = Vec::new();
    for rule in &rules.rules {
        for sig in &rule.signatures {
            if devstack_doctor::engine::literals::required(sig.regex.as_str()).is_none() {
                missing.push(format!("{}: {}", rule.id, sig.regex.as_str()));
            }
        }
    }
    assert!(missing.is_empty(), "signatures without a literal:\n{}", missing.join("\n"));
}
