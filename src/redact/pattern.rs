//! The secret shapes that are recognised without knowing the secret: one compiled regex per shape,
//! the trigger words that decide which regexes run on a given text, and the functions that turn a
//! match into the byte range to replace. This module only finds ranges; applying them, choosing the
//! final placeholder (a seeded name wins over a pattern kind) and counting belong to the parent.
//!
//! Every regex starts with an alternative that matches a whole `[REDACTED:...]` placeholder and
//! produces no edit. Because the regex engine prefers the leftmost match, a placeholder is consumed
//! as one token, so no pattern can start a match inside one. That, and the rule that a value
//! which already contains a placeholder is left alone, is what makes redaction idempotent.

use std::{ops::Range, sync::LazyLock};

use regex::bytes::{Captures, Regex};

/// A placeholder as it appears in text. Kinds are restricted to this alphabet so that every
/// placeholder we write is recognised on a second pass.
pub(crate) const PLACEHOLDER: &str = r"\[REDACTED:[A-Za-z0-9_.-]+\]";

/// The text every placeholder starts with.
pub(crate) const PLACEHOLDER_PREFIX: &[u8] = b"[REDACTED:";

/// Key names (config keys, JSON keys, environment variables, iniset arguments) whose value is a
/// secret: the name must END with one of these, so `admin_password` and `X-Auth-Token` qualify
/// while `password_policy`, `max_token_size` and `tokens_per_second` do not.
const SECRET_KEY_SUFFIXES: &str = r"(?:password|passwd|mysql_pwd|secret|token|secret_key|api_key|fixed_key|encryption_key|tempurl_key|swift_hash|hash_path_suffix|hash_path_prefix)";

/// The kinds of secret the patterns find; each names its placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// `The password: x`, DevStack's closing banner (always `ADMIN_PASSWORD`).
    AdminPassword,
    /// `X-Auth-Token`, `X-Subject-Token`, `X-Service-Token` header values.
    AuthToken,
    /// A Fernet token (`gAAAAA` and 50+ base64url characters) anywhere.
    FernetToken,
    /// A password given to a mysql/mariadb client (`-p<pw>`, `--password=`, `mysqladmin password`).
    MysqlPassword,
    /// The value of a key or option whose name ends with `password` or `passwd`.
    Password,
    /// The body of a PEM private key block.
    PrivateKey,
    /// A password given to `rabbitmqctl add_user` or `change_password`.
    RabbitPassword,
    /// The value of a key whose name ends with `secret` or a secret `_key`/`_hash` name.
    Secret,
    /// The value of a key or option whose name ends with `token`.
    Token,
    /// The password part of `scheme://user:password@host`.
    UrlPassword,
}

impl Kind {
    /// Every kind, in the order of their placeholder names.
    pub(crate) const ALL: [Kind; 10] = [
        Kind::AdminPassword,
        Kind::AuthToken,
        Kind::FernetToken,
        Kind::MysqlPassword,
        Kind::Password,
        Kind::PrivateKey,
        Kind::RabbitPassword,
        Kind::Secret,
        Kind::Token,
        Kind::UrlPassword,
    ];

    /// The name inside the placeholder: `[REDACTED:<name>]`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::AdminPassword => "admin-password",
            Kind::AuthToken => "auth-token",
            Kind::FernetToken => "fernet-token",
            Kind::MysqlPassword => "mysql-password",
            Kind::Password => "password",
            Kind::PrivateKey => "private-key",
            Kind::RabbitPassword => "rabbit-password",
            Kind::Secret => "secret",
            Kind::Token => "token",
            Kind::UrlPassword => "url-password",
        }
    }

    /// The kind implied by a key or option name that passed [`SECRET_KEY_SUFFIXES`].
    fn of_key(key: &[u8]) -> Kind {
        let lower = key.to_ascii_lowercase();
        if lower.ends_with(b"token") {
            Kind::Token
        } else if lower.ends_with(b"password") || lower.ends_with(b"passwd") || lower.ends_with(b"pwd") {
            Kind::Password
        } else {
            Kind::Secret
        }
    }
}

/// One range of the scanned text to replace by the placeholder of `kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    /// Byte range of the secret in the scanned text.
    pub(crate) range: Range<usize>,
    /// The pattern kind; the parent may still name it after a seed with the same value.
    pub(crate) kind: Kind,
}

/// One secret shape: a regex and the function that reads edits out of its matches.
pub(crate) struct Pattern {
    /// The bit that trigger words set for this pattern.
    pub(crate) bit: u32,
    regex: Regex,
    edits: fn(&Captures<'_>, &mut Vec<Edit>),
}

impl Pattern {
    /// Appends the edits for every match in `text`, in order and without overlaps.
    ///
    /// A match that yields no edit (its value was `$VAR`, `***`, ...) must not hide a later match
    /// that starts inside it: the search resumes one byte after its start. Otherwise replacing
    /// something in front of it on a first pass could change where matches begin on a second
    /// pass, and redaction would not be idempotent. For the same reason the stretches between a
    /// command and its password (`mysql ... -p`) stop at `[`: replacing a value that held a `|`
    /// must not let a second pass reach further than the first.
    pub(crate) fn find(&self, text: &[u8], out: &mut Vec<Edit>) {
        let mut at = 0;
        while let Some(caps) = self.regex.captures_at(text, at) {
            let Some(whole) = caps.get(0) else { break };
            if caps.name("ph").is_some() {
                at = whole.end();
                continue;
            }
            let before = out.len();
            (self.edits)(&caps, out);
            at = if out.len() > before { whole.end() } else { whole.start() + 1 };
            if at > text.len() {
                break;
            }
        }
    }
}

const PEM: u32 = 1 << 0;
const URL: u32 = 1 << 1;
const MYSQLADMIN: u32 = 1 << 2;
const MYSQL: u32 = 1 << 3;
const RABBIT: u32 = 1 << 4;
const HEADER: u32 = 1 << 5;
const BANNER: u32 = 1 << 6;
const OPTION: u32 = 1 << 7;
const OPENSSL: u32 = 1 << 8;
const INISET: u32 = 1 << 9;
const KEY_VALUE: u32 = 1 << 10;
const FERNET: u32 = 1 << 11;

/// Words whose presence (ASCII case-insensitive) lets a pattern run, and the patterns they enable.
/// A text with none of them (and no seeded value) is returned untouched without running any regex.
/// The mysql pattern is triggered by the command name rather than `-p`, which is everywhere
/// (`mkdir -p`, `cp -p`) while the regex needs the command name anyway.
pub(crate) const TRIGGERS: &[(&str, u32)] = &[
    ("private key", PEM),
    ("://", URL),
    (r":\/\/", URL),
    ("mysql", MYSQL | MYSQLADMIN),
    ("mariadb", MYSQL | MYSQLADMIN),
    ("rabbitmqctl", RABBIT),
    ("pass", BANNER | OPTION | OPENSSL | KEY_VALUE),
    ("secret", OPTION | KEY_VALUE),
    ("token", HEADER | OPTION | KEY_VALUE),
    ("_key", KEY_VALUE),
    ("hash", KEY_VALUE),
    ("pwd", KEY_VALUE),
    ("iniset", INISET),
    ("gaaaaa", FERNET),
];

/// The patterns, in the order they run. Earlier patterns name the secret more precisely (a URL
/// password in a `connection =` line is a URL password, a header is an auth token), and later
/// ones skip what the earlier ones already replaced.
pub(crate) static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let ph = PLACEHOLDER;
    let keys = SECRET_KEY_SUFFIXES;
    // The names say which shape each regex is; they appear in panic messages only.
    let mk = |name: &str, bit, src: String, edits| Pattern {
        bit,
        regex: Regex::new(&src).unwrap_or_else(|e| panic!("redaction pattern {name}: {e}")),
        edits,
    };
    vec![
        mk(
            "private-key-block",
            PEM,
            format!(
                r"(?x-u)
                (?P<ph>{ph})
                | -----BEGIN\x20(?:[A-Z0-9]+\x20)*PRIVATE\x20KEY(?:\x20BLOCK)?-----
                  (?P<body>(?s:.*?))
                  # a block without its END line runs to the end of the text: what follows
                  # BEGIN is key material until proven otherwise
                  (?:-----END\x20(?:[A-Z0-9]+\x20)*PRIVATE\x20KEY(?:\x20BLOCK)?-----|\n?\z)"
            ),
            pem_edits,
        ),
        mk(
            "url-credentials",
            URL,
            format!(
                r#"(?xi-u)
                (?P<ph>{ph})
                | \b[a-z][a-z0-9+.-]*:(?://|\\/\\/)
                  # the authority: user:pass@host[:port], possibly several comma-separated hosts
                  (?P<auth>[^\s/?\#"'<>\\`]+)"#
            ),
            url_edits,
        ),
        mk(
            "mysqladmin-password",
            MYSQLADMIN,
            // Before mysql-p: its `-p[REDACTED:..]` would stop this stretch at the `[`.
            format!(
                r"(?x-u)
                (?P<ph>{ph})
                | \b(?:mysqladmin|mariadb-admin)\b[^\n|;&\[]*?\spassword[\t\x20]+
                  {}",
                value(r#"[^\s"'`;&|)]"#)
            ),
            |caps, out| value_edit(caps, Kind::MysqlPassword, out),
        ),
        mk(
            "mysql-p",
            MYSQL,
            format!(
                r"(?x-u)
                (?P<ph>{ph})
                | \b(?:mysql(?:admin|dump|check|show|import)?|mariadb(?:-admin|-dump|-check|-show|-import)?)\b
                  # the same command: stop at a newline or a shell separator, and at a `[` so
                  # that no span crosses a placeholder (see `find`)
                  [^\n|;&\[]*?
                  # attached value only: `-p` then a space prompts, `-P` is the port
                  \s(?:-p|--password=)
                  {}",
                value(r#"[^\s"'`;&|)]"#)
            ),
            |caps, out| value_edit(caps, Kind::MysqlPassword, out),
        ),
        mk(
            "rabbitmqctl-password",
            RABBIT,
            format!(
                r#"(?x-u)
                (?P<ph>{ph})
                | \brabbitmqctl\b[^\n|;&\[]*?\s(?:change_password|add_user|authenticate_user)
                  [\t\x20]+(?:"[^"\n]*"|'[^'\n]*'|[^\s"']+)    # the user name
                  [\t\x20]+{}"#,
                value(r#"[^\s"'`;&|)]"#)
            ),
            |caps, out| value_edit(caps, Kind::RabbitPassword, out),
        ),
        mk(
            "auth-token-header",
            HEADER,
            format!(
                r#"(?xi-u)
                (?P<ph>{ph})
                | \bX-(?:Auth|Subject|Service)-Token(?:\\?["'])?[\t\x20]*[:=][\t\x20]*
                  {}"#,
                // keystoneauth logs `{SHA256}<hex>`, so braces belong to the value
                value(r#"[^\s"',;\\]"#)
            ),
            |caps, out| value_edit(caps, Kind::AuthToken, out),
        ),
        mk(
            "password-banner",
            BANNER,
            format!(
                r"(?x-u)
                (?P<ph>{ph})
                | \bThe\x20password:[\t\x20]*{}",
                value(BARE)
            ),
            |caps, out| value_edit(caps, Kind::AdminPassword, out),
        ),
        mk(
            "secret-option",
            OPTION,
            format!(
                r"(?xi-u)
                (?P<ph>{ph})
                | \B--?(?P<key>[a-z0-9_-]*?(?:password|passwd|secret|token))
                  (?P<sep>=|[\t\x20]+)
                  {}",
                value(BARE)
            ),
            option_edits,
        ),
        mk(
            "openssl-pass",
            OPENSSL,
            format!(
                r"(?x-u)
                (?P<ph>{ph})
                | \B-pass(?:in|out)?[\t\x20]+pass:{}",
                value(BARE)
            ),
            |caps, out| value_edit(caps, Kind::Password, out),
        ),
        mk(
            "iniset",
            INISET,
            format!(
                r"(?xi-u)
                (?P<ph>{ph})
                | \biniset[\t\x20]+(?:-sudo[\t\x20]+)?(?:-p[\t\x20]+)?
                  [^\s\[]+[\t\x20]+[^\s\[]+[\t\x20]+               # file, section
                  (?P<key>[a-z0-9_.-]*?{keys})[\t\x20]+
                  {}",
                value(BARE)
            ),
            key_edits,
        ),
        mk(
            "secret-key-value",
            KEY_VALUE,
            format!(
                r#"(?xi-u)
                (?P<ph>{ph})
                | \b(?P<key>[a-z0-9_.-]*?{keys})
                  (?:\\?["'])?                  # closing quote of a quoted (JSON, dict) key
                  [\t\x20]*[:=][\t\x20]*
                  {}"#,
                value(BARE)
            ),
            key_edits,
        ),
        mk(
            "fernet-token",
            FERNET,
            format!(
                r"(?x-u)
                (?P<ph>{ph})
                | (?P<bare>\bgAAAAA[A-Za-z0-9_-]{{50,}}={{0,2}})"
            ),
            |caps, out| value_edit(caps, Kind::FernetToken, out),
        ),
    ]
});

/// The characters of an unquoted value after `=` or `:`: up to whitespace, a quote, or the
/// punctuation that ends a value in query strings, argument lists and dict literals.
const BARE: &str = r#"[^\s"',;&(){}\[\]<>\\]"#;

/// The value that follows a key or option: double-quoted (also unterminated, to the end of the
/// line), single-quoted, JSON-escaped (`\"...\"`), a shell default (`${X:-value}`: the default is
/// the value), or unquoted made of `bare` characters and whole placeholders.
fn value(bare: &str) -> String {
    let ph = PLACEHOLDER;
    format!(
        r#"(?:
            "(?P<dq>(?:[^"\\\n]|\\.)*)(?:"|(?m:$))
          | '(?P<sq>[^'\n]*)(?:'|(?m:$))
          | \\"(?P<esc>(?:[^"\\\n]|\\[^"\n])*)\\"
          | \$\{{[A-Za-z_][A-Za-z0-9_]*:?[-=](?P<def>(?:{ph}|[^}}\s"'])*)\}}
          | (?P<bare>(?:{ph}|{bare})+)
        )"#
    )
}

/// The captured value: its range and whether it was unquoted.
fn captured_value(caps: &Captures<'_>) -> Option<(Range<usize>, bool)> {
    for (name, bare) in [("dq", false), ("sq", false), ("esc", false), ("def", false), ("bare", true)] {
        if let Some(m) = caps.name(name) {
            return Some((m.range(), bare));
        }
    }
    None
}

/// Whether a captured value is a secret to replace, as opposed to something that is already
/// hidden, empty, or says nothing about the secret.
pub(crate) fn redactable(value: &[u8]) -> bool {
    // Values already (partly) redacted stay as they are; this keeps a second pass a no-op.
    if value.is_empty() || memchr::memmem::find(value, PLACEHOLDER_PREFIX).is_some() {
        return false;
    }
    // Already masked by the program that logged it (oslo.log writes `***`).
    if value.iter().all(|b| *b == b'*') {
        return false;
    }
    // A shell variable, not its value: the expanded value is seeded if it is known.
    if value[0] == b'$' {
        return false;
    }
    // MySQL's `(using password: YES)` and empty settings are diagnostic, not secret.
    !matches!(
        value,
        b"YES"
            | b"NO"
            | b"None"
            | b"none"
            | b"null"
            | b"NULL"
            | b"nil"
            | b"true"
            | b"false"
            | b"True"
            | b"False"
    )
}

fn value_edit(caps: &Captures<'_>, kind: Kind, out: &mut Vec<Edit>) {
    if let Some((range, _)) = captured_value(caps) {
        push(caps, range, kind, out);
    }
}

fn push(caps: &Captures<'_>, range: Range<usize>, kind: Kind, out: &mut Vec<Edit>) {
    if redactable(value_bytes(caps, &range)) {
        out.push(Edit { range, kind });
    }
}

/// The bytes of `range` (a group of `caps`) without access to the whole haystack.
fn value_bytes<'h>(caps: &Captures<'h>, range: &Range<usize>) -> &'h [u8] {
    let Some(whole) = caps.get(0) else { return b"" };
    let local = range.start.saturating_sub(whole.start())..range.end.saturating_sub(whole.start());
    whole.as_bytes().get(local).unwrap_or_default()
}

/// `key = value`, `"key": "value"`, `iniset file section key value`. A `token` with an unquoted
/// value must look like one (16+ characters with a digit): `Invalid token: Unauthorized` and
/// `token: None` are evidence, not secrets.
fn key_edits(caps: &Captures<'_>, out: &mut Vec<Edit>) {
    let Some(key) = caps.name("key") else { return };
    let kind = Kind::of_key(key.as_bytes());
    let Some((range, bare)) = captured_value(caps) else { return };
    if kind == Kind::Token && bare {
        let value = value_bytes(caps, &range);
        if value.len() < 16 || !value.iter().any(u8::is_ascii_digit) {
            return;
        }
    }
    push(caps, range, kind, out);
}

/// `--os-password x`, `--bootstrap-password "x"`, `--password=x`. With a space before the value,
/// a value that starts with `-` is the next option, not a password.
fn option_edits(caps: &Captures<'_>, out: &mut Vec<Edit>) {
    let Some(key) = caps.name("key") else { return };
    let Some((range, bare)) = captured_value(caps) else { return };
    let spaced = caps.name("sep").is_some_and(|m| m.as_bytes() != b"=");
    if spaced && bare && caps.name("bare").is_some_and(|m| m.as_bytes().starts_with(b"-")) {
        return;
    }
    push(caps, range, Kind::of_key(key.as_bytes()), out);
}

/// The password of every `user:password@` in an authority (oslo's multi-host transport URLs list
/// several, separated by commas).
fn url_edits(caps: &Captures<'_>, out: &mut Vec<Edit>) {
    let Some(auth) = caps.name("auth") else { return };
    let mut offset = auth.start();
    for part in auth.as_bytes().split(|b| *b == b',') {
        if let Some(at) = memchr::memrchr(b'@', part) {
            let userinfo = &part[..at];
            if let Some(colon) = memchr::memchr(b':', userinfo) {
                let password = &userinfo[colon + 1..];
                if redactable(password) {
                    out.push(Edit { range: offset + colon + 1..offset + at, kind: Kind::UrlPassword });
                }
            }
        }
        offset += part.len() + 1;
    }
}

/// The body of a key block, keeping the line breaks around it so the block keeps its shape.
fn pem_edits(caps: &Captures<'_>, out: &mut Vec<Edit>) {
    let Some(body) = caps.name("body") else { return };
    let bytes = body.as_bytes();
    let lead = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let trail = bytes[lead..].iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
    let inner = &bytes[lead..bytes.len() - trail];
    if inner.is_empty() || is_placeholder(inner) {
        return;
    }
    out.push(Edit { range: body.start() + lead..body.end() - trail, kind: Kind::PrivateKey });
}

/// Whether `text` is exactly one placeholder.
fn is_placeholder(text: &[u8]) -> bool {
    text.strip_prefix(PLACEHOLDER_PREFIX).and_then(|rest| rest.strip_suffix(b"]")).is_some_and(|kind| {
        !kind.is_empty() && kind.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    })
}

/// The BEGIN and END lines of a private key block, for callers that stream lines.
pub(crate) static PEM_BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
        .expect("the BEGIN marker regex is constant")
});

/// See [`PEM_BEGIN`].
pub(crate) static PEM_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
        .expect("the END marker regex is constant")
});

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs every pattern (no trigger filtering) the way the redactor does, with pattern kinds.
    fn run(text: &str) -> String {
        let mut cur = text.as_bytes().to_vec();
        for p in PATTERNS.iter() {
            let mut edits = Vec::new();
            p.find(&cur, &mut edits);
            let mut next = Vec::with_capacity(cur.len());
            let mut last = 0;
            for e in &edits {
                next.extend_from_slice(&cur[last..e.range.start]);
                next.extend_from_slice(format!("[REDACTED:{}]", e.kind.name()).as_bytes());
                last = e.range.end;
            }
            next.extend_from_slice(&cur[last..]);
            cur = next;
        }
        String::from_utf8(cur).unwrap()
    }

    /// The redactor, which only runs the patterns whose trigger words occur, must agree with
    /// running them all: a missing trigger would show here.
    fn via_redactor(text: &str) -> String {
        crate::redact::Redactor::new(Vec::new()).redact(text).into_owned()
    }

    fn unchanged(text: &str) {
        assert_eq!(run(text), text, "near-miss was changed");
        assert_eq!(via_redactor(text), text);
    }

    fn becomes(text: &str, expected: &str) {
        let once = run(text);
        assert_eq!(once, expected);
        assert_eq!(run(&once), once, "second pass changed the text");
        assert_eq!(via_redactor(text), expected, "trigger words missed this");
    }

    #[test]
    fn every_pattern_has_a_trigger() {
        for (i, p) in PATTERNS.iter().enumerate() {
            assert!(TRIGGERS.iter().any(|(_, m)| m & p.bit != 0), "pattern {i} can never run");
        }
    }

    #[test]
    fn all_patterns_compile_and_kinds_are_sorted() {
        assert_eq!(PATTERNS.len(), 12);
        let names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for name in names {
            assert!(is_placeholder(format!("[REDACTED:{name}]").as_bytes()));
        }
    }

    #[test]
    fn mysql_attached_password() {
        becomes(
            "+ lib/databases/mysql:recreate_database_mysql:55 : mysql -uroot -psecretdb -h127.0.0.1 -e 'DROP DATABASE IF EXISTS keystone;'",
            "+ lib/databases/mysql:recreate_database_mysql:55 : mysql -uroot -p[REDACTED:mysql-password] -h127.0.0.1 -e 'DROP DATABASE IF EXISTS keystone;'",
        );
        becomes(
            "mysql -uroot -psecret -h 127.0.0.1",
            "mysql -uroot -p[REDACTED:mysql-password] -h 127.0.0.1",
        );
        becomes(
            "sudo mysqldump --user=root --password=secretdb nova > nova.sql",
            "sudo mysqldump --user=root --password=[REDACTED:mysql-password] nova > nova.sql",
        );
        becomes(
            "mariadb -uroot -p'secret db' -e 'select 1'",
            "mariadb -uroot -p'[REDACTED:mysql-password]' -e 'select 1'",
        );
    }

    #[test]
    fn mysql_near_misses() {
        // `-P` is the port; `-p` then a space makes mysql prompt, the next word is a database.
        unchanged("mysql -uroot -h 127.0.0.1 -P 3306 -e 'select 1'");
        unchanged("mysql -uroot -p nova");
        // `-p` in other commands is never a password.
        unchanged("ssh -p 22 stack@10.0.0.5");
        unchanged("sudo mkdir -p /var/run/mysqld");
        unchanged("sudo systemctl restart mysql; mkdir -p /opt/stack/data");
        unchanged("journalctl -u mysql -p err");
        unchanged("mysql -uroot -p$DATABASE_PASSWORD -h$DATABASE_HOST");
    }

    #[test]
    fn mysqladmin_password() {
        becomes(
            "+ lib/databases/mysql:configure_database_mysql:110 : sudo mysqladmin -u root password secretdb",
            "+ lib/databases/mysql:configure_database_mysql:110 : sudo mysqladmin -u root password [REDACTED:mysql-password]",
        );
        becomes(
            "mysqladmin -uroot -pold password new",
            "mysqladmin -uroot -p[REDACTED:mysql-password] password [REDACTED:mysql-password]",
        );
    }

    #[test]
    fn rabbitmqctl_password() {
        becomes(
            "+ lib/rpc_backend:restart_rpc_backend:97 : sudo rabbitmqctl change_password stackrabbit secretrabbit",
            "+ lib/rpc_backend:restart_rpc_backend:97 : sudo rabbitmqctl change_password stackrabbit [REDACTED:rabbit-password]",
        );
        becomes(
            "rabbitmqctl add_user stackrabbit secretrabbit",
            "rabbitmqctl add_user stackrabbit [REDACTED:rabbit-password]",
        );
        unchanged("Changing password for user \"stackrabbit\" ...");
        unchanged("sudo rabbitmqctl list_users");
    }

    #[test]
    fn secret_options() {
        becomes(
            "+ functions-common:write_clouds_yaml:94 : /opt/stack/devstack/tools/update_clouds_yaml.py --file /etc/openstack/clouds.yaml --os-cloud devstack-admin --os-region-name RegionOne --os-auth-url http://10.0.0.5/identity --os-username admin --os-password secretadmin --os-project-name admin",
            "+ functions-common:write_clouds_yaml:94 : /opt/stack/devstack/tools/update_clouds_yaml.py --file /etc/openstack/clouds.yaml --os-cloud devstack-admin --os-region-name RegionOne --os-auth-url http://10.0.0.5/identity --os-username admin --os-password [REDACTED:password] --os-project-name admin",
        );
        becomes(
            "+ lib/keystone:bootstrap_keystone:541 : /opt/stack/data/venv/bin/keystone-manage bootstrap --bootstrap-username admin --bootstrap-password \"secretadmin\" --bootstrap-project-name admin",
            "+ lib/keystone:bootstrap_keystone:541 : /opt/stack/data/venv/bin/keystone-manage bootstrap --bootstrap-username admin --bootstrap-password \"[REDACTED:password]\" --bootstrap-project-name admin",
        );
        becomes("openstack --os-token 4f0c2a9b1e client", "openstack --os-token [REDACTED:token] client");
        becomes(
            "openssl rsa -in key.pem -passin pass:secretca -out plain.pem",
            "openssl rsa -in key.pem -passin pass:[REDACTED:password] -out plain.pem",
        );
        unchanged("openstack user create --password-prompt --domain default nova");
        unchanged("openstack --os-password --os-username admin");
        unchanged("usage: openstack [--os-token <auth-token>]");
    }

    #[test]
    fn key_values() {
        becomes("admin_password = secretservice", "admin_password = [REDACTED:password]");
        becomes("password=secretdb", "password=[REDACTED:password]");
        becomes("  password: secretadmin", "  password: [REDACTED:password]");
        becomes(
            r#"{"auth": {"password": "secretadmin", "name": "admin"}}"#,
            r#"{"auth": {"password": "[REDACTED:password]", "name": "admin"}}"#,
        );
        becomes(
            "{'username': 'nova', 'password': 'secretservice'}",
            "{'username': 'nova', 'password': '[REDACTED:password]'}",
        );
        becomes(
            r#"body: "{\"password\": \"s3cr3t\"}""#,
            r#"body: "{\"password\": \"[REDACTED:password]\"}""#,
        );
        becomes("+ export OS_PASSWORD=secretadmin", "+ export OS_PASSWORD=[REDACTED:password]");
        becomes(
            "ADMIN_PASSWORD=${ADMIN_PASSWORD:-secretadmin}",
            "ADMIN_PASSWORD=${ADMIN_PASSWORD:-[REDACTED:password]}",
        );
        becomes("metadata_proxy_shared_secret = s3cr3t", "metadata_proxy_shared_secret = [REDACTED:secret]");
        becomes("memcache_secret_key = abcdef0123", "memcache_secret_key = [REDACTED:secret]");
        becomes("swift_hash_path_suffix = 66a3d6b56c1f479c", "swift_hash_path_suffix = [REDACTED:secret]");
        becomes("fixed_key = 0000000000000000", "fixed_key = [REDACTED:secret]");
        becomes(
            "GET /v3?user=admin&password=secretadmin&x=1",
            "GET /v3?user=admin&password=[REDACTED:password]&x=1",
        );
        becomes("+ echo 'The ADMIN_PASSWORD=secretadmin'", "+ echo 'The ADMIN_PASSWORD=[REDACTED:password]'");
    }

    #[test]
    fn key_value_near_misses() {
        unchanged("password_policy = strict");
        unchanged("password_expires_days = 90");
        unchanged("tokens_per_second = 10");
        unchanged("max_token_size = 255");
        unchanged("sshd[912]: Password authentication is disabled");
        unchanged("ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)");
        unchanged("oslo: {'username': 'nova', 'password': '***'}");
        unchanged("password = None");
        unchanged("export OS_PASSWORD=$ADMIN_PASSWORD");
        unchanged(r#""token": {"methods": ["password"], "expires_at": "2024-01-01T00:00:00Z"}"#);
        // `token:` followed by prose is an error message, not a token.
        unchanged("keystonemiddleware.auth_token: Unable to validate token: Unauthorized");
        unchanged("[keystone_authtoken]");
    }

    #[test]
    fn token_values() {
        becomes(
            "Could not find token: 4f0c2a9b1e5d4c6f8a7b3c2d1e0f9a8b",
            "Could not find token: [REDACTED:token]",
        );
        becomes(r#"{"token": "4f0c2a9b"}"#, r#"{"token": "[REDACTED:token]"}"#);
    }

    #[test]
    fn iniset_arguments() {
        becomes(
            "+ lib/keystone:configure_keystone_authtoken_middleware:440 : iniset /etc/nova/nova.conf keystone_authtoken password secretservice",
            "+ lib/keystone:configure_keystone_authtoken_middleware:440 : iniset /etc/nova/nova.conf keystone_authtoken password [REDACTED:password]",
        );
        becomes(
            "iniset -sudo /etc/swift/swift.conf swift-hash swift_hash_path_suffix 66a3d6b5",
            "iniset -sudo /etc/swift/swift.conf swift-hash swift_hash_path_suffix [REDACTED:secret]",
        );
        unchanged("iniset /etc/keystone/keystone.conf token provider fernet");
        unchanged("iniset /etc/nova/nova.conf keystone_authtoken username nova");
    }

    #[test]
    fn auth_token_headers() {
        becomes(
            r#"DEBUG keystoneauth.session [-] REQ: curl -g -i -X GET http://10.0.0.5/identity/v3/auth/tokens -H "Accept: application/json" -H "User-Agent: openstacksdk/3.0.0 keystoneauth1/5.6.0 python-requests/2.31.0 CPython/3.12.3" -H "X-Auth-Token: {SHA256}0b5fbb0ac0bdc5b76fd1e31f6e3fb1dd6b3e4a2e3fe0e8a53e4e2fd6f1d0c0a1" -H "X-Subject-Token: {SHA256}d6b3e4a2e3fe0e8a53e4e2fd6f1d0c0a10b5fbb0ac0bdc5b76fd1e31f6e3fb1d" {{(pid=1234) _http_log_request /opt/stack/data/venv/lib/python3.12/site-packages/keystoneauth1/session.py:554}}"#,
            r#"DEBUG keystoneauth.session [-] REQ: curl -g -i -X GET http://10.0.0.5/identity/v3/auth/tokens -H "Accept: application/json" -H "User-Agent: openstacksdk/3.0.0 keystoneauth1/5.6.0 python-requests/2.31.0 CPython/3.12.3" -H "X-Auth-Token: [REDACTED:auth-token]" -H "X-Subject-Token: [REDACTED:auth-token]" {{(pid=1234) _http_log_request /opt/stack/data/venv/lib/python3.12/site-packages/keystoneauth1/session.py:554}}"#,
        );
        becomes("x-auth-token:abc123", "x-auth-token:[REDACTED:auth-token]");
        becomes("{'X-Service-Token': 'gAAAAAB'}", "{'X-Service-Token': '[REDACTED:auth-token]'}");
        unchanged(r#"Access-Control-Expose-Headers: X-Auth-Token, X-Subject-Token"#);
    }

    #[test]
    fn fernet_tokens_anywhere() {
        let token = "gAAAAABmZ3Jh2f8x1M0qT9kRr7Xb0oQqKxJH1cJm9sYp8P2ZcWq0kA3vLrN5tB6uD7eF8gH9iJ0kL1mN2oP3qR4sT5uV6wX7yZ8";
        becomes(
            &format!(r#"{{"id": "{token}", "expires": 1}}"#),
            r#"{"id": "[REDACTED:fernet-token]", "expires": 1}"#,
        );
        becomes(
            &format!("openstack --os-auth-type token_endpoint x {token}"),
            "openstack --os-auth-type token_endpoint x [REDACTED:fernet-token]",
        );
        unchanged("gAAAAA is how every Fernet token starts");
    }

    #[test]
    fn url_credentials() {
        becomes(
            "transport_url = rabbit://stackrabbit:secretrabbit@10.0.0.5:5672/",
            "transport_url = rabbit://stackrabbit:[REDACTED:url-password]@10.0.0.5:5672/",
        );
        becomes(
            "connection = mysql+pymysql://root:secretdb@127.0.0.1/nova?charset=utf8",
            "connection = mysql+pymysql://root:[REDACTED:url-password]@127.0.0.1/nova?charset=utf8",
        );
        becomes(
            "rabbit://u1:p1@h1:5672,u2:p2@h2:5672/",
            "rabbit://u1:[REDACTED:url-password]@h1:5672,u2:[REDACTED:url-password]@h2:5672/",
        );
        becomes(
            "postgresql://root:secretdb@[::1]:5432/nova",
            "postgresql://root:[REDACTED:url-password]@[::1]:5432/nova",
        );
        becomes(
            r#"{"url": "https:\/\/admin:s3cr3t@10.0.0.5\/identity"}"#,
            r#"{"url": "https:\/\/admin:[REDACTED:url-password]@10.0.0.5\/identity"}"#,
        );
        becomes("etcd://:s3cr3t@127.0.0.1:2379", "etcd://:[REDACTED:url-password]@127.0.0.1:2379");
    }

    #[test]
    fn url_near_misses() {
        unchanged("git clone https://opendev.org/openstack/nova.git /opt/stack/nova --branch master");
        unchanged("git+https://opendev.org/openstack/nova@master#egg=nova");
        unchanged("http://10.0.0.5:8080/v1/AUTH_x@y");
        unchanged("ssh://stack@10.0.0.5:22/opt");
        unchanged("rabbit://stackrabbit:$RABBIT_PASSWORD@10.0.0.5:5672/");
    }

    #[test]
    fn private_key_blocks() {
        becomes(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nq2Wl3b9x\n-----END RSA PRIVATE KEY-----\nnext",
            "-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:private-key]\n-----END RSA PRIVATE KEY-----\nnext",
        );
        becomes(
            "key: -----BEGIN PRIVATE KEY-----MIIEvQIBADANBg-----END PRIVATE KEY----- done",
            "key: -----BEGIN PRIVATE KEY-----[REDACTED:private-key]-----END PRIVATE KEY----- done",
        );
        // No END: everything after BEGIN is key material.
        becomes(
            "ssh_key = -----BEGIN OPENSSH PRIVATE KEY-----b3BlbnNzaC1rZXktdjE\n",
            "ssh_key = -----BEGIN OPENSSH PRIVATE KEY-----[REDACTED:private-key]\n",
        );
        unchanged("-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----");
        unchanged("Could not load private key from /opt/stack/data/CA/int-ca/private/int-ca.key");
    }

    #[test]
    fn admin_password_banner() {
        becomes("The password: secretadmin", "The password: [REDACTED:admin-password]");
        becomes(
            "2024-05-01 10:00:00.000 | + ./stack.sh:main:1563 : echo 'The password: secretadmin'",
            "2024-05-01 10:00:00.000 | + ./stack.sh:main:1563 : echo 'The password: [REDACTED:admin-password]'",
        );
        unchanged("The default users are: admin and demo");
    }

    #[test]
    fn redactable_values() {
        for skip in [&b""[..], b"***", b"$X", b"YES", b"None", b"a[REDACTED:x]"] {
            assert!(!redactable(skip), "{skip:?}");
        }
        assert!(redactable(b"secret"));
    }
}
