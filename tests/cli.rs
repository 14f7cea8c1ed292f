//! The command line end to end: exit codes, formats, colour, stdin and gzip, and a clear one-line
//! message (never a panic) for every kind of bad input, with the rest of the input still scanned.

use std::io::Write;

use flate2::{write::GzEncoder, Compression};

use crate::support::{doctor, output as stdout_of, root};

#[test]
fn a_successful_run_exits_zero() {
    let (code, out, err) = stdout_of(doctor().args(["diagnose", "tests/data/success-short.log"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("run: stack.sh succeeded in phase \"Starting Horizon\""), "{out}");
    assert!(out.contains("no known problem found"), "{out}");
}

#[test]
fn a_known_failure_exits_one_with_root_cause_fix_and_reference() {
    let (code, out, _) = stdout_of(doctor().args(["diagnose", "tests/data/git-tls.log"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("run: stack.sh failed in phase \"Installing OpenStack project source\" at tests/data/git-tls.log:10"), "{out}");
    let first = out.lines().find(|l| l.starts_with("error[")).expect("a finding");
    assert!(first.starts_with("error[git-tls-ca-missing]") && first.contains("(root cause)"), "{out}");
    assert!(out.contains("sudo apt-get install --reinstall ca-certificates"), "{out}");
    assert!(out.contains("see: "), "{out}");
    assert!(!out.contains('\u{1b}'), "colour on a pipe: {out}");
}

#[test]
fn an_unexplained_failure_exits_three_with_the_failure_context() {
    let (code, out, _) = stdout_of(doctor().args(["diagnose", "tests/data/unknown-failure.log"]));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("error[stack-sh-failed]"), "{out}");
    assert!(out.contains("FrobnicatorError: the frobnicator is out of sync"), "{out}");
    assert!(out.contains("run: stack.sh failed in phase \"Creating initial neutron network elements\" at tests/data/unknown-failure.log:4"), "{out}");
    assert!(out.contains("| + ./stack.sh:main:1454"), "{out}");
}

#[test]
fn a_rule_directory_adds_rules() {
    let (code, out, err) = stdout_of(doctor().args([
        "diagnose",
        "--rules",
        "tests/data/own-rules",
        "tests/data/unknown-failure.log",
    ]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("error[frobnicator-out-of-sync]"), "{out}");
    assert!(out.contains("Resynchronise: the frobnicator is out of sync with the widget."), "{out}");
    assert!(!out.contains("stack-sh-failed"), "{out}");
}

#[test]
fn json_output_follows_the_schema() {
    let (code, out, _) = stdout_of(doctor().args(["diagnose", "--format", "json", "tests/data/git-tls.log"]));
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["tool"]["name"], "devstack-doctor");
    assert_eq!(doc["run"]["status"], "failed");
    assert_eq!(doc["run"]["failed_at"]["line"], 10);
    let first = &doc["findings"][0];
    for key in [
        "rule_id",
        "title",
        "severity",
        "area",
        "rank",
        "root_cause",
        "explains",
        "evidence",
        "facts",
        "fix",
        "references",
    ] {
        assert!(first.get(key).is_some(), "finding has no {key}: {first}");
    }
    assert_eq!(first["rule_id"], "git-tls-ca-missing");
    assert_eq!(first["rank"], 1);
    assert_eq!(first["root_cause"], true);
    assert_eq!(first["evidence"][0]["line"], 4);
    for key in ["files", "bytes", "lines", "rules"] {
        assert!(doc["stats"][key].as_u64().is_some(), "stats.{key}");
    }
    assert!(doc["errors"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn stdin_and_gzip_are_read() {
    let log = std::fs::read(root().join("tests/data/git-tls.log")).expect("read");
    let (code, out, _) = stdout_of(doctor().args(["diagnose", "-"]).write_stdin(log.clone()));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[git-tls-ca-missing]"), "{out}");

    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("stack.sh.log.gz");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(&log).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let (code, out, _) = stdout_of(doctor().arg("diagnose").arg(&gz));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[git-tls-ca-missing]"), "{out}");
}

#[test]
fn a_truncated_gzip_is_reported_and_what_was_read_is_used() {
    let log = std::fs::read(root().join("tests/data/git-tls.log")).expect("read");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(&log.repeat(50)).expect("gzip");
    let full = enc.finish().expect("gzip");
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("cut.log.gz");
    std::fs::write(&gz, &full[..full.len() / 2]).expect("write");
    let (code, out, err) = stdout_of(doctor().arg("diagnose").arg(&gz));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("cut.log.gz: truncated gzip stream"), "{err}");
    assert!(out.contains("git-tls-ca-missing"), "{out}");
}

#[test]
fn bad_inputs_get_one_line_each_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = dir.path().join("core.log");
    std::fs::write(&binary, b"\x7fELF\0\0\0\0binary").expect("write");
    let empty = dir.path().join("empty-dir");
    std::fs::create_dir(&empty).expect("mkdir");
    let (code, out, err) = stdout_of(
        doctor()
            .args(["diagnose", "no/such/file.log"])
            .arg(&binary)
            .arg(&empty)
            .arg("tests/data/git-tls.log"),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no/such/file.log: no such file or directory"), "{err}");
    assert!(err.contains("core.log: binary file (NUL byte at offset 4), skipped"), "{err}");
    assert!(err.contains("empty-dir: no log files found in this directory"), "{err}");
    assert_eq!(err.lines().count(), 3, "{err}");
    assert!(out.contains("error[git-tls-ca-missing]"), "the good file was not scanned: {out}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn invalid_utf8_is_a_warning_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("latin1.log");
    let mut bytes = b"caf\xe9 \xff\xfe\n".to_vec();
    bytes.extend(std::fs::read(root().join("tests/data/success-short.log")).expect("read"));
    std::fs::write(&file, bytes).expect("write");
    let (code, out, err) = stdout_of(doctor().arg("diagnose").arg(&file));
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("latin1.log: contains bytes that are not valid UTF-8"), "{err}");
}

#[test]
fn a_huge_line_does_not_flood_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("huge.log");
    let mut bytes = b"fatal: unable to access 'https://opendev.org/x.git/': server certificate verification failed. CAfile: /etc/ssl/certs/ca-certificates.crt ".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 3 << 20));
    bytes.push(b'\n');
    std::fs::write(&file, bytes).expect("write");
    let (code, out, err) = stdout_of(doctor().arg("diagnose").arg(&file));
    assert_eq!(code, 1, "{err}");
    assert!(out.len() < 20_000, "report is {} bytes", out.len());
    assert!(err.contains("huge.log: 1 line(s) longer than 1 MiB were cut"), "{err}");
}

#[test]
fn malformed_rules_are_reported_with_positions() {
    let (code, out, _) = stdout_of(doctor().args(["rules", "check", "tests/data/bad-rules"]));
    assert_eq!(code, 2, "{out}");
    let bad = "tests/data/bad-rules/git/broken-rule.toml";
    assert!(out.contains(&format!("{bad}:2:9: title ends with a period")), "{out}");
    assert!(out.contains(&format!("{bad}:3:12: unknown severity `fatal`")), "{out}");
    assert!(out.contains(&format!("{bad}:8:9: regex does not compile")), "{out}");
    assert!(
        out.contains(&format!("{bad}:16:7: reference url `http://example.org/` is not an https URL")),
        "{out}"
    );
    assert!(out.contains("a rule needs at least one test with expect = \"no-match\""), "{out}");
    assert!(out.contains("tests/data/bad-rules/git/not-toml.toml:2:"), "{out}");

    // diagnose still runs with the rules that loaded, and says something was wrong.
    let (code, out, err) =
        stdout_of(doctor().args(["diagnose", "--rules", "tests/data/bad-rules", "tests/data/git-tls.log"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("broken-rule.toml:3:12: unknown severity"), "{err}");
    assert!(out.contains("error[git-tls-ca-missing]"), "{out}");
}

#[test]
fn the_builtin_rules_check_clean() {
    let (code, out, _) = stdout_of(doctor().args(["rules", "check", "rules"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with(", 0 problems\n"), "{out}");
}

#[test]
fn rules_check_notes_a_regex_without_fixed_text() {
    let (code, out, _) = stdout_of(doctor().args(["rules", "check", "tests/data/slow-rules"]));
    assert_eq!(code, 0, "a note is not a problem: {out}");
    assert!(
        out.contains(
            "tests/data/slow-rules/git/counted-words.toml: note: signature 1 has no fixed text of 4 or more \
             characters, so it is checked on every line of every log"
        ),
        "{out}"
    );
    assert!(out.ends_with("1 rules and 2 tests checked, 0 problems\n"), "{out}");
    let (_, builtin, _) = stdout_of(doctor().args(["rules", "check", "rules"]));
    assert!(!builtin.contains("note:"), "{builtin}");
}

#[test]
fn explain_shows_the_entry_and_suggests_on_typos() {
    let (code, out, _) = stdout_of(doctor().args(["explain", "git-tls-ca-missing"]));
    assert_eq!(code, 0);
    for part in ["[git-tls-ca-missing]", "What happens", "How to fix it", "References", "https://"] {
        assert!(out.contains(part), "{part}: {out}");
    }
    let (code, _, err) = stdout_of(doctor().args(["explain", "git-tls-ca-mising"]));
    assert_eq!(code, 2);
    assert!(err.contains("did you mean git-tls-ca-missing"), "{err}");
}

#[test]
fn rules_list_and_search() {
    let (code, out, _) = stdout_of(doctor().args(["rules", "list", "--area", "tls"]));
    assert_eq!(code, 0);
    assert!(out.lines().all(|l| l.split_whitespace().nth(2) == Some("tls")), "{out}");
    assert!(out.contains("git-tls-ca-missing"));
    let (code, out, _) = stdout_of(doctor().args(["rules", "list", "--format", "json"]));
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(rows.as_array().is_some_and(|r| r.len() >= 30));

    let line = "fatal: unable to access 'https://opendev.org/openstack/nova.git/': server certificate verification failed. CAfile: /etc/ssl/certs/ca-certificates.crt CRLfile: none";
    let (code, out, _) = stdout_of(doctor().args(["rules", "search", line]));
    assert_eq!(code, 0);
    assert!(out.lines().next().is_some_and(|l| l.starts_with("git-tls-ca-missing")), "{out}");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let (_, out, _) = stdout_of(doctor().args(["--color", "always", "diagnose", "tests/data/git-tls.log"]));
    assert!(out.contains('\u{1b}'), "{out}");
    let (_, out, _) = stdout_of(doctor().args(["--color", "never", "diagnose", "tests/data/git-tls.log"]));
    assert!(!out.contains('\u{1b}'));
    let (_, out, _) = stdout_of(doctor().env("NO_COLOR", "1").args(["diagnose", "tests/data/git-tls.log"]));
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn fail_on_and_quiet() {
    let (code, _, _) =
        stdout_of(doctor().args(["diagnose", "--fail-on", "error", "tests/data/success-short.log"]));
    assert_eq!(code, 0);
    let (code, out, _) = stdout_of(doctor().args(["diagnose", "--quiet", "tests/data/git-tls.log"]));
    assert_eq!(code, 1);
    assert!(out.starts_with("error[git-tls-ca-missing]"), "{out}");
    assert!(!out.contains("summary:"), "{out}");
}

#[test]
fn bad_arguments_exit_two() {
    let (code, _, err) = stdout_of(doctor().args(["diagnose", "--format", "yaml", "x.log"]));
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'yaml'"), "{err}");
}

#[test]
fn patterns_are_one_per_line_and_compile() {
    let (code, out, _) = stdout_of(doctor().args(["rules", "patterns"]));
    assert_eq!(code, 0);
    for line in out.lines() {
        assert!(regex::bytes::Regex::new(line).is_ok(), "{line}");
    }
    assert!(out.lines().count() >= 30);
}
