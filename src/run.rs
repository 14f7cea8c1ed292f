//! The shape of one stack.sh run, followed line by line: whether it succeeded or failed, the last
//! `echo_summary` phase it reached, the first `[ERROR]` (from `die`) with its `[Call Trace]`, an async
//! task that failed, the command that was running when `Error on exit` came, and the lines around the
//! failure. Works on the log file, console captures and CI output alike because it reads messages
//! (see [`crate::logline`]), not raw lines. It need not see every line: only those that hold one of
//! [`MARKERS`] or a known phase, and every line while [`RunTracker::wants_every_line`]; the lines
//! before a failure are read back when it is seen (see [`Before`]).

use std::sync::{Arc, LazyLock};

use memchr::memmem::Finder;

mod lookback;
pub use lookback::{Before, KeyBlocks, HIDDEN_KEY_LINE};

use serde::Serialize;

/// How the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// `Error on exit`, `stack.sh failed` or a `die` was seen last.
    Failed,
    /// `stack.sh completed in N seconds.` or the final banner was seen last.
    Succeeded,
    /// Neither: an excerpt, or a log cut short.
    #[default]
    Unknown,
}

impl RunStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Failed => "failed",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Unknown => "unknown",
        }
    }
}

/// A line of a log, by number, with its (capped) message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NumberedLine {
    /// 1-based line number.
    pub line: u64,
    /// The message, lossily decoded and capped.
    pub text: String,
}

/// The first fatal error of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirstError {
    /// The `[ERROR] file:line message` line, or the async `FAILED with rc` line.
    pub at: NumberedLine,
    /// Frames of the `[Call Trace]` before it, outermost first.
    pub call_trace: Vec<String>,
}

/// What the run model learned from one log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// How the run ended.
    pub status: RunStatus,
    /// The last phase reached.
    pub phase: Option<String>,
    /// The first `die` or async failure.
    pub first_error: Option<FirstError>,
    /// The last command xtrace showed before `Error on exit` (trap handlers left out).
    pub failing_command: Option<NumberedLine>,
    /// The `Error on exit` or `stack.sh failed` line.
    pub exit_line: Option<NumberedLine>,
    /// Lines around the failure, for a report when no rule explains it.
    pub context: Vec<NumberedLine>,
    /// Whether anything run-shaped was seen at all (phases, xtrace of stack.sh, markers).
    pub saw_run: bool,
    /// Time stamp of the first stamped line (seconds since the epoch, UTC).
    pub started: Option<i64>,
    /// Time stamp of the last stamped line.
    pub ended: Option<i64>,
}

impl RunSummary {
    /// Where the run failed: the first error, else the failing command, else the exit line.
    pub fn failed_at(&self) -> Option<&NumberedLine> {
        if self.status != RunStatus::Failed {
            return None;
        }
        self.first_error.as_ref().map(|e| &e.at).or(self.failing_command.as_ref()).or(self.exit_line.as_ref())
    }
}

/// Lines kept before the failure point.
const CONTEXT_BEFORE: usize = 8;
/// Lines kept after the first error.
const CONTEXT_AFTER: usize = 3;
/// Longest message kept, in characters.
pub const MAX_TEXT: usize = 300;
/// Most call-trace frames kept.
const MAX_FRAMES: usize = 32;

/// Follows a run line by line.
#[derive(Debug, Default)]
pub struct RunTracker {
    summary_file: bool,
    out: RunSummary,
    trace: Option<Vec<String>>,
    after_left: usize,
    /// Applied to every line the summary keeps, before it is capped.
    redactor: Option<Arc<crate::redact::Redactor>>,
    /// The start of the last line that looked time-stamped.
    last_stamp: Vec<u8>,
}

/// `YYYY-MM-DD hh:mm:ss`.
const STAMP_LEN: usize = 19;
/// Enough of a line to parse its stamps (a Zuul prefix and DevStack's).
const STAMP_KEEP: usize = 96;

impl RunTracker {
    /// A tracker for a stack.sh log; `summary_file` for a `.summary` file, where every line is a phase.
    pub fn new(summary_file: bool) -> RunTracker {
        RunTracker { summary_file, ..RunTracker::default() }
    }

    /// Redacts every line the summary keeps.
    #[must_use]
    pub fn redacting(mut self, redactor: Arc<crate::redact::Redactor>) -> Self {
        self.redactor = Some(redactor);
        self
    }

    /// A kept line's text: redacted, then capped.
    fn text_of(&self, bytes: &[u8]) -> String {
        redacted_text(self.redactor.as_deref(), bytes)
    }

    /// Notes the time stamp of a raw line, if it has one. Only the first is parsed at once; for the
    /// others the stamp's bytes are kept, and the last one is parsed when the run is summarised.
    pub fn stamp(&mut self, raw: &[u8]) {
        if !looks_stamped(raw) {
            return;
        }
        if self.out.started.is_none() {
            self.out.started = crate::logline::timestamp(raw);
            if self.out.started.is_none() {
                return;
            }
        }
        self.last_stamp.clear();
        self.last_stamp.extend_from_slice(&raw[..raw.len().min(STAMP_KEEP)]);
    }

    /// Whether the first time stamp is known. From then on, [`RunTracker::stamp_last_of`] once per
    /// buffer does what [`RunTracker::stamp`] on every line would.
    pub fn has_start(&self) -> bool {
        self.out.started.is_some()
    }

    /// Notes the time stamp of the first line of `buffer` (whole lines) that has one, unless the
    /// first is known already.
    pub fn stamp_first_of(&mut self, buffer: &[u8]) {
        let mut start = 0;
        while start < buffer.len() && !self.has_start() {
            let end = memchr::memchr(b'\n', &buffer[start..]).map_or(buffer.len(), |i| start + i + 1);
            self.stamp(&buffer[start..end]);
            start = end;
        }
    }

    /// Notes the time stamp of the last line of `buffer` (whole lines) that has one.
    pub fn stamp_last_of(&mut self, buffer: &[u8]) {
        let mut end = buffer.len();
        while end > 0 {
            let start = memchr::memrchr(b'\n', &buffer[..end - 1]).map_or(0, |i| i + 1);
            if looks_stamped(&buffer[start..end]) {
                self.stamp(&buffer[start..end]);
                return;
            }
            end = start;
        }
    }

    /// Feeds one message (see [`crate::logline::message`]).
    pub fn feed(&mut self, line: u64, message: &[u8], xtrace: bool, before: &dyn Fn() -> Before) {
        let text = |redactor: Option<&crate::redact::Redactor>| NumberedLine {
            line,
            text: redacted_text(redactor, message),
        };
        if xtrace {
            self.xtrace(message);
            return;
        }
        let trimmed = message.trim_ascii();
        if self.after_left > 0 {
            self.after_left -= 1;
            self.out.context.push(text(self.redactor.as_deref()));
        }
        if let Some(trace) = &mut self.trace {
            if !trimmed.starts_with(b"[ERROR]") {
                if trace.len() < MAX_FRAMES && !trimmed.is_empty() {
                    trace.push(redacted_text(self.redactor.as_deref(), message));
                }
                return;
            }
        }
        if trimmed == b"[Call Trace]" {
            self.trace = Some(Vec::new());
            self.out.saw_run = true;
        } else if trimmed.starts_with(b"[ERROR] ") {
            let frames = self.trace.take().unwrap_or_default();
            self.error(text(self.redactor.as_deref()), frames, before);
        } else if is_async_failure(trimmed) {
            self.error(text(self.redactor.as_deref()), Vec::new(), before);
        } else if trimmed == b"Error on exit" || is_stack_failed(trimmed) {
            self.failed(text(self.redactor.as_deref()), before);
        } else if is_success(trimmed) {
            self.out.status = RunStatus::Succeeded;
            self.out.saw_run = true;
        } else if let Some(phase) = self.plain_phase(trimmed) {
            self.out.phase = Some(phase);
            self.out.saw_run = true;
        }
    }

    /// The summary of what was fed.
    pub fn finish(mut self) -> RunSummary {
        if self.out.started.is_some() {
            self.out.ended = crate::logline::timestamp(&self.last_stamp).or(self.out.started);
        }
        self.out
    }

    fn xtrace(&mut self, message: &[u8]) {
        if let Some(phase) = echo_summary_arg(message) {
            self.out.phase = Some(phase);
            self.out.saw_run = true;
        }
        if is_stack_sh_command(message) {
            self.out.saw_run = true;
        }
    }

    /// Whether the run model has seen anything run-shaped yet.
    pub fn saw_run(&self) -> bool {
        self.out.saw_run
    }

    /// Notes that an xtrace line of stack.sh itself was seen (see [`is_stack_sh_command`]).
    pub fn note_stack_sh_command(&mut self) {
        self.out.saw_run = true;
    }

    /// Whether every line must be fed: inside a call trace, just after the first error, or in a
    /// summary file. Otherwise only lines that hold one of [`MARKERS`] (and any others) need be.
    pub fn wants_every_line(&self) -> bool {
        self.summary_file || self.trace.is_some() || self.after_left > 0
    }

    fn recent_lines(&self, before: &Before) -> Vec<NumberedLine> {
        before
            .recent
            .iter()
            .map(|(line, text)| NumberedLine { line: *line, text: self.text_of(text) })
            .collect()
    }

    fn error(&mut self, at: NumberedLine, call_trace: Vec<String>, before: &dyn Fn() -> Before) {
        self.out.status = RunStatus::Failed;
        self.out.saw_run = true;
        if self.out.first_error.is_none() {
            self.out.context = self.recent_lines(&before());
            self.out.context.push(at.clone());
            self.after_left = CONTEXT_AFTER;
            self.out.first_error = Some(FirstError { at, call_trace });
        }
    }

    fn failed(&mut self, at: NumberedLine, before: &dyn Fn() -> Before) {
        self.out.status = RunStatus::Failed;
        self.out.saw_run = true;
        if self.out.exit_line.is_none() {
            let before = before();
            let command = before
                .last_command
                .as_ref()
                .map(|(line, text)| NumberedLine { line: *line, text: self.text_of(text) });
            self.out.failing_command = command;
            if self.out.first_error.is_none() {
                self.out.context = self.recent_lines(&before);
                self.out.context.push(at.clone());
            }
            self.out.exit_line = Some(at);
        }
    }

    fn plain_phase(&self, trimmed: &[u8]) -> Option<String> {
        if !self.summary_file && !(MIN_PHASE..=MAX_PHASE).contains(&trimmed.len()) {
            return None;
        }
        let text = std::str::from_utf8(trimmed).ok()?;
        if self.summary_file {
            let skip = text.is_empty()
                || text.starts_with("stack.sh log ")
                || text.starts_with("stack.sh completed in");
            return (!skip).then(|| text.to_string());
        }
        KNOWN_PHASES.contains(&text).then(|| text.to_string())
    }
}

/// Length bounds of [`KNOWN_PHASES`], so that most lines are ruled out at once.
const MIN_PHASE: usize = phase_length(true);
const MAX_PHASE: usize = phase_length(false);

const fn phase_length(shortest: bool) -> usize {
    let mut i = 1;
    let mut length = KNOWN_PHASES[0].len();
    while i < KNOWN_PHASES.len() {
        let this = KNOWN_PHASES[i].len();
        if (shortest && this < length) || (!shortest && this > length) {
            length = this;
        }
        i += 1;
    }
    length
}

/// Phases that `echo_summary` prints in stack.sh and lib/, in the order a run reaches them (used for
/// console captures without xtrace).
pub const KNOWN_PHASES: &[&str] = &[
    "Installing package prerequisites",
    "Installing OpenStack project source",
    "Starting RabbitMQ",
    "Configuring and starting MySQL",
    "Configuring and starting PostgreSQL",
    "Starting Keystone",
    "Configuring Horizon",
    "Configuring Glance",
    "Configuring Neutron",
    "Configuring Swift",
    "Configuring Cinder",
    "Configuring placement",
    "Configuring Nova",
    "Starting Swift",
    "Starting Nova API",
    "Starting OVN services",
    "Starting Neutron",
    "Starting Placement",
    "Creating initial neutron network elements",
    "Starting Nova",
    "Starting Cinder",
    "Starting Glance",
    "Uploading images",
    "Starting Horizon",
    "Configuring lvm.conf global device filter",
    "Initializing Tempest",
    "Installing Tempest Plugins",
];

/// Redacts (when a redactor is given), then caps: a cut can never split a secret.
fn redacted_text(redactor: Option<&crate::redact::Redactor>, bytes: &[u8]) -> String {
    match redactor {
        Some(redactor) => capped_text(&redactor.redact_bytes(bytes)),
        None => capped_text(bytes),
    }
}

fn capped_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end();
    if text.chars().count() > MAX_TEXT {
        let mut cut: String = text.chars().take(MAX_TEXT).collect();
        cut.push('…');
        cut
    } else {
        text.to_string()
    }
}

/// Caps a message to [`MAX_TEXT`] characters for display.
pub fn display_text(message: &[u8]) -> String {
    capped_text(message)
}

/// The argument of an `echo_summary` xtrace line, without quotes.
fn echo_summary_arg(message: &[u8]) -> Option<String> {
    static ECHO_SUMMARY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("echo_summary "));
    let at = ECHO_SUMMARY.find(message)?;
    let arg = std::str::from_utf8(&message[at + "echo_summary ".len()..]).ok()?.trim();
    let arg = arg
        .strip_prefix('\'')
        .and_then(|a| a.strip_suffix('\''))
        .or_else(|| arg.strip_prefix('"').and_then(|a| a.strip_suffix('"')))
        .unwrap_or(arg)
        .trim();
    if arg.is_empty() || arg.starts_with("stack.sh log ") || arg.starts_with('$') {
        return None;
    }
    if arg.starts_with("stack.sh completed in") {
        return None;
    }
    Some(arg.to_string())
}

/// Text that every line which can change the run model holds (with [`KNOWN_PHASES`]), apart from
/// what [`RunTracker::wants_every_line`] asks for and the xtrace of stack.sh itself (see
/// [`is_stack_sh_command`]). A scan feeds the run model only lines that hold one of these.
pub const MARKERS: &[&str] = &[
    "[Call Trace]",
    "[ERROR]",
    "]: FAILED with rc ",
    "Error on exit",
    "stack.sh failed",
    "stack.sh completed in ",
    "Services are running under systemd unit files.",
    "This is your host IP address: ",
    "echo_summary ",
];

/// Every marker, the known phases included.
pub fn markers() -> impl Iterator<Item = &'static str> {
    MARKERS.iter().chain(KNOWN_PHASES).copied()
}

/// Whether an xtrace message is a command of stack.sh itself (not of a trap handler): the sign
/// that a log is a stack.sh run.
pub fn is_stack_sh_command(message: &[u8]) -> bool {
    static STACK_SH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("stack.sh:"));
    let head = &message[..message.len().min(96)];
    STACK_SH.find(head).is_some() && !lookback::in_trap(message)
}

/// A cheap look at whether a raw line starts with a `YYYY-` time stamp.
fn looks_stamped(raw: &[u8]) -> bool {
    raw.len() >= STAMP_LEN && raw[0].is_ascii_digit() && raw[4] == b'-'
}

fn is_async_failure(message: &[u8]) -> bool {
    static FAILED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("]: FAILED with rc "));
    static ASYNC: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" Async "));
    message.starts_with(b"[") && FAILED.find(message).is_some() && ASYNC.find(message).is_some()
}

fn is_stack_failed(message: &[u8]) -> bool {
    message == b"stack.sh failed" || message.starts_with(b"stack.sh failed: full log in ")
}

fn is_success(message: &[u8]) -> bool {
    (message.starts_with(b"stack.sh completed in ") && message.ends_with(b" seconds."))
        || message == b"Services are running under systemd unit files."
        || message.starts_with(b"This is your host IP address: ")
}

/// Feeds a whole text through a tracker, every line; for tests and rule self-tests, and the
/// reference a scan (which feeds only some lines) must agree with.
pub fn summarize(text: &str, summary_file: bool) -> RunSummary {
    let bytes = text.as_bytes();
    let mut tracker = RunTracker::new(summary_file);
    let mut start = 0;
    let mut number = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
        let raw = &bytes[start..end];
        number += 1;
        tracker.stamp(raw);
        let message = crate::logline::message(raw);
        let xtrace = crate::logline::is_xtrace(&message);
        let keys = KeyBlocks { open_after: false, hide: false };
        tracker.feed(number, &message, xtrace, &|| {
            Before::look_back(&bytes[..start], number - 1, keys, &Before::default())
        });
        start = end;
    }
    tracker.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIED: &str = "\
2026-01-02 10:00:00.000 | + ./stack.sh:main:897                      :   echo_summary 'Installing OpenStack project source'
2026-01-02 10:00:01.000 | + functions-common:git_timed:648           :   git clone https://opendev.org/openstack/swift.git /opt/stack/swift
2026-01-02 10:00:02.000 | fatal: unable to access 'https://opendev.org/openstack/swift.git/': Could not resolve host: opendev.org
2026-01-02 10:00:02.100 | + functions-common:die:290                 :   local exitcode=128
2026-01-02 10:00:02.200 | [Call Trace]
2026-01-02 10:00:02.200 | ./stack.sh:932:stack_install_service
2026-01-02 10:00:02.200 | /opt/stack/devstack/functions-common:709:die
2026-01-02 10:00:02.300 | [ERROR] /opt/stack/devstack/functions-common:709 git call failed: [git clone https://opendev.org/openstack/swift.git /opt/stack/swift]
2026-01-02 10:00:03.300 | Error on exit
";

    #[test]
    fn a_die_is_the_first_error_with_its_call_trace() {
        let run = summarize(DIED, false);
        assert_eq!(run.status, RunStatus::Failed);
        assert_eq!(run.phase.as_deref(), Some("Installing OpenStack project source"));
        let first = run.first_error.as_ref().expect("first error");
        assert_eq!(first.at.line, 8);
        assert_eq!(
            first.call_trace,
            ["./stack.sh:932:stack_install_service", "/opt/stack/devstack/functions-common:709:die"]
        );
        assert_eq!(run.started, Some(1_767_348_000));
        assert_eq!(run.ended, Some(1_767_348_003));
    }

    #[test]
    fn the_failing_command_is_not_inside_die() {
        let run = summarize(DIED, false);
        let command = run.failing_command.expect("a command");
        assert_eq!(command.line, 2, "{}", command.text);
    }

    #[test]
    fn success_and_unknown_are_told_apart() {
        let ok = "2026-01-02 10:30:00.000 | This is your host IP address: 10.0.0.5\n";
        assert_eq!(summarize(ok, false).status, RunStatus::Succeeded);
        assert_eq!(summarize("pip install foo\nCollecting foo\n", false).status, RunStatus::Unknown);
        let summary = "2026-01-02 10:00:00.000 | Installing package prerequisites\n2026-01-02 10:30:00.000 | stack.sh completed in 1800 seconds.\n";
        let run = summarize(summary, true);
        assert_eq!(
            (run.status, run.phase.as_deref()),
            (RunStatus::Succeeded, Some("Installing package prerequisites"))
        );
    }

    #[test]
    fn an_async_failure_is_a_first_error() {
        let log = "[1234 Async create_flavors:5678]: FAILED with rc 1\nError on exit\n";
        let run = summarize(log, false);
        assert_eq!(run.status, RunStatus::Failed);
        assert_eq!(run.first_error.map(|e| e.at.line), Some(1));
    }
}
