//! Building a support bundle: which files go in (the run's stack.sh log and summary, `error.log`, the
//! latest world dump, the journal of failed `devstack@` units), how much of each (the last N MiB,
//! the whole bundle under a cap), and redaction of every byte that leaves the host. Reading the
//! files and the journal goes through `input`; this module decides and shapes.

use std::{
    fs::File,
    io::{self, Read, Seek, SeekFrom},
    path::{Path, PathBuf},
    time::Duration,
};

use crate::{
    facts::{FactValue, Facts},
    input::host,
    redact::Redactor,
};

/// Limits on what goes into a bundle.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most kept of one file (its end).
    pub per_file: u64,
    /// The most for all files together.
    pub total: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { per_file: 8 << 20, total: 20 << 20 }
    }
}

/// One file planned for the bundle.
#[derive(Debug, Clone)]
pub struct Item {
    /// Path inside the bundle (`logs/...`).
    pub name: String,
    /// Where it came from (a path, or `journalctl -u <unit>`).
    pub source: String,
    /// The (cut, redacted) content.
    pub data: Vec<u8>,
    /// Size before cutting.
    pub original: u64,
    /// Whether only its end is kept.
    pub cut: bool,
}

/// The logs of the last run in `logdir`: the newest `stack.sh.log.*` (or `devstacklog.txt`), its
/// summary, `error.log` and the newest world dump.
pub fn run_logs(logdir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(logdir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let newest = |keep: &dyn Fn(&str) -> bool| names.iter().rev().find(|n| keep(n)).cloned();
    let mut out = Vec::new();
    out.extend(newest(&|n| {
        (n.starts_with("stack.sh.log") || n.starts_with("devstacklog.txt")) && !n.contains(".summary")
    }));
    out.extend(newest(&|n| {
        (n.starts_with("stack.sh.log") || n.starts_with("devstacklog.txt")) && n.contains(".summary")
    }));
    out.extend(newest(&|n| n == "error.log"));
    out.extend(
        newest(&|n| n == "worlddump-latest.txt")
            .or_else(|| newest(&|n| n.starts_with("worlddump-") && n.ends_with(".txt"))),
    );
    out.into_iter().map(|n| logdir.join(n)).collect()
}

/// Reads the last `max` bytes of a file, starting at a line boundary when it is cut.
pub fn tail(path: &Path, max: u64) -> io::Result<(Vec<u8>, u64, bool)> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len <= max {
        let mut data = Vec::with_capacity(len as usize);
        file.read_to_end(&mut data)?;
        return Ok((data, len, false));
    }
    file.seek(SeekFrom::Start(len - max))?;
    let mut data = Vec::with_capacity(max as usize);
    file.take(max).read_to_end(&mut data)?;
    Ok((cut_to_line(data), len, true))
}

fn cut_to_line(mut data: Vec<u8>) -> Vec<u8> {
    if let Some(at) = memchr::memchr(b'\n', &data) {
        data.drain(..=at);
    }
    data
}

/// Plans the bundle's files: each log and journal cut to `limits.per_file`, then, in order, to what
/// is left of `limits.total`; every line redacted. Files that cannot be read are returned as notes.
pub fn plan(
    logs: &[PathBuf],
    failed_units: &[String],
    limits: Limits,
    redactor: &Redactor,
    timeout: Duration,
) -> (Vec<Item>, Vec<String>) {
    let mut items = Vec::new();
    let mut notes = Vec::new();
    let mut left = limits.total;
    let mut add =
        |name: String, source: String, data: Vec<u8>, original: u64, cut: bool, items: &mut Vec<Item>| {
            let mut data = redact_lines(&data, redactor);
            let mut cut = cut;
            if data.len() as u64 > left {
                let keep = left as usize;
                data = cut_to_line(data.split_off(data.len() - keep));
                cut = true;
            }
            left = left.saturating_sub(data.len() as u64);
            items.push(Item { name, source, data, original, cut });
        };
    for path in logs {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match tail(path, limits.per_file) {
            Ok((data, original, cut)) => {
                add(format!("logs/{name}"), path.display().to_string(), data, original, cut, &mut items)
            }
            Err(err) => notes.push(format!("{}: {}", path.display(), crate::input::io_reason(&err))),
        }
    }
    for unit in failed_units.iter().filter(|u| u.starts_with("devstack@")) {
        match host::journal(unit, 20_000, timeout) {
            Ok(text) => {
                let bytes = text.into_bytes();
                let original = bytes.len() as u64;
                let (data, cut) = if original > limits.per_file {
                    (cut_to_line(bytes[bytes.len() - limits.per_file as usize..].to_vec()), true)
                } else {
                    (bytes, false)
                };
                add(
                    format!("logs/journal-{unit}.txt"),
                    format!("journalctl -u {unit}"),
                    data,
                    original,
                    cut,
                    &mut items,
                );
            }
            Err(reason) => notes.push(reason),
        }
    }
    (items, notes)
}

/// Redacts a text line by line, dropping the inside of private key blocks.
pub fn redact_lines(data: &[u8], redactor: &Redactor) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut state = crate::redact::BlockState::default();
    for line in data.split_inclusive(|b| *b == b'\n') {
        if let Some(kept) = redactor.redact_line_bytes(line, &mut state) {
            out.extend_from_slice(&kept);
            if line.ends_with(b"\n") && !kept.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
    }
    out
}

/// An RFC 3339 time stamp (UTC, seconds) for seconds since the epoch.
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The facts with every string value passed through the redactor (facts hold no secrets by design;
/// this is a second fence).
pub fn redact_facts(facts: &Facts, redactor: &Redactor) -> Facts {
    facts
        .iter()
        .map(|(key, value)| {
            let value = match value {
                FactValue::Str(s) => FactValue::Str(redactor.redact(s).into_owned()),
                FactValue::List(items) => {
                    FactValue::List(items.iter().map(|s| redactor.redact(s).into_owned()).collect())
                }
                other => other.clone(),
            };
            (key.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_the_calendar() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_784_320_212), "2026-07-17T20:30:12Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn private_key_blocks_are_dropped() {
        let redactor = Redactor::new(Vec::new());
        let text = b"before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabcdef\n-----END RSA PRIVATE KEY-----\nafter\n";
        let out = String::from_utf8(redact_lines(text, &redactor)).expect("utf8");
        assert!(!out.contains("MIIEpAIBAAKCAQEA") && !out.contains("abcdef"), "{out}");
        assert!(out.starts_with("before\n") && out.ends_with("after\n"), "{out}");
    }

    #[test]
    fn run_logs_picks_the_newest_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            "stack.sh.log.2026-01-01-100000",
            "stack.sh.log.2026-01-02-100000",
            "stack.sh.log.2026-01-02-100000.summary.2026-01-02-100000",
            "error.log",
            "worlddump-2026-01-02-100500.txt",
            "worlddump-latest.txt",
            "dstat-csv.log",
        ] {
            std::fs::write(dir.path().join(name), "x\n").expect("write");
        }
        let names: Vec<String> = run_logs(dir.path())
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "stack.sh.log.2026-01-02-100000",
                "stack.sh.log.2026-01-02-100000.summary.2026-01-02-100000",
                "error.log",
                "worlddump-latest.txt"
            ]
        );
    }

    #[test]
    fn tail_keeps_whole_lines_at_the_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        std::fs::write(&path, "first line\nsecond line\nthird line\n").expect("write");
        let (data, original, cut) = tail(&path, 15).expect("tail");
        assert_eq!((data.as_slice(), original, cut), (&b"third line\n"[..], 34, true));
        let (data, _, cut) = tail(&path, 100).expect("tail");
        assert_eq!((data.len(), cut), (34, false));
    }

    #[test]
    fn the_total_cap_cuts_later_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.log");
        let b = dir.path().join("b.log");
        std::fs::write(&a, "aaaa\n".repeat(10)).expect("write");
        std::fs::write(&b, "bbbb\n".repeat(10)).expect("write");
        let (items, notes) = plan(
            &[a, b],
            &[],
            Limits { per_file: 1000, total: 70 },
            &Redactor::disabled(),
            Duration::from_secs(1),
        );
        assert!(notes.is_empty());
        assert_eq!(items[0].data.len(), 50);
        assert!(!items[0].cut);
        assert!(
            items[1].cut && items[1].data.len() <= 20 && items[1].data.ends_with(b"bbbb\n"),
            "{:?}",
            items[1]
        );
    }
}
