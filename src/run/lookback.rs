//! The lines before a failure, found when the failure is seen instead of kept for every line: the
//! run model shows the last [`CONTEXT_BEFORE`] lines before the first error (trap handlers' xtrace
//! left out) and the last command xtrace showed. A scan hands the run model only the lines that can
//! change it, so these are read back from the text before the failing line and, past its start,
//! from what the same walk found at the end of the text before.

use std::{borrow::Cow, collections::VecDeque, sync::LazyLock};

use aho_corasick::packed::Searcher;

use super::{CONTEXT_BEFORE, MAX_TEXT};
use crate::logline;

/// What the run model keeps from the lines before a point of a log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Before {
    /// The last lines, oldest first, as messages (a line inside a private key block as the
    /// redaction placeholder), with their numbers.
    pub recent: VecDeque<(u64, Vec<u8>)>,
    /// The last xtrace line that is not part of a trap handler or `die`.
    pub last_command: Option<(u64, Vec<u8>)>,
}

/// How a walk back treats private key blocks.
#[derive(Debug, Clone, Copy)]
pub struct KeyBlocks {
    /// Whether the line right after the text is inside a block.
    pub open_after: bool,
    /// Whether lines inside a block are replaced by a placeholder (redaction is on).
    pub hide: bool,
}

/// Shown instead of a line inside a private key block.
pub const HIDDEN_KEY_LINE: &[u8] = b"[REDACTED:private-key]";

impl Before {
    fn complete(&self) -> bool {
        self.recent.len() >= CONTEXT_BEFORE && self.last_command.is_some()
    }

    /// Walks back over `text` (whole raw lines, the last of which is line `last`) and fills in what
    /// the walk did not find from `earlier` (the same, for the text before `text`).
    pub fn look_back(text: &[u8], last: u64, keys: KeyBlocks, earlier: &Before) -> Before {
        let mut out = Before::default();
        let mut end = text.len();
        let mut number = last;
        let mut open = keys.open_after;
        while end > 0 && !out.complete() {
            let start = memchr::memrchr(b'\n', &text[..end - 1]).map_or(0, |i| i + 1);
            let raw = &text[start..end];
            let (hidden, open_before) = key_block_before(raw, open);
            open = open_before;
            let want_recent = out.recent.len() < CONTEXT_BEFORE;
            // Only a line with a `+` can be xtrace: most lines need no closer look.
            let maybe_xtrace = memchr::memchr(b'+', raw).is_some();
            if want_recent || (out.last_command.is_none() && maybe_xtrace) {
                let message: Cow<'_, [u8]> =
                    if hidden && keys.hide { Cow::Borrowed(HIDDEN_KEY_LINE) } else { logline::message(raw) };
                let xtrace = maybe_xtrace && logline::is_xtrace(&message);
                if !(xtrace && in_trap(&message)) {
                    let kept = message[..message.len().min(MAX_TEXT * 4)].to_vec();
                    if xtrace && out.last_command.is_none() {
                        out.last_command = Some((number, kept.clone()));
                    }
                    if want_recent {
                        out.recent.push_front((number, kept));
                    }
                }
            }
            number = number.saturating_sub(1);
            end = start;
        }
        for line in earlier.recent.iter().rev() {
            if out.recent.len() >= CONTEXT_BEFORE {
                break;
            }
            out.recent.push_front(line.clone());
        }
        if out.last_command.is_none() {
            out.last_command.clone_from(&earlier.last_command);
        }
        out
    }
}

/// Whether an xtrace message belongs to a trap handler or to `die` and its helpers (whose first
/// lines are traced before they turn xtrace off): `+ file:function:line :   command` with one of
/// them in the function field or as the command. They are not the command that failed.
pub fn in_trap(message: &[u8]) -> bool {
    static TRAPS: LazyLock<Option<Searcher>> = LazyLock::new(|| {
        Searcher::new([
            "exit_trap",
            "err_trap",
            "kill_spinner",
            ":die:",
            ":die_if_not_set:",
            ":err:",
            ":err_if_not_set:",
            ":backtrace:",
        ])
    });
    let head = &message[..message.len().min(96)];
    TRAPS.as_ref().is_some_and(|traps| traps.find(head).is_some())
}

/// Walking back over a raw line with a private key block open after it (`open_after`): whether the
/// line is hidden (a block is open both before and after it, as the scan decides reading forward),
/// and whether a block is open before it.
pub fn key_block_before(raw: &[u8], open_after: bool) -> (bool, bool) {
    if memchr::memmem::find(raw, b"PRIVATE KEY-----").is_none() {
        return (open_after, open_after);
    }
    let begin = memchr::memmem::rfind(raw, b"-----BEGIN");
    let end = memchr::memmem::rfind(raw, b"-----END");
    let open_before = match (begin, end) {
        // `END ... BEGIN` closes a block and opens the next; `BEGIN ... END` is a whole block.
        (Some(b), Some(e)) => b > e,
        (Some(_), None) => false,
        (None, Some(_)) => true,
        (None, None) => open_after,
    };
    (open_before && open_after, open_before)
}
