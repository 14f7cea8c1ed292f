//! Hostile and odd inputs: huge lines, binary files, broken encodings and line endings, bad gzip,
//! files that vanish, FIFOs, devices, symlink loops, huge directories and unreadable paths. Each must
//! give a clear one-line message naming the input (never a panic, never a hang), and a known failure
//! log beside it (`tests/data/git-tls.log`, root cause `git-tls-ca-missing`) must still be diagnosed.
//!
//! The binary is run under `timeout` so that a hang fails the test instead of the whole suite.

use std::{
    ffi::OsStr,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use devstack_doctor::{
    app::{build_report, ScanOptions},
    engine::Matcher,
    facts::Facts,
    input,
    rules::{sources, RuleSet},
};
use flate2::{write::GzEncoder, Compression};
use serde_json::Value;

use crate::support::root;

/// The exit status `timeout` gives when it had to stop the command.
const TIMED_OUT: i32 = 124;

/// What one run of the binary gave.
struct Run {
    code: i32,
    out: String,
    err: String,
    took: Duration,
}

impl Run {
    /// The JSON report on stdout (the run must have used `--format json`).
    fn json(&self) -> Value {
        serde_json::from_str(&self.out)
            .unwrap_or_else(|e| panic!("stdout is not a JSON report ({e}):\n{}\n{}", self.out, self.err))
    }

    /// Fails unless the run finished by itself, with a known exit status and no panic.
    fn sane(&self) -> &Run {
        assert_ne!(self.code, TIMED_OUT, "the command hung (stopped by timeout after {:?})", self.took);
        assert!(!self.err.contains("panicked"), "panic: {}", self.err);
        assert!([0, 1, 2, 3].contains(&self.code), "exit status {}: {}", self.code, self.err);
        self
    }

    /// The stderr line about `name` (the messages are `devstack-doctor: <path>: <reason>`).
    fn message_about(&self, name: &str) -> &str {
        self.err
            .lines()
            .find(|l| l.contains(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no message naming {name}:\n{}", self.err))
    }
}

/// Runs `devstack-doctor <args>` from the crate root, stopped after `secs` seconds.
fn doctor<I, S>(secs: u32, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let started = Instant::now();
    let out = Command::new("timeout")
        .args(["--kill-after=5", &secs.to_string(), env!("CARGO_BIN_EXE_devstack-doctor")])
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env("HOME", "/nonexistent")
        .output()
        .expect("timeout runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// `diagnose --format json <paths>`, stopped after 60 seconds.
fn diagnose_json(paths: &[&Path]) -> Run {
    let mut args: Vec<&OsStr> = vec!["diagnose".as_ref(), "--format".as_ref(), "json".as_ref()];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    doctor(60, args)
}

fn git_tls_log() -> Vec<u8> {
    std::fs::read(root().join("tests/data/git-tls.log")).expect("read git-tls.log")
}

/// Puts the known failure beside the bad input.
fn known_failure_in(dir: &Path) -> PathBuf {
    let path = dir.join("git-tls.log");
    std::fs::write(&path, git_tls_log()).expect("write git-tls.log");
    path
}

/// The known failure was diagnosed: its rule is the root cause.
fn assert_known_failure_found(report: &Value) {
    let first = &report["findings"][0];
    assert_eq!(first["rule_id"], "git-tls-ca-missing", "the good file was not diagnosed: {report:#}");
    assert_eq!(first["root_cause"], true, "{report:#}");
}

/// Diagnoses `bytes` written to a file named `name`: exit 1 with the known failure as the root
/// cause. Returns the report.
fn known_failure_report(name: &str, bytes: impl AsRef<[u8]>) -> Value {
    let dir = tempdir();
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).expect("write");
    let run = diagnose_json(&[&file]);
    run.sane();
    assert_eq!(run.code, 1, "{name}: {}", run.err);
    let report = run.json();
    assert_known_failure_found(&report);
    report
}

/// Diagnoses the directory `dir`: exit 1 with the known failure as the root cause, and nothing on
/// stderr. Returns the report.
fn quiet_known_failure_report(dir: &Path) -> Value {
    let run = diagnose_json(&[dir]);
    run.sane();
    assert_eq!(run.code, 1, "{}", run.err);
    assert!(run.err.is_empty(), "{}", run.err);
    let report = run.json();
    assert_known_failure_found(&report);
    report
}

/// Walking `dir` reads only the known failure's log (the special files beside it are skipped
/// silently) and diagnoses it.
fn assert_only_the_known_failure_is_read(dir: &Path) {
    let run = doctor(20, ["diagnose".as_ref(), "--format".as_ref(), "json".as_ref(), dir.as_os_str()]);
    run.sane();
    assert_eq!(run.code, 1, "{}", run.err);
    let report = run.json();
    assert_known_failure_found(&report);
    assert_eq!(report["stats"]["files"], 1, "{report:#}");
}

fn paths_of(report: &Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} array: {report:#}"))
        .iter()
        .map(|p| p["path"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// A service log of harmless lines, `lines` long.
fn harmless_log(lines: usize) -> Vec<u8> {
    (0..lines)
        .map(|i| format!("2026-01-02 10:00:00.000 | INFO nova.compute.manager [-] periodic task {i} ran\n"))
        .collect::<String>()
        .into_bytes()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[test]
fn a_huge_file_without_any_newline_is_cut_not_loaded() {
    // A 64 MiB stream of progress-bar updates with carriage returns and no newline at all (the
    // 1 GiB case is left to the benchmark).
    let dir = tempdir();
    let huge = dir.path().join("huge.log");
    let unit = b"\rDownloading nova-31.0.0.tar.gz  12.3/45.6 MB  ######------ ";
    let size = 64usize << 20;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&huge).expect("create"));
    let mut written = 0;
    while written < size {
        file.write_all(unit).expect("write");
        written += unit.len();
    }
    file.flush().expect("flush");
    drop(file);
    known_failure_in(dir.path());

    let run = diagnose_json(&[dir.path()]);
    run.sane();
    assert_eq!(run.code, 1, "{}", run.err);
    let report = run.json();
    assert_known_failure_found(&report);
    assert!(run.message_about("huge.log").ends_with("1 line(s) longer than 1 MiB were cut"), "{}", run.err);
    assert!(paths_of(&report, "warnings")[0].ends_with("huge.log"), "{report:#}");
    assert_eq!(report["stats"]["files"], 2, "{report:#}");
    // Every byte was read (and skipped), but the report is not flooded with the line.
    assert!(report["stats"]["bytes"].as_u64().is_some_and(|b| b >= size as u64), "{report:#}");
    assert!(run.out.len() < 50_000, "report is {} bytes", run.out.len());
}

#[test]
fn files_of_nul_bytes_are_skipped_as_binary() {
    let dir = tempdir();
    std::fs::write(dir.path().join("zeros.log"), vec![0u8; 1 << 20]).expect("write");
    std::fs::write(dir.path().join("tiny-zeros.log"), [0u8; 3]).expect("write");
    known_failure_in(dir.path());

    let run = diagnose_json(&[dir.path()]);
    run.sane();
    assert_eq!(run.code, 2, "{}", run.err);
    for name in ["zeros.log", "tiny-zeros.log"] {
        assert!(
            run.message_about(name).ends_with("binary file (NUL byte at offset 0), skipped"),
            "{}",
            run.err
        );
    }
    assert_eq!(run.err.lines().count(), 2, "{}", run.err);
    let report = run.json();
    assert_known_failure_found(&report);
    assert_eq!(report["stats"]["files"], 1, "skipped files are not counted as scanned: {report:#}");
}

#[test]
fn a_nul_byte_after_the_binary_probe_does_not_hide_the_failure() {
    // Only the first 8 KiB are probed for NUL bytes; a stray NUL later (a crashed writer, a
    // truncated-then-extended file) must not stop the lines after it from being matched.
    let mut bytes = harmless_log(200);
    assert!(bytes.len() > 8 << 10);
    bytes.extend_from_slice(b"\0\0\0\0\0\0\0\0\n");
    bytes.extend(git_tls_log());
    let report = known_failure_report("stack.sh.log", bytes);
    assert_eq!(report["findings"][0]["evidence"][0]["line"], 201 + 4, "{report:#}");
    assert_eq!(report["run"]["failed_at"]["line"], 201 + 10, "{report:#}");
}

#[test]
fn invalid_utf8_in_and_around_the_failure_line_is_a_warning_and_still_matches() {
    let dir = tempdir();
    let file = dir.path().join("latin1.log");
    let text = git_tls_log();
    let mut bytes = b"Paquet \xe9tabli, caf\xe9 \xff\xfe\n".to_vec();
    // An invalid byte inside the URL of the failure line, before the signature's text.
    let url = b"openstack/nova.git/'";
    let at = text.windows(url.len()).position(|w| w == url).expect("url in git-tls.log");
    bytes.extend_from_slice(&text[..at]);
    bytes.extend_from_slice(b"openstack/nova\xff.git/'");
    bytes.extend_from_slice(&text[at + url.len()..]);
    std::fs::write(&file, bytes).expect("write");
    let other = dir.path().join("other.log");
    std::fs::write(&other, b"\xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc\n\xed\xa0\x80\n").expect("write");

    let run = diagnose_json(&[&file, &other]);
    run.sane();
    assert_eq!(run.code, 1, "{}", run.err);
    for name in ["latin1.log", "other.log"] {
        assert!(run.message_about(name).contains("not valid UTF-8"), "{}", run.err);
    }
    let report = run.json();
    assert_known_failure_found(&report);
    let evidence = &report["findings"][0]["evidence"][0];
    assert_eq!(evidence["line"], 5, "{report:#}");
    assert!(evidence["text"].as_str().is_some_and(|t| t.contains("nova\u{fffd}.git")), "{report:#}");
}

#[test]
fn crlf_line_endings_give_the_same_diagnosis_and_line_numbers() {
    let dir = tempdir();
    let lf = known_failure_in(dir.path());
    let crlf = dir.path().join("crlf").join("git-tls.log");
    std::fs::create_dir(crlf.parent().expect("parent")).expect("mkdir");
    let text = String::from_utf8(git_tls_log()).expect("utf-8");
    assert!(!text.contains('\r'));
    std::fs::write(&crlf, text.replace('\n', "\r\n")).expect("write");

    let want = diagnose_json(&[&lf]).json();
    let run = diagnose_json(&[&crlf]);
    run.sane();
    assert_eq!(run.code, 1, "{}", run.err);
    let got = run.json();
    assert_known_failure_found(&got);
    for pointer in [
        "/run/status",
        "/run/phase",
        "/run/failed_at/line",
        "/run/failed_at/text",
        "/run/failing_command/line",
        "/run/failing_command/text",
        "/run/call_trace",
        "/findings/0/evidence/0/line",
        "/findings/0/evidence/0/text",
        "/findings/0/fix/summary",
        "/findings/1/rule_id",
        "/stats/lines",
    ] {
        assert_eq!(got.pointer(pointer), want.pointer(pointer), "{pointer}");
        assert!(want.pointer(pointer).is_some(), "{pointer} missing from {want:#}");
    }
    assert_eq!(got["findings"][0]["evidence"][0]["line"], 4);
    assert_eq!(got["run"]["failed_at"]["line"], 10);
    assert!(!run.out.contains("\\r"), "a carriage return reached the report: {}", run.out);
}

#[test]
fn ansi_colour_around_and_inside_the_failure_message_still_matches() {
    let text = String::from_utf8(git_tls_log()).expect("utf-8");
    let variants: [&[(&str, &str)]; 2] = [
        // The whole message coloured, as `git` does with color.ui=always.
        &[
            ("fatal: unable to access", "\x1b[1;31mfatal: unable to access"),
            ("CRLfile: none", "CRLfile: none\x1b[0m"),
        ],
        // Colour splitting the signature's literal text.
        &[(
            "server certificate verification failed.",
            "server \x1b[1mcertificate\x1b[0m verification \x1b[31mfailed\x1b[m.",
        )],
    ];
    for (index, edits) in variants.iter().enumerate() {
        let mut coloured = text.clone();
        for (from, to) in *edits {
            assert!(coloured.contains(from), "{from}");
            coloured = coloured.replacen(from, to, 1);
        }
        // The run markers coloured too.
        coloured = coloured
            .replace("[ERROR]", "\x1b[0;31m[ERROR]\x1b[0m")
            .replace("Error on exit", "\x1b[1mError on exit\x1b[0m");
        let report = known_failure_report(&format!("coloured-{index}.log"), coloured);
        let evidence = &report["findings"][0]["evidence"][0];
        assert_eq!(evidence["line"], 4, "variant {index}: {report:#}");
        assert!(
            evidence["text"].as_str().is_some_and(|t| t.starts_with("fatal: unable to access")
                && t.contains("server certificate verification failed.")
                && !t.contains('\u{1b}')),
            "variant {index}: {report:#}"
        );
        assert_eq!(report["run"]["status"], "failed", "variant {index}");
        assert_eq!(report["run"]["failed_at"]["line"], 10, "variant {index}: {report:#}");
    }
}

#[test]
fn a_coloured_private_key_line_is_handled_not_a_crash() {
    // A line with an escape sequence is searched again after the escapes are removed; the private
    // key marker found there once made the scanner index its signature table with the marker.
    let mut text = git_tls_log();
    text.extend_from_slice(
        b"\x1b[0m-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretbody\n-----END RSA PRIVATE KEY-----\n",
    );
    known_failure_report("key.log", text);
}

#[test]
fn a_truncated_gzip_is_reported_by_name_and_the_rest_is_scanned() {
    let dir = tempdir();
    let full = gzip(&harmless_log(20_000));
    let cases: [(&str, &[u8]); 3] = [
        ("n-cpu.log.gz", &full[..full.len() / 2]),
        ("header-only.log.gz", &full[..10]),
        ("magic-only.log.gz", &full[..2]),
    ];
    for (name, bytes) in cases {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    known_failure_in(dir.path());

    let run = diagnose_json(&[dir.path()]);
    run.sane();
    assert_eq!(run.code, 2, "{}", run.err);
    for (name, _) in cases {
        assert!(run.message_about(name).contains("truncated gzip stream"), "{name}: {}", run.err);
    }
    assert_eq!(run.err.lines().count(), cases.len(), "{}", run.err);
    let report = run.json();
    assert_known_failure_found(&report);
    // The half that was there was read.
    assert!(report["stats"]["lines"].as_u64().is_some_and(|l| l > 1000), "{report:#}");
}

#[test]
fn a_dot_gz_file_that_is_plain_text_is_read_as_text() {
    let dir = tempdir();
    let file = dir.path().join("stack.sh.log.gz");
    std::fs::write(&file, git_tls_log()).expect("write");

    let report = quiet_known_failure_report(dir.path());
    assert_eq!(report["run"]["failed_at"]["line"], 10, "{report:#}");
}

#[test]
fn gzip_magic_followed_by_garbage_is_reported_by_name() {
    let dir = tempdir();
    let valid = gzip(&harmless_log(50));
    // A real gzip header, then bytes that are not a deflate stream.
    let mut bad_deflate = valid[..10].to_vec();
    bad_deflate.extend_from_slice(&[0xff; 64]);
    let mut trailing = valid.clone();
    trailing.extend_from_slice(b"garbage after the last member\n");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("magic-text.log.gz", [&b"\x1f\x8b"[..], b"this is not a gzip header at all\n"].concat()),
        ("bad-deflate.log.gz", bad_deflate),
        ("trailing-garbage.log.gz", trailing),
    ];
    for (name, bytes) in &cases {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    known_failure_in(dir.path());

    let run = diagnose_json(&[dir.path()]);
    run.sane();
    assert_eq!(run.code, 2, "{}", run.err);
    for (name, _) in &cases {
        let message = run.message_about(name);
        assert!(message.contains(": corrupt gzip stream ("), "{name}: {message}");
        assert!(message.ends_with("the lines before it were scanned"), "{name}: {message}");
    }
    assert_eq!(run.err.lines().count(), cases.len(), "{}", run.err);
    let report = run.json();
    assert_known_failure_found(&report);
    // The good member before the garbage was read.
    assert!(report["stats"]["lines"].as_u64().is_some_and(|l| l >= 50 + 11), "{report:#}");
}

#[test]
fn a_file_removed_between_discovery_and_reading_is_an_error_entry() {
    let dir = tempdir();
    known_failure_in(dir.path());
    let doomed = dir.path().join("doomed.log");
    std::fs::write(&doomed, harmless_log(3)).expect("write");

    let (set, problems) = RuleSet::load(&sources::embedded());
    assert!(problems.is_empty(), "{problems:?}");
    let matcher = Matcher::new(&set).expect("rules compile");
    let found = input::discover(&[dir.path().display().to_string()]);
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    assert_eq!(found.sources.len(), 2, "{:?}", found.sources);
    std::fs::remove_file(&doomed).expect("remove");

    let report =
        build_report(&matcher, &found.sources, found.problems, &Facts::new(), ScanOptions::default())
            .expect("report");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].path, doomed.display().to_string());
    assert_eq!(report.errors[0].message, "no such file or directory");
    assert_eq!(report.findings.first().map(|f| f.rule_id.as_str()), Some("git-tls-ca-missing"));
    assert_eq!(report.stats.files, 1);
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn a_fifo_in_a_scanned_directory_does_not_hang() {
    let dir = tempdir();
    // Nothing ever writes to it: opening it for reading would block forever.
    let fifo = dir.path().join("stack.sh.log.fifo.log");
    mkfifo(&fifo);
    known_failure_in(dir.path());

    assert_only_the_known_failure_is_read(dir.path());

    // Named on the command line, it is refused by name instead of read.
    let good = dir.path().join("git-tls.log");
    let run = doctor(20, ["diagnose".as_ref(), fifo.as_os_str(), good.as_os_str()]);
    run.sane();
    assert_eq!(run.code, 2, "{}", run.err);
    assert!(
        run.message_about("stack.sh.log.fifo.log").ends_with("not a regular file or directory, skipped"),
        "{}",
        run.err
    );
    assert!(run.out.contains("error[git-tls-ca-missing]"), "{}", run.out);
}

#[test]
fn a_device_in_a_scanned_directory_is_not_read() {
    let dir = tempdir();
    let zero = dir.path().join("zero.log");
    std::os::unix::fs::symlink("/dev/zero", &zero).expect("symlink");
    known_failure_in(dir.path());

    // Directory walks skip symlinks, so the endless device is never opened.
    assert_only_the_known_failure_is_read(dir.path());

    // Named on the command line (directly or through the link), it is refused by name.
    let good = dir.path().join("git-tls.log");
    let run = doctor(20, ["diagnose".as_ref(), zero.as_os_str(), "/dev/zero".as_ref(), good.as_os_str()]);
    run.sane();
    assert_eq!(run.code, 2, "{}", run.err);
    for name in ["zero.log", "/dev/zero"] {
        assert!(run.message_about(name).ends_with("not a regular file or directory, skipped"), "{}", run.err);
    }
    assert!(run.out.contains("error[git-tls-ca-missing]"), "{}", run.out);
}

#[test]
fn a_symlink_loop_in_a_scanned_directory_does_not_hang() {
    let dir = tempdir();
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(target, dir.path().join(name)).expect("symlink");
    };
    link("b.log", "a.log");
    link("a.log", "b.log");
    link("self.log", "self.log");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    link("..", "sub/up");
    link(".", "sub/here");
    known_failure_in(dir.path());

    assert_only_the_known_failure_is_read(dir.path());

    // Named on the command line, a looping link gets a message naming it.
    let looping = dir.path().join("a.log");
    let good = dir.path().join("git-tls.log");
    let run = doctor(20, ["diagnose".as_ref(), looping.as_os_str(), good.as_os_str()]);
    run.sane();
    assert_eq!(run.code, 2, "{}", run.err);
    assert!(run.message_about("a.log").contains("symbolic links"), "{}", run.err);
    assert!(run.out.contains("error[git-tls-ca-missing]"), "{}", run.out);
}

#[test]
fn a_directory_of_100_000_files_is_scanned_and_counted() {
    const FILES: usize = 100_000;
    let dir = tempdir();
    for i in 0..FILES {
        std::fs::write(dir.path().join(format!("n-cpu-{i:06}.log")), b"ok\n").expect("write");
    }
    known_failure_in(dir.path());

    // About 16 s in a debug build on two idle cores (creating the files and scanning them); the
    // timeout only catches a hang, as a full parallel `cargo test` can make this several times slower.
    let run =
        doctor(300, ["diagnose".as_ref(), "--format".as_ref(), "json".as_ref(), dir.path().as_os_str()]);
    run.sane();
    assert_eq!(run.code, 1, "{}", run.err);
    let report = run.json();
    assert_known_failure_found(&report);
    assert_eq!(report["stats"]["files"], FILES as u64 + 1);
    assert_eq!(report["stats"]["lines"], FILES as u64 + 11);
}

/// Whether the current user can still read a path whose permission bits say no (root can).
fn permissions_stop_us(file: &Path, dir: &Path) -> bool {
    std::fs::read(file).is_err() && std::fs::read_dir(dir).is_err()
}

#[test]
fn unreadable_files_and_directories_are_reported_by_name() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let secret = dir.path().join("secret.log");
    std::fs::write(&secret, harmless_log(5)).expect("write");
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    std::fs::write(locked.join("inner.log"), harmless_log(7)).expect("write");
    let good = known_failure_in(dir.path());
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    mode(&secret, 0o000);
    mode(&locked, 0o000);
    let denied = permissions_stop_us(&secret, &locked);

    let walked = diagnose_json(&[dir.path()]);
    let named = diagnose_json(&[&secret, &good]);
    // Give the tempdir back its permissions so that it can be removed.
    mode(&locked, 0o755);
    mode(&secret, 0o644);

    for run in [&walked, &named] {
        run.sane();
        assert_known_failure_found(&run.json());
    }
    if denied {
        assert_eq!(walked.code, 2, "{}", walked.err);
        assert!(walked.message_about("secret.log").ends_with("permission denied"), "{}", walked.err);
        assert!(walked.message_about("locked").ends_with("permission denied"), "{}", walked.err);
        assert_eq!(walked.json()["stats"]["files"], 1);
        assert_eq!(named.code, 2, "{}", named.err);
        assert!(named.message_about("secret.log").ends_with("permission denied"), "{}", named.err);
    } else {
        // Running as root: permission bits do not stop reading, so the "unreadable" inputs must have
        // been read like any other file, without a message. (The permission-denied messages are then
        // not exercised here.)
        assert_eq!(walked.code, 1, "{}", walked.err);
        assert!(walked.err.is_empty(), "{}", walked.err);
        let report = walked.json();
        assert_eq!(report["stats"]["files"], 3, "{report:#}");
        assert_eq!(report["stats"]["lines"], 5 + 7 + 11, "{report:#}");
        assert_eq!(named.code, 1, "{}", named.err);
        assert_eq!(named.json()["stats"]["files"], 2);
    }
}

#[test]
fn empty_files_and_blank_lines_are_harmless() {
    let dir = tempdir();
    std::fs::write(dir.path().join("empty.log"), b"").expect("write");
    std::fs::write(dir.path().join("blank.log"), b"\n\n\r\n  \n").expect("write");
    std::fs::write(dir.path().join("no-newline.log"), b"x").expect("write");
    known_failure_in(dir.path());

    let report = quiet_known_failure_report(dir.path());
    assert_eq!(report["stats"]["files"], 4, "{report:#}");
    assert_eq!(report["stats"]["lines"], 4 + 1 + 11, "{report:#}");
}

#[test]
fn every_line_longer_than_the_limit_is_cut_and_reported() {
    // A line longer than MAX_LINE (1 MiB) is cut and counted, also when it ends in a newline and
    // would fit in a larger read buffer.
    let dir = tempdir();
    let file = dir.path().join("long.log");
    let mut bytes = vec![b'y'; 3 << 19];
    bytes.push(b'\n');
    std::fs::write(&file, bytes).expect("write");

    let run = diagnose_json(&[&file]);
    run.sane();
    assert!(run.message_about("long.log").ends_with("1 line(s) longer than 1 MiB were cut"), "{}", run.err);
}
