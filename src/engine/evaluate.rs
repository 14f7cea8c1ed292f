//! From hits and facts to ranked findings. A rule fires when its signatures hit (any or all of them)
//! and every condition on facts holds. Ranking puts the root cause first: findings that another
//! finding `explains` go last; then errors before warnings before hints; a finding backed by both a
//! log line and a fact before one backed by either alone; then evidence that came earlier in the run
//! (its fallout comes later); ties by severity, id, path and line. A `fallback` rule (the generic
//! "stack.sh failed") fires only when the run failed and no specific error-level rule fired.

use std::collections::BTreeMap;

use super::{compile::Matcher, scan::SourceScan};
use crate::{
    facts::{FactValue, Facts},
    input::Role,
    report::{Finding, Location, RunReport},
    rules::{interpolate, MatchMode, Rule, Severity},
    run::{RunStatus, RunSummary},
};

/// Evidence lines shown per rule per file.
const MAX_LINES_PER_FILE: usize = 4;

/// The outcome of evaluating rules.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// How the run ended.
    pub run: RunReport,
    /// Findings, ranked.
    pub findings: Vec<Finding>,
}

/// Options for [`evaluate`].
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalOptions {
    /// Keep `info` findings.
    pub include_info: bool,
}

struct Candidate<'r> {
    rule: &'r Rule,
    finding: Finding,
    /// (file priority, scan index, line): smaller is earlier in the run.
    position: (u8, usize, u64),
    has_evidence: bool,
    has_facts: bool,
}

/// Picks the run summary that describes the run: the last stack log with a decided status, else the
/// last one that looked like a run; a summary file supplies the phase (and the status) when the log
/// does not.
pub fn primary_run(scans: &[SourceScan]) -> Option<(usize, RunSummary)> {
    let logs = || scans.iter().enumerate().filter(|(_, s)| s.role == Some(Role::StackLog) && s.run.is_some());
    let chosen = logs()
        .rfind(|(_, s)| s.run.as_ref().is_some_and(|r| r.status != RunStatus::Unknown))
        .or_else(|| logs().rfind(|(_, s)| s.run.as_ref().is_some_and(|r| r.saw_run)))
        .or_else(|| logs().next_back());
    let summary =
        scans.iter().filter(|s| s.role == Some(Role::Summary)).filter_map(|s| s.run.as_ref()).next_back();
    match (chosen, summary) {
        (Some((index, scan)), summary) => {
            let mut run = scan.run.clone().unwrap_or_default();
            if let Some(summary) = summary {
                if run.phase.is_none() {
                    run.phase.clone_from(&summary.phase);
                }
                if run.status == RunStatus::Unknown {
                    run.status = summary.status;
                }
            }
            Some((index, run))
        }
        (None, Some(summary)) => {
            let index = scans.iter().rposition(|s| s.role == Some(Role::Summary)).unwrap_or(0);
            Some((index, summary.clone()))
        }
        (None, None) => None,
    }
}

/// Evaluates every rule against the scans and facts.
pub fn evaluate(
    matcher: &Matcher<'_>,
    scans: &[SourceScan],
    host_facts: &Facts,
    options: EvalOptions,
) -> Evaluation {
    let primary = primary_run(scans);
    let mut facts = host_facts.clone();
    let status = primary.as_ref().map_or(RunStatus::Unknown, |(_, r)| r.status);
    // Facts given by the caller win: rule tests may set the run facts themselves.
    facts.entry("run.status".into()).or_insert_with(|| FactValue::Str(status.as_str().into()));
    if let Some(phase) = primary.as_ref().and_then(|(_, r)| r.phase.clone()) {
        facts.entry("run.phase".into()).or_insert(FactValue::Str(phase));
    }
    if let Some((_, run)) = &primary {
        for (key, value) in [("time.last_run_start", run.started), ("time.last_run_end", run.ended)] {
            if let Some(value) = value {
                facts.entry(key.into()).or_insert(FactValue::Int(value));
            }
        }
    }
    // A reboot after the run ended: the boot time (host) is later than the run's last line (log).
    if let (Some(FactValue::Int(boot)), Some(FactValue::Int(end))) =
        (facts.get("time.boot"), facts.get("time.last_run_end"))
    {
        let rebooted = boot > end;
        facts.entry("host.rebooted_since_run".into()).or_insert(FactValue::Bool(rebooted));
    }
    let run = run_report(scans, primary.as_ref());

    // Flat signature indexes of each rule.
    let mut sigs_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (flat, r) in matcher.sigs.iter().enumerate() {
        sigs_of.entry(r.rule).or_default().push(flat);
    }

    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for (index, rule) in matcher.rules.rules.iter().enumerate() {
        if rule.fallback {
            continue;
        }
        let flats = sigs_of.get(&index).map(Vec::as_slice).unwrap_or_default();
        if let Some(c) = fire(rule, flats, scans, &facts, primary.as_ref().map(|(i, _)| *i)) {
            candidates.push(c);
        }
    }
    let explained_failure = candidates.iter().any(|c| c.rule.severity >= Severity::Error);
    if !explained_failure {
        for (index, rule) in matcher.rules.rules.iter().enumerate() {
            if !rule.fallback {
                continue;
            }
            let flats = sigs_of.get(&index).map(Vec::as_slice).unwrap_or_default();
            if let Some(mut c) = fire(rule, flats, scans, &facts, primary.as_ref().map(|(i, _)| *i)) {
                if let Some((scan_index, summary)) = &primary {
                    let path = &scans[*scan_index].path;
                    c.finding.evidence = summary.context.iter().map(|l| Location::at(path, l)).collect();
                    if c.finding.evidence.is_empty() {
                        c.finding.evidence.extend(summary.failed_at().map(|l| Location::at(path, l)));
                    }
                    c.finding.hits = c.finding.evidence.len() as u64;
                    c.has_evidence = !c.finding.evidence.is_empty();
                    c.position = (0, *scan_index, summary.failed_at().map_or(u64::MAX, |l| l.line));
                }
                candidates.push(c);
            }
        }
    }
    if !options.include_info {
        candidates.retain(|c| c.rule.severity > Severity::Info);
    }
    rank(&mut candidates);
    Evaluation { run, findings: candidates.into_iter().map(|c| c.finding).collect() }
}

fn run_report(scans: &[SourceScan], primary: Option<&(usize, RunSummary)>) -> RunReport {
    let Some((index, run)) = primary else {
        return RunReport::default();
    };
    let path = &scans[*index].path;
    RunReport {
        status: run.status,
        phase: run.phase.clone(),
        failed_at: run.failed_at().map(|l| Location::at(path, l)),
        call_trace: run.first_error.as_ref().map(|e| e.call_trace.clone()).unwrap_or_default(),
        failing_command: run
            .failing_command
            .as_ref()
            .filter(|_| run.status == RunStatus::Failed)
            .map(|l| Location::at(path, l)),
        log: Some(path.clone()),
    }
}

fn fire<'r>(
    rule: &'r Rule,
    flats: &[usize],
    scans: &[SourceScan],
    facts: &Facts,
    primary: Option<usize>,
) -> Option<Candidate<'r>> {
    let counts: Vec<u64> =
        flats.iter().map(|f| scans.iter().filter_map(|s| s.hits.get(f)).map(|h| h.count).sum()).collect();
    let signatures_hold = match rule.match_mode {
        _ if flats.is_empty() => true,
        MatchMode::Any => counts.iter().any(|c| *c > 0),
        MatchMode::All => counts.iter().all(|c| *c > 0),
    };
    if !signatures_hold || !rule.conditions.iter().all(|c| c.holds(facts)) {
        return None;
    }
    let mut evidence = Vec::new();
    let mut captures: Option<BTreeMap<String, String>> = None;
    let mut position = (u8::MAX, usize::MAX, u64::MAX);
    for (scan_index, scan) in scans.iter().enumerate() {
        let mut lines: Vec<Location> = Vec::new();
        for flat in flats {
            let Some(hits) = scan.hits.get(flat) else { continue };
            if hits.count == 0 {
                continue;
            }
            let first_line = hits.evidence.first().map_or(u64::MAX, |l| l.line);
            let priority = if Some(scan_index) == primary {
                0
            } else if scan.role == Some(Role::StackLog) {
                1
            } else {
                2
            };
            let here = (priority, scan_index, first_line);
            if here < position {
                position = here;
                captures = Some(hits.captures.clone());
            }
            lines.extend(hits.evidence.iter().map(|l| Location::at(&scan.path, l)));
        }
        lines.sort();
        lines.dedup();
        lines.truncate(MAX_LINES_PER_FILE);
        evidence.extend(lines);
    }
    let used_facts: BTreeMap<String, FactValue> = rule
        .conditions
        .iter()
        .filter_map(|c| facts.get(&c.fact).map(|v| (c.fact.clone(), v.clone())))
        .collect();
    let mut values = captures.unwrap_or_default();
    for (key, value) in facts {
        values.entry(key.clone()).or_insert_with(|| value.display());
    }
    let fix = crate::rules::Fix {
        summary: interpolate(&rule.fix.summary, &values),
        steps: rule.fix.steps.iter().map(|s| interpolate(s, &values)).collect(),
    };
    let has_facts = rule.conditions.iter().any(|c| !c.fact.starts_with("run."));
    Some(Candidate {
        rule,
        has_evidence: !evidence.is_empty(),
        has_facts,
        position,
        finding: Finding {
            rule_id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            area: rule.area.clone(),
            rank: 0,
            root_cause: false,
            explains: Vec::new(),
            explained_by: None,
            summary: rule.summary.clone(),
            hits: counts.iter().sum(),
            evidence,
            facts: used_facts,
            fix,
            references: rule.references.clone(),
        },
    })
}

fn rank(candidates: &mut [Candidate<'_>]) {
    // Who explains whom, among the findings that fired.
    let ids: Vec<String> = candidates.iter().map(|c| c.rule.id.clone()).collect();
    let explainers: Vec<Vec<String>> = candidates
        .iter()
        .map(|c| c.rule.explains.iter().filter(|id| ids.contains(id)).cloned().collect())
        .collect();
    // Explainers in order of their own position, so the earliest explainer is named.
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|i| candidates[*i].position);
    for i in 0..candidates.len() {
        let id = &ids[i];
        let by = order
            .iter()
            .find(|j| **j != i && explainers[**j].contains(id) && !explainers[i].contains(&ids[**j]));
        candidates[i].finding.explained_by = by.map(|j| ids[*j].clone());
        candidates[i].finding.explains = explainers[i].clone();
    }
    candidates.sort_by(|a, b| {
        let key = |c: &Candidate<'_>| {
            let class = match c.rule.severity {
                Severity::Critical | Severity::Error => 0,
                Severity::Warning => 1,
                Severity::Info => 2,
            };
            (
                c.finding.explained_by.is_some(),
                class,
                !(c.has_evidence && c.has_facts),
                c.position,
                std::cmp::Reverse(c.rule.severity),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.rule.id.cmp(&b.rule.id))
    });
    for (index, c) in candidates.iter_mut().enumerate() {
        c.finding.rank = index + 1;
        c.finding.root_cause = index == 0 && c.rule.severity >= Severity::Warning;
    }
}
