//! Properties of the run model and of line normalisation: how a run ended does not depend on the
//! harmless lines around its markers, a scan (which feeds the run model only some lines, in chunks)
//! agrees with the run model fed every line, and [`logline::message`] takes any bytes without
//! panicking and is idempotent.

use std::{
    path::{Path, PathBuf},
    sync::LazyLock,
};

use devstack_doctor::{
    engine::{Matcher, SourceScanner},
    input::{role_of, Role},
    logline,
    rules::RuleSet,
    run::{summarize, RunSummary},
};
use proptest::{collection::vec, prelude::*, test_runner::Config};

use crate::support::files_under;

/// Substrings that make a line a run marker (or part of one); noise never holds them.
const MARKERS: &[&str] = &[
    "Error on exit",
    "[ERROR]",
    "stack.sh failed",
    "stack.sh completed in",
    "[Call Trace]",
    "Async",
    "This is your host IP address",
    "Services are running under systemd",
];

/// A sample log with how its run ended.
struct Sample {
    path: PathBuf,
    text: String,
    summary_file: bool,
    original: RunSummary,
}

/// Every sample under samples/logs that has an `.expect.toml`, with its run summarised.
fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    for expect in files_under("samples/logs", ".expect.toml") {
        let name = expect.to_string_lossy().strip_suffix(".expect.toml").expect("suffix").to_string();
        let path = [PathBuf::from(&name), PathBuf::from(format!("{name}.log"))]
            .into_iter()
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no sample beside {}", expect.display()));
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read sample")).into_owned();
        let file_name = path.file_name().and_then(|n| n.to_str()).expect("name");
        let summary_file = role_of(file_name) == Role::Summary;
        let original = summarize(&text, summary_file);
        let wanted: toml::Value =
            toml::from_str(&std::fs::read_to_string(&expect).expect("read")).expect("toml");
        let wanted = wanted.get("status").and_then(|s| s.as_str()).expect("status");
        assert_eq!(
            original.status.as_str(),
            wanted,
            "{}: run::summarize disagrees with its expect file",
            rel(&path)
        );
        out.push(Sample { path, text, summary_file, original });
    }
    assert!(out.len() >= 20, "only {} samples", out.len());
    out
}

fn rel(path: &Path) -> String {
    crate::support::rel(path)
}

/// A DevStack time stamp, or none.
fn stamp() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (0u32..60, 0u32..1000).prop_map(|(s, ms)| format!("2026-01-02 10:00:{s:02}.{ms:03} | ")),
    ]
}

/// Lines that occur in every stack.sh log and mean nothing for how it ends.
fn noise_line() -> impl Strategy<Value = String> {
    let name = "[a-z][a-z0-9_-]{0,15}";
    let body = prop_oneof![
        (name, "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}").prop_map(|(p, v)| format!(
            "Requirement already satisfied: {p} in /opt/stack/data/venv/lib/python3.12/site-packages ({v})"
        )),
        name.prop_map(|p| format!("Cloning into '/opt/stack/{p}'...")),
        (1000u32..99999, name, "[ -~]{0,40}").prop_map(|(pid, m, cmd)| format!(
            "2026-01-02 10:00:01.123 {pid} DEBUG oslo_concurrency.processutils [-] Running cmd (subprocess): {m} {cmd} execute /opt/stack/data/venv/lib/python3.12/site-packages/oslo_concurrency/processutils.py:349"
        )),
        (name, 1u32..2000).prop_map(|(f, n)| format!("+ functions-common:{f}:{n}                 :   local xtrace")),
        "[ -~]{0,120}",
        Just(String::new()),
    ];
    (stamp(), body)
        .prop_map(|(stamp, body)| format!("{stamp}{body}"))
        .prop_filter("holds a run marker", |line| !MARKERS.iter().any(|m| line.contains(m)))
}

/// `noise` inserted into `text` at positions given as arbitrary numbers (taken modulo the length).
fn with_noise(text: &str, noise: &[(usize, String)]) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    for (at, line) in noise {
        let at = at % (lines.len() + 1);
        lines.insert(at, line);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn no_persistence(cases: u32) -> Config {
    // No regression files: they would be written beside the tests.
    Config { cases, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(no_persistence(32))]

    #[test]
    fn noise_lines_do_not_change_how_a_run_ended(noise in vec((any::<usize>(), noise_line()), 1..24)) {
        thread_local! {
            static SAMPLES: Vec<Sample> = samples();
        }
        SAMPLES.with(|samples| -> Result<(), TestCaseError> {
            for sample in samples {
                let noisy = with_noise(&sample.text, &noise);
                let got = summarize(&noisy, sample.summary_file);
                let want = &sample.original;
                let name = rel(&sample.path);
                prop_assert_eq!(got.status, want.status, "{}: status changed", &name);
                // Nor does the failure point move onto a noise line.
                prop_assert_eq!(
                    got.first_error.as_ref().map(|e| &e.at.text),
                    want.first_error.as_ref().map(|e| &e.at.text),
                    "{}: first error changed", &name
                );
                prop_assert_eq!(
                    got.exit_line.as_ref().map(|l| &l.text),
                    want.exit_line.as_ref().map(|l| &l.text),
                    "{}: exit line changed", &name
                );
            }
            Ok(())
        })?;
    }
}

/// Time-stamp prefixes as DevStack and the Zuul console write them.
fn stamp_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"2026-01-02 10:00:00.000 | ".to_vec()),
        Just(b"2021-09-28 05:44:47.791807 | controller | ".to_vec()),
        Just(b"2026-01-02 10:00:00 |".to_vec()),
    ]
}

/// Pieces that the normaliser treats specially, to build lines that exercise it more than random
/// bytes would. Time stamps are left out: they only count at the start (see [`lineish`]).
fn body_piece(line_ends: bool) -> impl Strategy<Value = Vec<u8>> {
    let ends = if line_ends { vec![b"\r".to_vec(), b"\n".to_vec()] } else { vec![b"x".to_vec()] };
    prop_oneof![
        Just(b"\x1b[01;31m".to_vec()),
        Just(b"\x1b[0m".to_vec()),
        Just(b"\x1b[K".to_vec()),
        Just(b"\x1b(B".to_vec()),
        Just(b"\x1b]0;title\x07".to_vec()),
        Just(b"\x1b".to_vec()),
        Just(b"\x01".to_vec()),
        Just(b"\x02".to_vec()),
        Just(b"+ ".to_vec()),
        Just(b"[ERROR] ".to_vec()),
        proptest::sample::select(ends),
        vec(any::<u8>(), 0..8).prop_map(move |mut b| {
            if !line_ends {
                b.retain(|c| !matches!(c, b'\r' | b'\n'));
            }
            b
        }),
        "[ -~]{0,12}".prop_map(String::into_bytes),
    ]
}

/// A raw log line: at most two leading time stamps (the documented limit of what is removed; a
/// third would survive once and be removed by a second pass), then pieces of text, escapes and,
/// when `line_ends`, carriage returns and line feeds anywhere. Without, the line only ends in
/// `\n` or `\r\n`, as the reader hands lines over.
fn lineish(line_ends: bool) -> impl Strategy<Value = Vec<u8>> {
    let end = prop_oneof![Just(&b""[..]), Just(&b"\n"[..]), Just(&b"\r\n"[..])];
    (vec(stamp_piece(), 0..=2), vec(body_piece(line_ends), 0..10), end)
        .prop_map(|(stamps, body, end)| [stamps.concat(), body.concat(), end.to_vec()].concat())
}

/// Bytes with the ones the normaliser cares about much likelier than uniform.
fn weighted_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => any::<u8>(),
        2 => proptest::sample::select(vec![b'\r', b'\n', 0x1b, 0x01, 0x02, b'[', b']', b'm', 0x07, b'\\', b'+', b' ']),
    ]
}

fn assert_idempotent(raw: &[u8]) -> Result<(), TestCaseError> {
    let once = logline::message(raw).into_owned();
    let twice = logline::message(&once).into_owned();
    prop_assert_eq!(
        String::from_utf8_lossy(&twice),
        String::from_utf8_lossy(&once),
        "message(message(raw)) != message(raw) for raw = {:?}",
        String::from_utf8_lossy(raw)
    );
    Ok(())
}

proptest! {
    #![proptest_config(no_persistence(2048))]

    #[test]
    fn message_takes_any_bytes(raw in vec(any::<u8>(), 0..300)) {
        let message = logline::message(&raw);
        prop_assert!(message.len() <= raw.len());
        let _ = logline::is_xtrace(&message);
    }

    #[test]
    fn message_is_idempotent_on_lines(raw in lineish(false)) {
        assert_idempotent(&raw)?;
    }

    #[test]
    fn message_is_idempotent_on_lines_with_inner_line_ends(raw in lineish(true)) {
        assert_idempotent(&raw)?;
    }

    #[test]
    fn message_is_idempotent_on_arbitrary_bytes(raw in vec(weighted_byte(), 0..300)) {
        assert_idempotent(&raw)?;
    }
}

/// The smallest case the properties above find: a progress line that erases itself
/// (`\r` then "erase to end of line") ends in a carriage return once normalised.
#[test]
fn a_carriage_return_before_a_trailing_escape_is_removed() {
    let raw = b"Downloading cirros-0.6.3-x86_64-disk.img 45%\r\x1b[K\n";
    assert_eq!(
        String::from_utf8_lossy(&logline::message(raw)),
        "Downloading cirros-0.6.3-x86_64-disk.img 45%"
    );
}

/// The run summary of a scan of `text` cut into chunks (at line ends) of about the given sizes; a
/// scan feeds the run model only the lines that hold a marker, or that it asks for.
fn scanned(text: &str, summary_file: bool, sizes: &[usize]) -> RunSummary {
    static RULES: LazyLock<RuleSet> = LazyLock::new(crate::support::builtin_rules);
    static MATCHER: LazyLock<Matcher<'static>> = LazyLock::new(|| Matcher::new(&RULES).expect("compiles"));
    let (name, role) =
        if summary_file { ("stack.sh.log.summary", Role::Summary) } else { ("stack.sh.log", Role::StackLog) };
    let mut scanner = SourceScanner::new(&MATCHER, name, name, true, role);
    let mut rest = text.as_bytes();
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let cut = rest.iter().skip(*size).position(|b| *b == b'\n').map_or(rest.len(), |i| size + i + 1);
        let (head, tail) = rest.split_at(cut.min(rest.len()));
        scanner.chunk(head);
        rest = tail;
    }
    scanner.finish().run.expect("a stack log is followed by the run model")
}

#[test]
fn a_scan_agrees_with_the_run_model_fed_every_line() {
    for sample in samples() {
        for sizes in [&[usize::MAX][..], &[0], &[300, 5000, 17]] {
            assert_eq!(
                scanned(&sample.text, sample.summary_file, sizes),
                sample.original,
                "{} in chunks of {sizes:?}",
                rel(&sample.path)
            );
        }
    }
}

proptest! {
    #![proptest_config(no_persistence(32))]

    #[test]
    fn a_scan_agrees_with_the_run_model_with_noise_and_any_chunks(
        noise in vec((any::<usize>(), noise_line()), 0..24),
        sizes in vec(0usize..4000, 1..6),
    ) {
        thread_local! {
            static SAMPLES: Vec<Sample> = samples();
        }
        SAMPLES.with(|samples| -> Result<(), TestCaseError> {
            for sample in samples {
                let noisy = with_noise(&sample.text, &noise);
                prop_assert_eq!(
                    scanned(&noisy, sample.summary_file, &sizes),
                    summarize(&noisy, sample.summary_file),
                    "{}", rel(&sample.path)
                );
            }
            Ok(())
        })?;
    }
}
