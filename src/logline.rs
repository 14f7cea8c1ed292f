//! From a raw log line to the message rules see: line endings, ANSI escape sequences and the prompt
//! markers of a coloured `PS4` removed, then up to two leading time stamps (DevStack's
//! `YYYY-MM-DD hh:mm:ss.mmm | ` and the Zuul/Ansible console's `... | node | `) skipped. Also tells
//! whether a message is an xtrace line (a command bash echoed, not program output).

use std::borrow::Cow;

/// The normalised message of a raw line that holds none of the bytes `\x1b`, `\x01` and `\x02`
/// (so there is nothing to strip but the line end and the time stamps).
pub fn plain_message(raw: &[u8]) -> &[u8] {
    let mut line = raw;
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    &line[prefix_len(line)..]
}

/// The normalised message of a raw line.
pub fn message(raw: &[u8]) -> Cow<'_, [u8]> {
    let mut line = raw;
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    let line: Cow<'_, [u8]> = if memchr::memchr3(0x1b, 0x01, 0x02, line).is_some() {
        // A progress line can end in `\r` and an "erase line" escape: trim line ends again after.
        let mut owned = strip_ansi(line);
        while let [.., b'\n' | b'\r'] = owned.as_slice() {
            owned.pop();
        }
        Cow::Owned(owned)
    } else {
        Cow::Borrowed(line)
    };
    let skip = prefix_len(&line);
    match line {
        Cow::Borrowed(b) => Cow::Borrowed(&b[skip..]),
        Cow::Owned(mut v) => {
            v.drain(..skip);
            Cow::Owned(v)
        }
    }
}

/// Whether a message is an xtrace line: `+`, `++`, ... then a space, or (coloured PS4) the pluses
/// directly followed by `file:function:line`.
pub fn is_xtrace(message: &[u8]) -> bool {
    let pluses = message.iter().take_while(|b| **b == b'+').count();
    if pluses == 0 {
        return false;
    }
    let rest = &message[pluses..];
    match rest.first() {
        Some(b' ') => true,
        Some(_) => {
            let token = rest.split(|b| *b == b' ').next().unwrap_or_default();
            token.iter().filter(|b| **b == b':').count() >= 2 && token.last().is_some_and(u8::is_ascii_digit)
        }
        None => false,
    }
}

/// Removes ANSI escape sequences (CSI, OSC, two- and three-byte escapes) and `\x01`/`\x02`.
pub fn strip_ansi(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            0x01 | 0x02 => i += 1,
            0x1b => {
                i += 1;
                match line.get(i) {
                    Some(b'[') => {
                        i += 1;
                        // Parameters and intermediates, then one final byte in 0x40..=0x7e.
                        while i < line.len() && !(0x40..=0x7e).contains(&line[i]) {
                            i += 1;
                        }
                        i += 1;
                    }
                    Some(b']') => {
                        // OSC: up to BEL or ESC \.
                        i += 1;
                        while i < line.len()
                            && line[i] != 0x07
                            && !(line[i] == 0x1b && line.get(i + 1) == Some(&b'\\'))
                        {
                            i += 1;
                        }
                        i += if line.get(i) == Some(&0x1b) { 2 } else { 1 };
                    }
                    Some(b'(' | b')' | b'*' | b'+') => i += 2,
                    Some(_) => i += 1,
                    None => {}
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Length of the leading time-stamp prefixes: DevStack's and the Zuul console's, at most two.
fn prefix_len(line: &[u8]) -> usize {
    let mut skip = 0;
    for _ in 0..2 {
        match timestamp_prefix(&line[skip..]) {
            Some(n) => skip += n,
            None => break,
        }
    }
    skip
}

/// `YYYY-MM-DD hh:mm:ss[.f{1,9}] | ` and, after a six-digit fraction (Zuul), an optional `node | `.
fn timestamp_prefix(s: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-dd dd:dd:dd";
    if s.len() < SHAPE.len() + 3 {
        return None;
    }
    for (want, got) in SHAPE.iter().zip(s) {
        let ok = if *want == b'd' { got.is_ascii_digit() } else { want == got };
        if !ok {
            return None;
        }
    }
    let mut i = SHAPE.len();
    let mut fraction = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            fraction += 1;
        }
        if fraction == 0 || fraction > 9 {
            return None;
        }
    }
    if !s[i..].starts_with(b" | ") && s[i..] != *b" |" {
        return None;
    }
    i = (i + 3).min(s.len());
    if fraction == 6 {
        let node_len = s[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            .count();
        if node_len > 0 && s[i + node_len..].starts_with(b" | ") {
            i += node_len + 3;
        } else if node_len > 0 && s[i + node_len..] == *b" |" {
            i += node_len + 2;
        }
    }
    Some(i)
}

/// Seconds since the epoch of a line's leading time stamp (`YYYY-MM-DD hh:mm:ss`, as DevStack and
/// Zuul write them, in UTC), if it has one.
pub fn timestamp(raw: &[u8]) -> Option<i64> {
    timestamp_prefix(raw)?;
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(raw.get(range)?).ok()?.parse().ok()
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_become_epoch_seconds() {
        assert_eq!(timestamp(b"1970-01-01 00:00:00.000 | x"), Some(0));
        assert_eq!(timestamp(b"2026-07-17 20:30:12.345 | x"), Some(1_784_320_212));
        assert_eq!(timestamp(b"2021-09-28 05:44:47.791807 | controller | x"), Some(1_632_807_887));
        assert_eq!(timestamp(b"2026-13-01 00:00:00.000 | x"), None);
        assert_eq!(timestamp(b"no stamp"), None);
    }

    use super::*;

    fn msg(raw: &str) -> String {
        String::from_utf8_lossy(&message(raw.as_bytes())).into_owned()
    }

    #[test]
    fn strips_devstack_timestamp_and_line_end() {
        assert_eq!(msg("2026-01-02 10:00:00.000 | [ERROR] x:1 boom\r\n"), "[ERROR] x:1 boom");
        assert_eq!(msg("[ERROR] x:1 boom"), "[ERROR] x:1 boom");
    }

    #[test]
    fn strips_zuul_console_prefix_and_nested_stamp() {
        assert_eq!(
            msg("2021-09-28 05:44:47.791807 | controller | + functions-common:f:1 :   ls"),
            "+ functions-common:f:1 :   ls"
        );
        assert_eq!(
            msg("2021-09-28 05:44:47.791807 | controller | 2021-09-28 05:44:47.700 | Error on exit"),
            "Error on exit"
        );
        assert_eq!(msg("2021-09-28 05:44:47.791807 | Error on exit"), "Error on exit");
    }

    #[test]
    fn leaves_other_dates_alone() {
        assert_eq!(msg("2026-01-02 10:00:00.000 INFO nova"), "2026-01-02 10:00:00.000 INFO nova");
        assert_eq!(msg("2026-01-02"), "2026-01-02");
    }

    #[test]
    fn strips_ansi_and_prompt_markers() {
        let coloured =
            "2026-01-02 10:00:00.000 | +\x01\x1b[38;5;242m\x02lib/nova:start_nova:12\x01\x1b(B\x1b[m\x02 ls";
        assert_eq!(msg(coloured), "+lib/nova:start_nova:12 ls");
        assert_eq!(msg("\x1b[01;31mERROR nova\x1b[00m"), "ERROR nova");
        assert_eq!(msg("\x1b]0;title\x07text"), "text");
        assert_eq!(msg("dangling \x1b["), "dangling ");
    }

    #[test]
    fn recognises_xtrace() {
        assert!(is_xtrace(b"+ lib/nova:start_nova:12 :   ls"));
        assert!(is_xtrace(b"+++ ls"));
        assert!(is_xtrace(b"+lib/nova:start_nova:12 ls"));
        assert!(!is_xtrace(b"+1 more"));
        assert!(!is_xtrace(b"[ERROR] x"));
        assert!(!is_xtrace(b"+"));
    }
}
