//! The report: what a diagnosis found, as one data type that every renderer reads. Its JSON form is
//! the stable, versioned contract for scripts ([`SCHEMA_VERSION`]). Renderers live in [`text`] and
//! [`json`]; they write to the `impl Write` they are given and print nothing themselves.

pub mod explain;
pub mod json;
pub mod listing;
pub mod markdown;
pub mod text;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{
    facts::FactValue,
    rules::{Fix, Reference, Severity},
    run::{NumberedLine, RunStatus},
};

/// Version of the JSON document. Fields are only ever added within a version.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole result of a diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// See [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Name and version of the tool.
    pub tool: Tool,
    /// Whether secrets were redacted from every piece of evidence.
    pub redacted: bool,
    /// How the stack.sh run ended.
    pub run: RunReport,
    /// Findings, root cause first.
    pub findings: Vec<Finding>,
    /// Inputs that could not be read (fully or at all).
    pub errors: Vec<InputProblem>,
    /// Inputs read with a caveat (invalid UTF-8, cut lines).
    pub warnings: Vec<InputProblem>,
    /// Counts.
    pub stats: Stats,
}

/// Name and version of the tool.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always `devstack-doctor`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Tool {
        Tool { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") }
    }
}

/// How the stack.sh run ended, as far as the logs tell.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RunReport {
    /// failed, succeeded or unknown.
    pub status: RunStatus,
    /// The last phase reached, if known.
    pub phase: Option<String>,
    /// Where it failed.
    pub failed_at: Option<Location>,
    /// The `[Call Trace]` of the first error, outermost frame first.
    pub call_trace: Vec<String>,
    /// The command that was running when it failed.
    pub failing_command: Option<Location>,
    /// The log the run model followed.
    pub log: Option<String>,
}

/// A line in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The file, as shown to the user.
    pub path: String,
    /// 1-based line; 0 when the evidence is not a line (facts).
    pub line: u64,
    /// The message on that line (time stamp and colour removed, capped).
    pub text: String,
}

impl Location {
    /// A location from a path and a numbered line.
    pub fn at(path: &str, line: &NumberedLine) -> Location {
        Location { path: path.to_string(), line: line.line, text: line.text.clone() }
    }
}

/// One rule that matched.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// How bad.
    pub severity: Severity,
    /// The rule's area.
    pub area: String,
    /// 1 for the root cause.
    pub rank: usize,
    /// Whether this is the most likely root cause.
    pub root_cause: bool,
    /// Ids of other findings in this report that this one accounts for.
    pub explains: Vec<String>,
    /// The finding that accounts for this one, if any.
    pub explained_by: Option<String>,
    /// What happened and why.
    pub summary: String,
    /// The first evidence lines (capped per file).
    pub evidence: Vec<Location>,
    /// Total matching lines, of which `evidence` shows the first few.
    pub hits: u64,
    /// The facts the rule's conditions tested, with their values.
    pub facts: BTreeMap<String, FactValue>,
    /// How to fix it, placeholders filled in.
    pub fix: Fix,
    /// Where the knowledge comes from.
    pub references: Vec<Reference>,
}

/// A problem with one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputProblem {
    /// The path (or `-`).
    pub path: String,
    /// Lowercase, no trailing period.
    pub message: String,
}

impl InputProblem {
    /// A problem with `path`.
    pub fn new(path: &str, message: impl Into<String>) -> InputProblem {
        InputProblem { path: path.to_string(), message: message.into() }
    }
}

/// Counts about the scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Files (and stdin) scanned.
    pub files: u64,
    /// Bytes read, decompressed.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Rules loaded.
    pub rules: u64,
}

impl Report {
    /// The findings at or above a severity.
    pub fn at_least(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity >= severity)
    }
}
