//! Scanning one source: the prefilter finds the lines that hold a signature's literal or a marker
//! of the run model; only those lines (and escaped ones, and every line while something needs
//! that) become messages (see [`crate::logline`]), feed the run model when the source is a stack.sh
//! log, and have their signatures' regexes run. The rest are only counted. For each signature the
//! scan keeps the number of hits, the first few lines and the captures of the first hit.

use std::collections::BTreeMap;

use super::compile::{Matcher, KEY_MARKER, RUN_MARKER};
use crate::{
    input::Role,
    logline,
    run::{self, display_text, Before, KeyBlocks, NumberedLine, RunSummary, RunTracker, HIDDEN_KEY_LINE},
};

/// Evidence lines kept per signature per file.
pub const MAX_EVIDENCE: usize = 3;

/// Hits of one signature in one source.
#[derive(Debug, Clone, Default)]
pub struct SigHits {
    /// Matching lines.
    pub count: u64,
    /// The first few of them (with the following line, for `followed_by` signatures).
    pub evidence: Vec<NumberedLine>,
    /// Named captures of the first hit.
    pub captures: BTreeMap<String, String>,
}

/// The result of scanning one source.
#[derive(Debug, Clone, Default)]
pub struct SourceScan {
    /// The source, as shown.
    pub path: String,
    /// Its role for the run model.
    pub role: Option<Role>,
    /// Hits by flat signature index.
    pub hits: BTreeMap<usize, SigHits>,
    /// Lines read.
    pub lines: u64,
    /// The run model's view, for stack logs and summaries.
    pub run: Option<RunSummary>,
}

#[derive(Debug)]
struct Pending {
    sig: usize,
    primary: NumberedLine,
    captures: BTreeMap<String, String>,
    deadline: u64,
}

/// Scans one source chunk by chunk.
#[derive(Debug)]
pub struct SourceScanner<'m, 'r> {
    matcher: &'m Matcher<'r>,
    applicable: Vec<bool>,
    out: SourceScan,
    tracker: Option<RunTracker>,
    pending: Vec<Pending>,
    /// Reused buffers: literal hits (offset, signature) and the signatures of one line.
    candidates: Vec<(usize, usize)>,
    line_sigs: Vec<usize>,
    /// Inside a `-----BEGIN ... PRIVATE KEY-----` block: lines are never shown.
    in_key: bool,
    /// What the run model keeps from the lines of the chunks before this one (see [`Before`]).
    earlier: Before,
}

impl<'m, 'r> SourceScanner<'m, 'r> {
    /// A scanner for a source with this name, path and role.
    pub fn new(matcher: &'m Matcher<'r>, file_name: &str, path: &str, explicit: bool, role: Role) -> Self {
        let redactor = std::sync::Arc::clone(&matcher.redactor);
        let tracker = match role {
            Role::StackLog => Some(RunTracker::new(false).redacting(redactor)),
            Role::Summary => Some(RunTracker::new(true).redacting(redactor)),
            Role::Other => None,
        };
        SourceScanner {
            matcher,
            applicable: matcher.applicable(file_name, path, explicit),
            out: SourceScan { path: path.to_string(), role: Some(role), ..SourceScan::default() },
            tracker,
            pending: Vec::new(),
            candidates: Vec::new(),
            line_sigs: Vec::new(),
            in_key: false,
            earlier: Before::default(),
        }
    }

    /// Whether every line must be looked at: the run model asks for it, a `followed_by` window is
    /// open, a signature has no literal, or a private key block is open.
    fn busy(&self) -> bool {
        self.tracker.as_ref().is_some_and(RunTracker::wants_every_line)
            || !self.pending.is_empty()
            || self.matcher.prefilter.always_set.is_some()
            || self.in_key
    }

    /// Scans a buffer of complete lines. The literal prefilter runs over the whole buffer first;
    /// a line is then looked at only if it holds a literal (of a signature, or a marker of the run
    /// model or of a private key block), holds an escape sequence (colour can split a literal, so
    /// such a line is searched again after normalising), or something needs every line for a while
    /// (`busy`). The lines between are only counted.
    pub fn chunk(&mut self, chunk: &[u8]) {
        let prefilter = &self.matcher.prefilter;
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        let applicable = &self.applicable;
        let tracking = self.tracker.is_some();
        prefilter.candidates(chunk, &mut |line_start, flat| {
            let wanted = match flat {
                KEY_MARKER => true,
                RUN_MARKER => tracking,
                _ => applicable[flat],
            };
            if wanted {
                candidates.push((line_start, flat));
            }
        });
        candidates.sort_unstable();
        if let Some(tracker) = &mut self.tracker {
            tracker.stamp_first_of(chunk);
            if !tracker.saw_run() && stack_sh_command_in(chunk) {
                tracker.note_stack_sh_command();
            }
        }
        let mut escapes = memchr::memchr3_iter(0x1b, 0x01, 0x02, chunk).peekable();
        let mut next = 0;
        let mut start = 0;
        while start < chunk.len() {
            if !self.busy() {
                // Count the lines up to the next one that needs a look.
                let candidate = candidates.get(next).map_or(chunk.len(), |c| c.0);
                let escape = escapes.peek().map_or(chunk.len(), |at| {
                    memchr::memrchr(b'\n', &chunk[start..*at]).map_or(start, |i| start + i + 1)
                });
                let target = candidate.min(escape);
                if target > start {
                    self.out.lines += memchr::memchr_iter(b'\n', &chunk[start..target]).count() as u64;
                    if target == chunk.len() {
                        // A last line without a newline.
                        self.out.lines += u64::from(chunk.last() != Some(&b'\n'));
                        break;
                    }
                    start = target;
                }
            }
            let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i + 1);
            self.out.lines += 1;
            let mut sigs = std::mem::take(&mut self.line_sigs);
            sigs.clear();
            while next < candidates.len() && candidates[next].0 < end {
                sigs.push(candidates[next].1);
                next += 1;
            }
            let mut escaped = false;
            while escapes.peek().is_some_and(|at| *at < end) {
                escaped = true;
                escapes.next();
            }
            self.line(chunk, start..end, &mut sigs, escaped);
            self.line_sigs = sigs;
            start = end;
        }
        if let Some(tracker) = &mut self.tracker {
            tracker.stamp_last_of(chunk);
            let keys = KeyBlocks { open_after: self.in_key, hide: self.matcher.redactor.is_enabled() };
            self.earlier = Before::look_back(chunk, self.out.lines, keys, &self.earlier);
        }
        self.candidates = candidates;
    }

    fn line(&mut self, chunk: &[u8], span: std::ops::Range<usize>, sigs: &mut Vec<usize>, escaped: bool) {
        let raw = &chunk[span.clone()];
        let number = self.out.lines;
        let was_in_key = self.in_key;
        if let Some(at) = sigs.iter().position(|s| *s == KEY_MARKER) {
            sigs.swap_remove(at);
            self.in_key = key_block_after(raw, self.in_key);
        }
        sigs.retain(|s| *s != RUN_MARKER);
        // The BEGIN and END lines themselves go through the redactor; the lines between are hidden.
        let hidden = was_in_key && self.in_key && self.matcher.redactor.is_enabled();
        let message = if hidden {
            std::borrow::Cow::Borrowed(HIDDEN_KEY_LINE)
        } else if escaped {
            logline::message(raw)
        } else {
            std::borrow::Cow::Borrowed(logline::plain_message(raw))
        };
        let xtrace = logline::is_xtrace(&message);
        if let Some(tracker) = &mut self.tracker {
            let earlier = &self.earlier;
            let keys = KeyBlocks { open_after: was_in_key, hide: self.matcher.redactor.is_enabled() };
            let before = || Before::look_back(&chunk[..span.start], number - 1, keys, earlier);
            tracker.feed(number, &message, xtrace, &before);
        }
        if !self.pending.is_empty() {
            self.follow(number, &message, xtrace);
        }
        let prefilter = &self.matcher.prefilter;
        if escaped {
            sigs.clear();
            let applicable = &self.applicable;
            // Markers (`KEY_MARKER`, `RUN_MARKER`) are not signatures; the raw line's were handled
            // above.
            prefilter.candidates(&message, &mut |_, flat| {
                if applicable.get(flat).copied().unwrap_or(false) {
                    sigs.push(flat);
                }
            });
        }
        if let Some(set) = &prefilter.always_set {
            sigs.extend(
                set.matches(&message).iter().map(|i| prefilter.always[i]).filter(|f| self.applicable[*f]),
            );
        }
        if sigs.is_empty() {
            return;
        }
        sigs.sort_unstable();
        sigs.dedup();
        for &flat in sigs.iter() {
            let sig = self.matcher.signature(flat);
            if xtrace && !sig.in_xtrace {
                continue;
            }
            let first = !self.out.hits.contains_key(&flat);
            let wants_captures = first || sig.followed_by.is_some();
            let captures = if wants_captures {
                match sig.regex.regex().captures(&message) {
                    None => continue,
                    Some(caps) => self.redacted(named(sig.regex.regex(), &caps)),
                }
            } else if sig.regex.regex().is_match(&message) {
                BTreeMap::new()
            } else {
                continue;
            };
            let numbered = NumberedLine { line: number, text: self.shown(&message) };
            if sig.followed_by.is_some() {
                // One pending match per signature: a newer primary line restarts the window.
                self.pending.retain(|p| p.sig != flat);
                self.pending.push(Pending {
                    sig: flat,
                    primary: numbered,
                    captures,
                    deadline: number + u64::from(sig.within),
                });
            } else {
                record(self.out.hits.entry(flat).or_default(), vec![numbered], captures);
            }
        }
    }

    /// A message as evidence: redacted first, then capped (so a cut can never split a secret).
    fn shown(&self, message: &[u8]) -> String {
        display_text(&self.matcher.redactor.redact_bytes(message))
    }

    fn redacted(&self, captures: BTreeMap<String, String>) -> BTreeMap<String, String> {
        captures.into_iter().map(|(k, v)| (k, self.matcher.redactor.redact(&v).into_owned())).collect()
    }

    fn follow(&mut self, number: u64, message: &[u8], xtrace: bool) {
        let matcher = self.matcher;
        let mut done = Vec::new();
        for (index, pending) in self.pending.iter().enumerate() {
            if number > pending.deadline {
                done.push(index);
                continue;
            }
            let sig = matcher.signature(pending.sig);
            let Some(follow) = &sig.followed_by else { continue };
            if (xtrace && !sig.in_xtrace) || !follow.regex().is_match(message) {
                continue;
            }
            let mut captures = pending.captures.clone();
            captures.extend(captures_of(follow.regex(), message));
            let lines =
                vec![pending.primary.clone(), NumberedLine { line: number, text: display_text(message) }];
            record(self.out.hits.entry(pending.sig).or_default(), lines, captures);
            done.push(index);
        }
        for index in done.into_iter().rev() {
            self.pending.remove(index);
        }
    }

    /// The result.
    pub fn finish(mut self) -> SourceScan {
        self.out.run = self.tracker.map(RunTracker::finish);
        self.out
    }
}

/// Whether a non-trap xtrace line of stack.sh itself is in `chunk` (see
/// [`crate::run::is_stack_sh_command`]).
fn stack_sh_command_in(chunk: &[u8]) -> bool {
    memchr::memmem::find_iter(chunk, b"stack.sh:").any(|at| {
        let start = memchr::memrchr(b'\n', &chunk[..at]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &chunk[at..]).map_or(chunk.len(), |i| at + i + 1);
        let message = logline::message(&chunk[start..end]);
        logline::is_xtrace(&message) && run::is_stack_sh_command(&message)
    })
}

/// Whether a private key block is open after a line that holds a `PRIVATE KEY-----` marker.
fn key_block_after(raw: &[u8], open: bool) -> bool {
    let begin = memchr::memmem::rfind(raw, b"-----BEGIN");
    let end = memchr::memmem::rfind(raw, b"-----END");
    match (begin, end) {
        (Some(b), Some(e)) => b > e,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => open,
    }
}

fn record(hits: &mut SigHits, lines: Vec<NumberedLine>, captures: BTreeMap<String, String>) {
    if hits.count == 0 {
        hits.captures = captures;
    }
    hits.count += 1;
    if hits.evidence.len() < MAX_EVIDENCE {
        hits.evidence.extend(lines);
    }
}

fn captures_of(regex: &regex::bytes::Regex, message: &[u8]) -> BTreeMap<String, String> {
    regex.captures(message).map(|caps| named(regex, &caps)).unwrap_or_default()
}

fn named(regex: &regex::bytes::Regex, caps: &regex::bytes::Captures<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in regex.capture_names().flatten() {
        if let Some(m) = caps.name(name) {
            out.insert(name.to_string(), display_text(m.as_bytes()));
        }
    }
    out
}
