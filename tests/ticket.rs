//! The ticket and hook workflows end to end: `run` around a stand-in stack.sh, `hook install` and
//! `uninstall` on a scratch checkout, `collect` then `diagnose` of the bundle, and the canary test:
//! secrets planted everywhere DevStack leaks them never reach a report or a bundle.

use std::{fs, os::unix::fs::PermissionsExt, path::Path};

use crate::support::{doctor, output, root};

/// A scratch DevStack checkout whose local.conf sends the log to `<dir>/logs`, with a stand-in
/// stack.sh that prints `say`, copies `log` there as the run's log, and exits with `code`.
fn checkout(dir: &Path, log: Option<&str>, code: i32) {
    let devstack = dir.join("devstack");
    fs::create_dir_all(&devstack).expect("mkdir");
    fs::create_dir_all(dir.join("logs")).expect("mkdir");
    fs::write(
        devstack.join("local.conf"),
        format!(
            "[[local|localrc]]\nADMIN_PASSWORD=CanaryAdmin7x\nLOGFILE={}/logs/stack.sh.log\n",
            dir.display()
        ),
    )
    .expect("local.conf");
    let copy = log.map_or_else(String::new, |log| {
        format!("cp {} {}/logs/stack.sh.log.2026-01-02-100000\n", root().join(log).display(), dir.display())
    });
    let script = format!("#!/bin/sh\necho 'stand-in stack.sh running'\n{copy}exit {code}\n");
    let path = devstack.join("stack.sh");
    fs::write(&path, script).expect("stack.sh");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn run_keeps_the_exit_status_prints_the_diagnosis_and_writes_a_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    checkout(dir.path(), Some("tests/data/git-tls.log"), 7);
    let stack = dir.path().join("devstack/stack.sh");
    let (code, out, err) = output(doctor().arg("run").arg("--").arg(&stack));
    assert_eq!(code, 7, "{out}{err}");
    assert!(
        out.starts_with("stand-in stack.sh running\n"),
        "the command's output passes through first: {out}"
    );
    assert!(out.contains("error[git-tls-ca-missing]"), "{out}");
    let report = dir.path().join("logs/devstack-doctor-report.md");
    let text = fs::read_to_string(&report).expect("report written beside the log");
    assert!(text.contains("git-tls-ca-missing"), "{text}");
    assert!(out.contains(&format!("report for a ticket written to {}", report.display())), "{out}");
}

#[test]
fn run_of_a_successful_command_adds_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    checkout(dir.path(), None, 0);
    let report = dir.path().join("r.md");
    let (code, out, _) = output(
        doctor().arg("run").arg("--report").arg(&report).arg("--").arg(dir.path().join("devstack/stack.sh")),
    );
    assert_eq!(code, 0);
    assert_eq!(out, "stand-in stack.sh running\n");
    assert!(!report.exists());
}

#[test]
fn run_of_a_missing_command_is_a_clear_error() {
    let (code, _, err) = output(doctor().args(["run", "--", "/no/such/stack.sh"]));
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/stack.sh"), "{err}");
}

#[test]
fn hook_install_is_idempotent_and_uninstall_restores_the_file() {
    for existing in [None, Some("#!/bin/bash\necho my own local.sh\n")] {
        let dir = tempfile::tempdir().expect("tempdir");
        checkout(dir.path(), None, 0);
        let devstack = dir.path().join("devstack");
        let local = devstack.join("local.sh");
        if let Some(text) = existing {
            fs::write(&local, text).expect("local.sh");
            fs::set_permissions(&local, fs::Permissions::from_mode(0o750)).expect("chmod");
        }
        let (code, out, err) = output(doctor().args(["hook", "install"]).arg(&devstack));
        assert_eq!(code, 0, "{out}{err}");
        let first = fs::read_to_string(&local).expect("installed");
        let (code, out, _) = output(doctor().args(["hook", "install"]).arg(&devstack));
        assert_eq!(code, 0);
        assert!(out.contains("already installed"), "{out}");
        assert_eq!(
            fs::read_to_string(&local).expect("still there"),
            first,
            "a second install changes nothing"
        );
        assert_eq!(first.matches("# >>> devstack-doctor hook >>>").count(), 1);
        assert!(first.contains("diagnose --no-logs"), "{first}");
        assert!(
            fs::metadata(&local).expect("meta").permissions().mode() & 0o100 != 0,
            "local.sh must stay executable"
        );
        if let Some(text) = existing {
            assert!(first.starts_with(text), "the user's lines come first, unchanged: {first}");
        }
        let (code, _, _) = output(doctor().args(["hook", "uninstall"]).arg(&devstack));
        assert_eq!(code, 0);
        match existing {
            Some(text) => assert_eq!(fs::read_to_string(&local).expect("kept"), text),
            None => assert!(!local.exists(), "a local.sh the hook created goes away with it"),
        }
    }
}

#[test]
fn a_collected_bundle_gives_the_same_findings_anywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    checkout(dir.path(), Some("tests/data/git-tls.log"), 1);
    fs::copy(root().join("tests/data/git-tls.log"), dir.path().join("logs/stack.sh.log.2026-01-02-100000"))
        .expect("log");
    let devstack = dir.path().join("devstack");
    let logs = dir.path().join("logs");
    let bundle = dir.path().join("ticket.tar.gz");
    let (code, out, err) = output(
        doctor()
            .arg("collect")
            .arg("-o")
            .arg(&bundle)
            .arg("--devstack-dir")
            .arg(&devstack)
            .arg("--logdir")
            .arg(&logs),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(fs::metadata(&bundle).expect("written").permissions().mode() & 0o777, 0o600);

    let ids = |json: &str| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_str(json).expect("json");
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let (_, original, _) = output(
        doctor().args(["diagnose", "--format", "json"]).arg(logs.join("stack.sh.log.2026-01-02-100000")),
    );
    let (code, from_bundle, err) =
        output(doctor().current_dir(dir.path()).args(["diagnose", "--format", "json", "ticket.tar.gz"]));
    assert_eq!(code, 1, "{err}");
    let (original, from_bundle) = (ids(&original), ids(&from_bundle));
    assert_eq!(original.first().map(String::as_str), Some("git-tls-ca-missing"));
    for id in &original {
        assert!(from_bundle.contains(id), "{id} missing from the bundle's diagnosis {from_bundle:?}");
    }

    let (code, out, _) = output(
        doctor()
            .arg("collect")
            .arg("--dry-run")
            .arg("--devstack-dir")
            .arg(&devstack)
            .arg("--logdir")
            .arg(&logs),
    );
    assert_eq!(code, 0);
    assert!(out.contains("logs/stack.sh.log.2026-01-02-100000"), "{out}");
    assert!(out.contains("facts.json"), "{out}");
}

/// A .tar.gz whose one entry is written with exactly the given name and type.
fn evil_bundle(path: &Path, name: &str, kind: tar::EntryType, size: u64) {
    let file = fs::File::create(path).expect("create");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(size);
    let bytes = name.as_bytes();
    header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
    if kind.is_symlink() {
        header.set_size(0);
        header.set_link_name("/etc/passwd").expect("link name");
    }
    header.set_cksum();
    let data = vec![b'x'; usize::try_from(header.size().expect("size")).expect("fits")];
    builder.append(&header, &data[..]).expect("append");
    builder.into_inner().expect("tar").finish().expect("gzip");
}

#[test]
fn unsafe_bundles_are_refused_and_nothing_is_written_outside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: &[(&str, tar::EntryType, u64, &str)] = &[
        ("../escaped.log", tar::EntryType::Regular, 4, "escapes the bundle: refused"),
        ("/tmp/absolute.log", tar::EntryType::Regular, 4, "escapes the bundle: refused"),
        ("logs/link.log", tar::EntryType::Symlink, 0, "is a link: refused"),
        ("logs/dev", tar::EntryType::Block, 0, "is not a regular file: refused"),
        // A header that promises 2 GiB: refused before a byte of it is written.
        ("logs/huge.log", tar::EntryType::Regular, 2 << 30, "unpacks to more than 1024 MiB: refused"),
    ];
    for (index, (name, kind, size, message)) in cases.iter().enumerate() {
        let bundle = dir.path().join(format!("evil-{index}.tar.gz"));
        if *size > 1 << 20 {
            // Write the header by hand: the body is never read, so it need not exist.
            let file = fs::File::create(&bundle).expect("create");
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            header.set_size(*size);
            header.set_path(name).expect("path");
            header.set_cksum();
            std::io::Write::write_all(&mut gz, header.as_bytes()).expect("header");
            gz.finish().expect("gzip");
        } else {
            evil_bundle(&bundle, name, *kind, *size);
        }
        let (code, out, err) =
            output(doctor().current_dir(dir.path()).arg("diagnose").arg(format!("evil-{index}.tar.gz")));
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains(&format!("evil-{index}.tar.gz:")) && err.contains(message), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!dir.path().join("escaped.log").exists() && !Path::new("/tmp/absolute.log").exists());
}
