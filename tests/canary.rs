//! The canary test: secrets planted everywhere DevStack's logs and config leak them (local.conf values
//! that recur in xtrace lines, credentials in URLs, JSON tokens, auth headers, journal lines, a
//! private key, DevStack's own "The password:" banner, and facts) never appear, not even as a byte
//! sequence, in the Markdown report, the JSON report or any file of a collected bundle. The same run
//! with --no-redact shows them, which proves the planted lines do reach the output.

use std::{fs, io::Read, path::Path};

use assert_cmd::Command;

/// The planted secrets and where each one sits.
const CANARIES: &[(&str, &str)] = &[
    (
        "CanaryAdmin7xQ",
        "ADMIN_PASSWORD in local.conf, echoed by keystone-manage, clouds.yaml and the final banner",
    ),
    ("CanaryDb8xQw", "DATABASE_PASSWORD in local.conf, on mysql command lines and in a mysql+pymysql:// URL"),
    ("CanaryRabbit9xQ", "RABBIT_PASSWORD in local.conf, in rabbitmqctl and a rabbit:// transport URL"),
    ("CanarySvc6xQwe", "SERVICE_PASSWORD in local.conf, in a journal line of a service config dump"),
    ("CanaryTokenZq3", "an unseeded token in a JSON body"),
    (
        "gAAAAABpCanaryFernetTokenValueThatIsLongEnoughToLookRealQ1w2e3r4t5y6u7",
        "a Fernet token in an X-Auth-Token header",
    ),
    ("CanaryUrlPw4", "an unseeded password in a URL"),
    ("MIIEpCanaryKeyMaterialQ", "the body of a private key block"),
];

/// Test-only rules that show every planted line as evidence, so that the test proves something.
const CANARY_RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/canary-rules");

fn failed_log() -> String {
    let lines = [
        "+ ./stack.sh:main:1116                     :   echo_summary 'Starting Keystone'",
        "+ lib/keystone:bootstrap_keystone:541      :   /opt/stack/data/venv/bin/keystone-manage bootstrap --bootstrap-username admin --bootstrap-password CanaryAdmin7xQ --bootstrap-project-name admin",
        "+ lib/databases/mysql:configure_database_mysql:55 :   mysql -uroot -pCanaryDb8xQw -h127.0.0.1 -e 'SELECT 1'",
        "+ lib/rpc_backend:rabbit_setuser:97       :   sudo rabbitmqctl change_password stackrabbit CanaryRabbit9xQ",
        "Nov 25 10:00:01.123456 host devstack@keystone.service[4242]: DEBUG oslo_service.service [-] database.connection = mysql+pymysql://root:CanaryDb8xQw@127.0.0.1/keystone?charset=utf8 {{(pid=4242) log_opt_values}}",
        "Nov 25 10:00:01.223456 host devstack@n-api.service[4243]: DEBUG oslo_service.service [-] transport_url = rabbit://stackrabbit:CanaryRabbit9xQ@10.0.0.5:5672/ {{(pid=4243) log_opt_values}}",
        "Nov 25 10:00:01.323456 host devstack@n-api.service[4243]: DEBUG oslo_service.service [-] keystone_authtoken.password = CanarySvc6xQwe {{(pid=4243) log_opt_values}}",
        "REQ: curl -g -i -X GET http://10.0.0.5/identity/v3/auth/tokens -H \"X-Auth-Token: gAAAAABpCanaryFernetTokenValueThatIsLongEnoughToLookRealQ1w2e3r4t5y6u7\"",
        "RESP BODY: {\"token\": \"CanaryTokenZq3\", \"expires_at\": \"2026-11-25T11:00:00Z\"}",
        "Cloning from https://deploy:CanaryUrlPw4@git.example.org/openstack/nova.git",
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEpCanaryKeyMaterialQ",
        "-----END RSA PRIVATE KEY-----",
        "The password: CanaryAdmin7xQ",
        "Traceback (most recent call last):",
        "keystoneauth1.exceptions.http.Unauthorized: The request you have made requires authentication. (HTTP 401)",
        "Error on exit",
    ];
    lines.iter().map(|l| format!("2026-11-25 10:00:01.000 | {l}\n")).collect()
}

fn setup(dir: &Path) {
    let devstack = dir.join("devstack");
    fs::create_dir_all(&devstack).expect("mkdir");
    fs::create_dir_all(dir.join("logs")).expect("mkdir");
    fs::write(devstack.join("stack.sh"), "#!/bin/sh\n").expect("stack.sh");
    fs::write(
        devstack.join("local.conf"),
        format!(
            "[[local|localrc]]\nADMIN_PASSWORD=CanaryAdmin7xQ\nDATABASE_PASSWORD=CanaryDb8xQw\nRABBIT_PASSWORD=CanaryRabbit9xQ\nSERVICE_PASSWORD=CanarySvc6xQwe\nLOGFILE={}/logs/stack.sh.log\n",
            dir.display()
        ),
    )
    .expect("local.conf");
    fs::write(dir.join("logs/stack.sh.log.2026-11-25-095000"), failed_log()).expect("log");
}

fn doctor(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("devstack-doctor").expect("binary");
    cmd.current_dir(dir).env("HOME", "/nonexistent").env("NO_COLOR", "1");
    cmd
}

/// `diagnose --all` of the planted logs with the checkout's secrets and the canary rules, plus `extra`.
fn diagnose(dir: &Path, extra: &[&str]) -> std::process::Output {
    doctor(dir)
        .args(["diagnose", "--all", "--devstack-dir", "devstack", "--rules", CANARY_RULES])
        .args(extra)
        .arg("logs")
        .output()
        .expect("runs")
}

fn leaks(what: &str, bytes: &[u8]) -> Vec<String> {
    CANARIES
        .iter()
        .filter(|(canary, _)| bytes.windows(canary.len()).any(|w| w == canary.as_bytes()))
        .map(|(canary, place)| format!("{what} leaks {canary} ({place})"))
        .collect()
}

#[test]
fn no_canary_reaches_a_report_or_a_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    setup(dir.path());
    let mut found = Vec::new();
    for format in ["markdown", "json", "text"] {
        let out = diagnose(dir.path(), &["--format", format]);
        assert!(!out.stdout.is_empty(), "{format}: empty output");
        found.extend(leaks(format, &out.stdout));
        found.extend(leaks(&format!("{format} (stderr)"), &out.stderr));
    }
    let out = doctor(dir.path())
        .args([
            "--rules",
            CANARY_RULES,
            "collect",
            "-o",
            "bundle.tar.gz",
            "--devstack-dir",
            "devstack",
            "--logdir",
            "logs",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(
        fs::File::open(dir.path().join("bundle.tar.gz")).expect("bundle"),
    ));
    let mut files = 0;
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read");
        found.extend(leaks(&format!("bundle file {name}"), &data));
        files += 1;
    }
    assert!(files >= 5, "bundle.toml, facts.json, report.md, report.json and the log");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn without_redaction_the_planted_lines_do_show_and_the_report_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    setup(dir.path());
    let out = diagnose(dir.path(), &["--no-redact", "--format", "markdown"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().next().is_some_and(|l| l.contains("NOT redacted")), "{text}");
    let shown = leaks("markdown", &out.stdout);
    assert_eq!(
        shown.len(),
        CANARIES.len(),
        "the planted lines should reach the report when not redacted: {shown:?}\n{text}"
    );
}

#[test]
fn a_private_key_just_before_the_failure_stays_hidden_in_the_context() {
    // The lines before a failure are read back when the failure is seen; a key block among them must
    // be hidden as it is when the scan reads forward, also when the block ends right at a chunk end.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = String::from("2026-01-02 10:00:00.000 | + ./stack.sh:main:10 :   cat /etc/stack/tls.key\n");
    log.push_str("2026-01-02 10:00:00.100 | -----BEGIN RSA PRIVATE KEY-----\n");
    for i in 0..3 {
        log.push_str(&format!("2026-01-02 10:00:00.200 | MIIEsecretKeyBody{i}ZZZ\n"));
    }
    log.push_str("2026-01-02 10:00:00.300 | -----END RSA PRIVATE KEY-----\n");
    log.push_str("2026-01-02 10:00:01.000 | Error on exit\n");
    let file = dir.path().join("stack.sh.log");
    std::fs::write(&file, &log).expect("write");
    let out =
        crate::support::doctor().args(["diagnose", "--format", "json"]).arg(&file).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("secretKeyBody"), "{text}");
    // The context is the evidence of the generic finding.
    assert_eq!(text.matches("[REDACTED:private-key]").count(), 3, "{text}");
    assert!(text.contains("BEGIN RSA PRIVATE KEY"), "the marker lines are shown: {text}");
    // Without redaction the same context shows the body, so the check above can fail.
    let out = crate::support::doctor()
        .args(["diagnose", "--no-redact", "--format", "json"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("secretKeyBody1ZZZ"));
}

#[test]
fn a_private_key_block_across_chunk_ends_stays_hidden() {
    use devstack_doctor::{
        engine::{Matcher, SourceScanner},
        input::Role,
        redact::Redactor,
    };
    let rules = crate::support::builtin_rules();
    let matcher = Matcher::new(&rules).expect("compiles").with_redactor(Redactor::new(Vec::new()));
    let mut log =
        String::from("+ ./stack.sh:main:10 :   cat /etc/stack/tls.key\n-----BEGIN PRIVATE KEY-----\n");
    for i in 0..12 {
        log.push_str(&format!("MIIEsecretKeyBody{i}ZZZ\n"));
    }
    log.push_str("-----END PRIVATE KEY-----\nError on exit\n");
    let lines: Vec<&str> = log.split_inclusive('\n').collect();
    let mut contexts = Vec::new();
    // Whole, then one chunk per line, then a cut inside the block.
    for cuts in [vec![lines.len()], (1..=lines.len()).collect(), vec![5, lines.len()]] {
        let mut scanner = SourceScanner::new(&matcher, "stack.sh.log", "stack.sh.log", true, Role::StackLog);
        let mut from = 0;
        for to in cuts {
            scanner.chunk(lines[from..to].concat().as_bytes());
            from = to;
        }
        let run = scanner.finish().run.expect("run model");
        let context: Vec<String> = run.context.iter().map(|l| format!("{}:{}", l.line, l.text)).collect();
        assert!(!context.concat().contains("secretKeyBody"), "{context:?}");
        assert!(context.iter().any(|l| l.ends_with("[REDACTED:private-key]")), "{context:?}");
        contexts.push(context);
    }
    assert_eq!(contexts[0], contexts[1]);
    assert_eq!(contexts[0], contexts[2]);
}
