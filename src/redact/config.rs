//! Seeds for the redactor: the secret values defined in shell-like configuration text
//! (`local.conf` in any section, `localrc`, `.localrc.auto`, `.localrc.password`, `.stackenv`,
//! openrc files). Reads a string it is given; finding and reading the files is the caller's job.
//!
//! A variable is secret when its name contains `PASSWORD`, `PASSWD`, `TOKEN` or `SECRET`
//! (case-insensitive, unless the name ends with a suffix that describes a setting rather than
//! holding one, such as `KEYSTONE_TOKEN_FORMAT`), ends with `_KEY` (unless the value is a path:
//! `*_SSL_KEY` names a key file) or ends with `_HASH`. Independently, the password of any URL
//! with credentials in a value (`BASE_SQL_CONN=mysql+pymysql://root:pw@host`) is a secret named
//! after the variable.

use super::Secret;

/// Names that contain a secret word but name a setting about secrets, not a secret:
/// `KEYSTONE_TOKEN_FORMAT=fernet` must not turn every "fernet" in the logs into a placeholder.
const SETTING_SUFFIXES: &[&str] = &[
    "_ALGORITHM",
    "_BACKEND",
    "_COUNT",
    "_DAYS",
    "_DIR",
    "_DRIVER",
    "_ENABLED",
    "_EXPIRATION",
    "_FILE",
    "_FORMAT",
    "_LENGTH",
    "_PATH",
    "_POLICY",
    "_PROVIDER",
    "_REGEX",
    "_ROUNDS",
    "_SIZE",
    "_TIMEOUT",
    "_TYPE",
    "_URI",
    "_URL",
];

/// Secrets defined in shell-like config text: `KEY=value`, `KEY="value"`, `KEY='value'`,
/// `export KEY=value`, `KEY=${KEY:-value}`, and the `key = value` lines of `local.conf`'s
/// post-config sections. Values that are empty, shorter than 4 characters, or themselves a
/// `$VAR` reference are left out. Returned in the order they appear, without exact duplicates.
pub fn secrets_from_config(text: &str) -> Vec<Secret> {
    let mut out: Vec<Secret> = Vec::new();
    let mut push = |name: &str, value: &str| {
        if value.chars().count() >= super::MIN_SEED_CHARS
            && !out.iter().any(|s| s.kind == name && s.value == value)
        {
            out.push(Secret::new(name, value));
        }
    };
    for line in text.lines() {
        let Some((name, value)) = assignment(line) else { continue };
        if is_secret_name(name, &value) {
            push(name, &value);
        }
        for password in url_passwords(&value) {
            push(name, password);
        }
    }
    out
}

/// The name and literal value of an assignment line, or `None` for anything else (comments,
/// section headers, commands, values that are only a reference to another variable).
fn assignment(line: &str) -> Option<(&str, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with('[') {
        return None;
    }
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    let (lhs, rhs) = line.split_once('=')?;
    // Spaces around `=` make it an INI line (post-config sections): the value is the rest of it.
    let ini = lhs.ends_with([' ', '\t']) || rhs.starts_with([' ', '\t']);
    let name = lhs.trim_end();
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        return None;
    }
    let value = if ini { unquote(rhs.trim())? } else { shell_value(rhs)? };
    Some((name, value))
}

/// The literal value of a shell word: quoted, unquoted (to the first blank), or the default of
/// `${NAME:-default}`. `None` when the value comes from another variable.
fn shell_value(word: &str) -> Option<String> {
    if let Some(rest) = word.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                // `"${X:-"a default"}"`: quotes inside the expansion do not end the word.
                '$' if chars.as_str().starts_with('{') => {
                    value.push('$');
                    for e in chars.by_ref() {
                        value.push(e);
                        if e == '}' {
                            break;
                        }
                    }
                }
                '\\' => match chars.next() {
                    Some(e @ ('"' | '\\' | '$' | '`')) => value.push(e),
                    Some(e) => {
                        value.push('\\');
                        value.push(e);
                    }
                    None => value.push('\\'),
                },
                _ => value.push(c),
            }
        }
        return if value.starts_with("${") { unquote(&value) } else { literal(value) };
    }
    if let Some(rest) = word.strip_prefix('\'') {
        return Some(rest.split('\'').next().unwrap_or_default().to_string());
    }
    if word.starts_with("${") {
        return unquote(word);
    }
    literal(word.split([' ', '\t', ';']).next().unwrap_or_default().to_string())
}

/// An INI value (or a `${...}` shell default): surrounding quotes removed.
fn unquote(value: &str) -> Option<String> {
    if let Some(inner) = value.strip_prefix("${") {
        let inner = inner.split('}').next().unwrap_or_default();
        let name_len = inner.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        let op = &inner[name_len..];
        let default = [":-", ":=", "-", "="].iter().find_map(|p| op.strip_prefix(p))?;
        return unquote(default);
    }
    let stripped = ['"', '\'']
        .iter()
        .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
        .unwrap_or(value);
    literal(stripped.to_string())
}

/// `None` for a value that is (or starts as) a variable reference: its text is not the secret.
fn literal(value: String) -> Option<String> {
    (!value.starts_with('$')).then_some(value)
}

/// Whether a variable holds a secret, by its name (and, for `_KEY`, whether its value is a path).
fn is_secret_name(name: &str, value: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let upper = upper.as_str();
    if ["PASSWORD", "PASSWD", "TOKEN", "SECRET"].iter().any(|w| upper.contains(w)) {
        return !SETTING_SUFFIXES.iter().any(|s| upper.ends_with(s));
    }
    if upper.ends_with("_KEY") {
        return !value.starts_with(['/', '~']);
    }
    upper.ends_with("_HASH")
}

/// The passwords of `scheme://user:password@host` URLs in a value.
fn url_passwords(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        rest = &rest[i + 3..];
        let end = rest.find(|c: char| c.is_whitespace() || "/?#\"'".contains(c)).unwrap_or(rest.len());
        for host in rest[..end].split(',') {
            if let Some((userinfo, _)) = host.rsplit_once('@') {
                if let Some((_, password)) = userinfo.split_once(':') {
                    if !password.is_empty() && !password.starts_with('$') {
                        out.push(password);
                    }
                }
            }
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        secrets_from_config(text).into_iter().map(|s| (s.kind, s.value)).collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn fixture_local_conf() {
        let got = pairs(include_str!("../../tests/data/redact/local.conf"));
        assert_eq!(
            got,
            [
                pair("ADMIN_PASSWORD", "Adm1nSecret"),
                pair("DATABASE_PASSWORD", "Db-Pa55word"),
                pair("RABBIT_PASSWORD", "Rabbit4Ever"),
                pair("SERVICE_PASSWORD", "Svc_pw_1234"),
                pair("SWIFT_HASH", "66a3d6b56c1f479c8b4e70ab5c2000f5"),
                pair("SWIFT_TEMPURL_KEY", "Temp-URL-key-42"),
                pair("FIXED_KEY", "bae3516cc1c0eb18b05440eba8012a4a880a2ee04d584a9c1579445e675b12defdc716ec"),
                pair("LDAP_PASSWORD", "ldap pass word"),
                pair("metadata_proxy_shared_secret", "Meta-Shared-77"),
            ]
        );
    }

    #[test]
    fn assignment_forms() {
        let text = r#"
export OS_PASSWORD=secretadmin
OS_TOKEN="gAAAAtoken"
NETAPP_PASSWORD='it''s'
VMWAREAPI_PASSWORD=${VMWAREAPI_PASSWORD:-vmware123}
HELEOS_ADMIN_PASSWORD="${HELEOS_ADMIN_PASSWORD:-"quoted default"}"
BROCADE_SWITCH_PASSWORD=brocade1 # trailing comment
CEPH_ISCSI_API_PASSWORD="esc\"aped"
"#;
        assert_eq!(
            pairs(text),
            [
                pair("OS_PASSWORD", "secretadmin"),
                pair("OS_TOKEN", "gAAAAtoken"),
                pair("VMWAREAPI_PASSWORD", "vmware123"),
                pair("HELEOS_ADMIN_PASSWORD", "quoted default"),
                pair("BROCADE_SWITCH_PASSWORD", "brocade1"),
                pair("CEPH_ISCSI_API_PASSWORD", "esc\"aped"),
            ]
        );
    }

    #[test]
    fn ignored_values_and_names() {
        let text = r#"
ADMIN_PASSWORD=
SERVICE_PASSWORD=$ADMIN_PASSWORD
RABBIT_PASSWORD="${ADMIN_PASSWORD}"
DATABASE_PASSWORD=${DATABASE_PASSWORD:-$ADMIN_PASSWORD}
SHORT_PASSWORD=abc
KEYSTONE_TOKEN_FORMAT=fernet
PASSWORD_HASH_ALGORITHM=bcrypt
NOVA_SSL_KEY=/opt/stack/data/CA/nova.key
# COMMENTED_PASSWORD=nothere
[[local|localrc]]
enable_service s-proxy
HOST_IP=10.0.0.5
"#;
        assert_eq!(pairs(text), Vec::<(String, String)>::new());
    }

    #[test]
    fn url_passwords_are_seeds() {
        let stackenv = "BASE_SQL_CONN=mysql+pymysql://root:Db-Pa55word@127.0.0.1\n\
                        TRANSPORT_URL=rabbit://a:p4ss1@h1:5672,b:p4ss2@h2:5672/\n\
                        KEYSTONE_SERVICE_URI=http://10.0.0.5/identity\n";
        assert_eq!(
            pairs(stackenv),
            [
                pair("BASE_SQL_CONN", "Db-Pa55word"),
                pair("TRANSPORT_URL", "p4ss1"),
                pair("TRANSPORT_URL", "p4ss2")
            ]
        );
    }

    #[test]
    fn stackenv_and_password_files() {
        let text = "ADMIN_PASSWORD=Adm1nSecret\nADMIN_PASSWORD=Adm1nSecret\nRABBIT_PASSWORD=Rabbit4Ever\n";
        assert_eq!(
            pairs(text),
            [pair("ADMIN_PASSWORD", "Adm1nSecret"), pair("RABBIT_PASSWORD", "Rabbit4Ever")]
        );
    }
}
