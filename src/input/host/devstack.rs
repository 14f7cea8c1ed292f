//! The DevStack checkout: where it is, its branch and commit (read from `.git` directly, no git
//! command), and what its `local.conf` (the `[[local|localrc]]` section, or a legacy `localrc`, which
//! wins as in `stackrc`) and `.stackenv` say. Only a handful of named settings leave this module, and
//! the value of a variable whose name looks secret (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*_KEY`, ...)
//! is dropped while parsing, so it can never reach a fact.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use super::{Collected, HostOptions};
use crate::input::io_reason;

/// DevStack's default DEST (`stackrc`).
pub(crate) const DEFAULT_DEST: &str = "/opt/stack";

/// Facts that need a checkout.
const CHECKOUT_KEYS: &[&str] = &[
    "devstack.branch",
    "devstack.commit",
    "devstack.disabled_services",
    "devstack.enabled_services",
    "devstack.host_ip",
    "devstack.local_conf",
    "devstack.logfile",
    "devstack.path",
    "devstack.plugins",
    "devstack.service_host",
    "devstack.stackenv",
];

/// Settings of the checkout that other collectors need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Resolved, non-secret variables of local.conf (or localrc).
    pub local: BTreeMap<String, String>,
    /// Non-secret variables of `.stackenv` (the values the last run used).
    pub stackenv: BTreeMap<String, String>,
}

impl Settings {
    /// A variable from local.conf, else from `.stackenv`; empty values count as unset.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        [&self.local, &self.stackenv]
            .into_iter()
            .filter_map(|vars| vars.get(name))
            .map(String::as_str)
            .find(|value| !value.is_empty())
    }

    /// DEST, defaulting as DevStack does.
    pub(crate) fn dest(&self) -> String {
        self.get("DEST").unwrap_or(DEFAULT_DEST).trim_end_matches('/').to_string()
    }

    /// DATA_DIR, defaulting to `$DEST/data`.
    pub(crate) fn data_dir(&self) -> String {
        self.get("DATA_DIR").map_or_else(|| format!("{}/data", self.dest()), str::to_string)
    }
}

/// Whether a variable's value must never be kept: passwords, tokens, secrets, keys and the values
/// DevStack derives from them (`BASE_SQL_CONN` holds the database password, `SWIFT_HASH` is a secret).
pub(crate) fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["PASSWORD", "PASSWD", "TOKEN", "SECRET", "CREDENTIAL", "HASH", "_CONN", "_KEY_"]
        .iter()
        .any(|word| upper.contains(word))
        || upper.ends_with("_KEY")
        || upper == "KEY"
}

/// The lines of local.conf's `[[local|localrc]]` section(s).
pub(crate) fn localrc_section(local_conf: &str) -> String {
    let mut inside = false;
    let mut out = String::new();
    for line in local_conf.lines() {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix("[[").and_then(|rest| rest.strip_suffix("]]")) {
            let (phase, file) = header.split_once('|').unwrap_or((header, ""));
            inside = phase.trim() == "local" && file.trim() == "localrc";
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// What the localrc part of local.conf sets, as far as it can be read without running bash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LocalRc {
    /// Non-secret variables whose values could be resolved (`$VAR` expanded from earlier lines).
    pub vars: BTreeMap<String, String>,
    /// Non-secret variables set to something that cannot be resolved here (`$(...)`, unknown `$VAR`).
    pub unresolved: BTreeSet<String>,
    /// Names of secret variables; their values were dropped.
    pub secrets: BTreeSet<String>,
    /// Services enabled by `ENABLED_SERVICES=`/`+=` and `enable_service`, minus those disabled later.
    /// `enable_service` of a disabled service is ignored (as DevStack does), but a direct ENABLED_SERVICES
    /// assignment still adds it, so a service in both lists is the conflict stack.sh dies on.
    pub enabled: Vec<String>,
    /// Services named by `disable_service`.
    pub disabled: Vec<String>,
    /// Plugin names given to `enable_plugin`.
    pub plugins: Vec<String>,
}

impl LocalRc {
    fn lookup(&self, name: &str, seed: &BTreeMap<String, String>) -> Option<String> {
        if self.secrets.contains(name) || self.unresolved.contains(name) {
            return None;
        }
        self.vars.get(name).or_else(|| seed.get(name)).cloned()
    }

    fn enable(&mut self, service: &str) {
        // As DevStack's enable_service: a service disabled earlier stays disabled.
        if !service.is_empty() && !self.disabled.iter().any(|s| s == service) {
            push_unique(&mut self.enabled, service);
        }
    }

    fn disable(&mut self, service: &str) {
        if !service.is_empty() {
            push_unique(&mut self.disabled, service);
            self.enabled.retain(|s| s != service);
        }
    }

    fn set_enabled_services(&mut self, value: &str, append: bool) {
        if !append {
            self.enabled.clear();
        }
        for item in value.split(',').map(str::trim).filter(|item| !item.is_empty() && !item.contains('$')) {
            match item.strip_prefix('-') {
                // disable_negated_services drops both `-x` and `x`, without listing x as disabled.
                Some(negated) => self.enabled.retain(|s| s != negated),
                None => push_unique(&mut self.enabled, item),
            }
        }
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|s| s == item) {
        list.push(item.to_string());
    }
}

/// Parses localrc text (a legacy `localrc`, or [`localrc_section`] of local.conf): `KEY=value`,
/// `KEY+=value`, `export KEY=value`, `enable_service`, `disable_service`, `disable_all_services` and
/// `enable_plugin name url [branch]`. `seed` holds variables already set when DevStack sources it
/// (DEST, HOME, ...), used to expand `$VAR`.
pub(crate) fn parse_localrc(text: &str, seed: &BTreeMap<String, String>) -> LocalRc {
    let mut rc = LocalRc::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let words: Vec<&str> = line
            .split_whitespace()
            .take_while(|word| !word.starts_with('#'))
            .map(|word| word.trim_matches(|c| c == '"' || c == '\''))
            .collect();
        match words.first().copied() {
            Some("enable_service") => words[1..].iter().for_each(|s| rc.enable(s)),
            Some("disable_service") => words[1..].iter().for_each(|s| rc.disable(s)),
            Some("disable_all_services") => rc.enabled.clear(),
            Some("enable_plugin") => {
                if let Some(name) = words.get(1) {
                    push_unique(&mut rc.plugins, name);
                }
            }
            _ => assignment(line, seed, &mut rc),
        }
    }
    rc
}

fn assignment(line: &str, seed: &BTreeMap<String, String>, rc: &mut LocalRc) {
    let Some((left, value)) = line.split_once('=') else {
        return;
    };
    let (name, append) = match left.strip_suffix('+') {
        Some(name) => (name, true),
        None => (left, false),
    };
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return;
    }
    if is_secret_name(name) {
        rc.vars.remove(name);
        rc.unresolved.remove(name);
        rc.secrets.insert(name.to_string());
        return;
    }
    let word = shell_word(value, &|var: &str| rc.lookup(var, seed));
    if name == "ENABLED_SERVICES" {
        rc.set_enabled_services(&word.text, append);
    }
    let previous = if append { rc.lookup(name, seed) } else { Some(String::new()) };
    match previous {
        Some(previous) if word.resolved => {
            rc.unresolved.remove(name);
            rc.vars.insert(name.to_string(), previous + &word.text);
        }
        _ => {
            rc.vars.remove(name);
            rc.unresolved.insert(name.to_string());
        }
    }
}

/// A shell word as far as it can be evaluated here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The text, with known `$VAR`s expanded and unknown ones left as written.
    pub text: String,
    /// Every expansion was known (no `$(...)`, backticks or unknown variables).
    pub resolved: bool,
}

/// Reads one shell word from the start of `input` (quotes removed, `$VAR`, `${VAR}` and
/// `${VAR:-default}` expanded through `lookup`); the word ends at unquoted whitespace.
pub(crate) fn shell_word(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Word {
    let mut text = String::new();
    let mut resolved = true;
    let mut in_double = false;
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() && !in_double => break,
            '\'' if !in_double => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    text.push(c);
                }
            }
            '"' => in_double = !in_double,
            '\\' => {
                if let Some(next) = chars.next() {
                    text.push(next);
                }
            }
            '`' => {
                resolved = false;
                text.push(c);
            }
            '$' => expand(&mut chars, &mut text, &mut resolved, lookup),
            c => text.push(c),
        }
    }
    Word { text, resolved }
}

fn expand(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    text: &mut String,
    resolved: &mut bool,
    lookup: &dyn Fn(&str) -> Option<String>,
) {
    match chars.peek().copied() {
        Some('{') => {
            chars.next();
            let inner: String = chars.by_ref().take_while(|c| *c != '}').collect();
            let name_len =
                inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
            let (name, rest) = inner.split_at(name_len);
            let default = rest.strip_prefix(":-").or_else(|| rest.strip_prefix('-'));
            match (lookup(name), default) {
                (Some(value), _) if rest.is_empty() || default.is_some() => text.push_str(&value),
                (None, Some(default)) => {
                    let word = shell_word(default, lookup);
                    *resolved &= word.resolved;
                    text.push_str(&word.text);
                }
                _ => {
                    *resolved = false;
                    text.push_str(&format!("${{{inner}}}"));
                }
            }
        }
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut name = String::new();
            while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
                name.push(c);
            }
            match lookup(&name) {
                Some(value) => text.push_str(&value),
                None => {
                    *resolved = false;
                    text.push('$');
                    text.push_str(&name);
                }
            }
        }
        None => text.push('$'),
        // `$(...)`, `$1`, `$?`: not something to evaluate here.
        Some(_) => {
            *resolved = false;
            text.push('$');
        }
    }
}

/// `KEY=value` lines of `.stackenv` (written unquoted by `save_stackenv`), without secret values.
pub(crate) fn parse_stackenv(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(name, _)| {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !is_secret_name(name)
        })
        .map(|(name, value)| (name.to_string(), value.trim().to_string()))
        .collect()
}

/// `SUPPORTED_DISTROS="..."` of stack.sh, if it has that line.
pub(crate) fn parse_supported_distros(stack_sh: &str) -> Option<String> {
    stack_sh.lines().find_map(|line| {
        let value = line.trim().strip_prefix("SUPPORTED_DISTROS=")?;
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// What `.git/HEAD` points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Head {
    /// A symbolic ref such as `refs/heads/master`.
    Ref(String),
    /// A detached commit.
    Detached(String),
}

/// Parses `.git/HEAD`.
pub(crate) fn parse_head(text: &str) -> Option<Head> {
    let text = text.trim();
    match text.strip_prefix("ref:") {
        Some(refname) => Some(Head::Ref(refname.trim().to_string())),
        None => is_object_id(text).then(|| Head::Detached(text.to_string())),
    }
}

/// The commit `refname` points at in a `packed-refs` file.
pub(crate) fn parse_packed_refs(text: &str, refname: &str) -> Option<String> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with('^'))
        .filter_map(|line| line.split_once(' '))
        .find(|(_, name)| name.trim() == refname)
        .map(|(id, _)| id.to_string())
        .filter(|id| is_object_id(id))
}

fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Finds the checkout, reads it and records the `devstack.*` facts; returns the checkout (if any) and
/// its settings for the other collectors.
pub(crate) fn collect(options: &HostOptions, out: &mut Collected) -> (Option<PathBuf>, Settings) {
    let mut settings = Settings::default();
    let checkout = match find_checkout(options) {
        Ok(checkout) => checkout,
        Err(why) => {
            out.not_read_all(CHECKOUT_KEYS, &why);
            out.str("devstack.dest", DEFAULT_DEST);
            return (None, settings);
        }
    };
    out.str("devstack.path", checkout.display().to_string());
    read_git(&checkout, out);

    let local_conf = checkout.join("local.conf");
    let localrc = checkout.join("localrc");
    out.bool("devstack.local_conf", local_conf.is_file());
    let seed = seed(&checkout);
    let rc = if localrc.is_file() {
        std::fs::read_to_string(&localrc)
            .map(|text| parse_localrc(&text, &seed))
            .map_err(|err| format!("reading {}: {}", localrc.display(), io_reason(&err)))
    } else if local_conf.is_file() {
        std::fs::read_to_string(&local_conf)
            .map(|text| parse_localrc(&localrc_section(&text), &seed))
            .map_err(|err| format!("reading {}: {}", local_conf.display(), io_reason(&err)))
    } else {
        Ok(LocalRc::default())
    };
    let unresolved = match rc {
        Ok(rc) => {
            out.list("devstack.enabled_services", rc.enabled);
            out.list("devstack.disabled_services", rc.disabled);
            out.list("devstack.plugins", rc.plugins);
            settings.local = rc.vars;
            rc.unresolved
        }
        Err(why) => {
            let keys = ["devstack.enabled_services", "devstack.disabled_services", "devstack.plugins"];
            out.not_read_all(&keys, &why);
            BTreeSet::new()
        }
    };

    let stackenv = checkout.join(".stackenv");
    out.bool("devstack.stackenv", stackenv.is_file());
    let mut stackenv_problem = String::new();
    if stackenv.is_file() {
        match std::fs::read_to_string(&stackenv) {
            Ok(text) => settings.stackenv = parse_stackenv(&text),
            Err(err) => {
                stackenv_problem = format!(" ({} is unreadable: {})", stackenv.display(), io_reason(&err))
            }
        }
    }

    for (key, name) in [
        ("devstack.host_ip", "HOST_IP"),
        ("devstack.service_host", "SERVICE_HOST"),
        ("devstack.logfile", "LOGFILE"),
    ] {
        match settings.get(name) {
            Some(value) => out.str(key, value),
            None if unresolved.contains(name) => out.not_read(
                key,
                format!(
                    "{name} in local.conf is a shell expression and .stackenv has none{stackenv_problem}"
                ),
            ),
            None => out.not_read(
                key,
                format!("{name} is set neither in local.conf nor in .stackenv{stackenv_problem}"),
            ),
        }
    }
    out.str("devstack.dest", settings.dest());
    (Some(checkout), settings)
}

fn find_checkout(options: &HostOptions) -> Result<PathBuf, String> {
    let has_stack_sh = |dir: &Path| dir.join("stack.sh").is_file();
    if let Some(dir) = &options.devstack_dir {
        return if has_stack_sh(dir) {
            Ok(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()))
        } else {
            Err(format!("{} has no stack.sh", dir.display()))
        };
    }
    let mut candidates = vec![PathBuf::from(".")];
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join("devstack"));
    }
    candidates.push(PathBuf::from(DEFAULT_DEST).join("devstack"));
    candidates
        .into_iter()
        .find(|dir| has_stack_sh(dir))
        .map(|dir| std::fs::canonicalize(&dir).unwrap_or(dir))
        .ok_or_else(|| "no devstack checkout (stack.sh) in ./, ~/devstack or /opt/stack/devstack".to_string())
}

/// Variables DevStack has already set when it sources localrc.
fn seed(checkout: &Path) -> BTreeMap<String, String> {
    let mut seed = BTreeMap::new();
    seed.insert("DEST".to_string(), DEFAULT_DEST.to_string());
    seed.insert("TOP_DIR".to_string(), checkout.display().to_string());
    for name in ["HOME", "USER"] {
        if let Ok(value) = std::env::var(name) {
            seed.insert(name.to_string(), value);
        }
    }
    seed
}

fn read_git(checkout: &Path, out: &mut Collected) {
    match git_head(checkout) {
        Ok((branch, commit)) => {
            match branch {
                Ok(branch) => out.str("devstack.branch", branch),
                Err(why) => out.not_read("devstack.branch", why),
            }
            match commit {
                Ok(commit) => out.str("devstack.commit", commit),
                Err(why) => out.not_read("devstack.commit", why),
            }
        }
        Err(why) => out.not_read_all(&["devstack.branch", "devstack.commit"], &why),
    }
}

type Named = Result<String, String>;

fn git_head(checkout: &Path) -> Result<(Named, Named), String> {
    let dot_git = checkout.join(".git");
    let git_dir = if dot_git.is_dir() {
        dot_git
    } else {
        // A worktree or submodule: `.git` is a file saying `gitdir: <path>`.
        let text = std::fs::read_to_string(&dot_git)
            .map_err(|err| format!("not a git checkout ({}: {})", dot_git.display(), io_reason(&err)))?;
        let target = text.trim().strip_prefix("gitdir:").map(str::trim).ok_or("unrecognised .git file")?;
        checkout.join(target)
    };
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map_or_else(|_| git_dir.clone(), |rel| git_dir.join(rel.trim()));
    let head_path = git_dir.join("HEAD");
    let head = std::fs::read_to_string(&head_path)
        .map_err(|err| format!("reading {}: {}", head_path.display(), io_reason(&err)))?;
    match parse_head(&head) {
        Some(Head::Detached(id)) => Ok((Err("detached HEAD".to_string()), Ok(id))),
        Some(Head::Ref(refname)) if refname.ends_with("/.invalid") => {
            Err("the repository uses the reftable format, which is not read here".to_string())
        }
        Some(Head::Ref(refname)) => {
            let branch = refname.strip_prefix("refs/heads/").unwrap_or(&refname).to_string();
            Ok((Ok(branch), resolve_ref(&common, &refname)))
        }
        None => Err(format!("unrecognised {}", head_path.display())),
    }
}

fn resolve_ref(common: &Path, refname: &str) -> Named {
    if let Ok(text) = std::fs::read_to_string(common.join(refname)) {
        let id = text.trim();
        if is_object_id(id) {
            return Ok(id.to_string());
        }
    }
    std::fs::read_to_string(common.join("packed-refs"))
        .ok()
        .and_then(|text| parse_packed_refs(&text, refname))
        .ok_or_else(|| format!("{refname} has no commit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL_CONF: &str = include_str!("../../../samples/host/local.conf");
    const LOCALRC: &str = include_str!("../../../samples/host/localrc");
    const STACKENV: &str = include_str!("../../../samples/host/stackenv");

    fn seed() -> BTreeMap<String, String> {
        [("DEST", "/opt/stack"), ("HOME", "/home/stack")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn local_conf_localrc_section_is_parsed() {
        let rc = parse_localrc(&localrc_section(LOCAL_CONF), &seed());
        assert_eq!(rc.vars.get("HOST_IP").map(String::as_str), Some("10.20.30.40"));
        assert_eq!(rc.vars.get("SERVICE_HOST").map(String::as_str), Some("10.20.30.40"));
        assert_eq!(rc.vars.get("LOGFILE").map(String::as_str), Some("/opt/stack/logs/stack.sh.log"));
        assert_eq!(rc.vars.get("LIBVIRT_TYPE").map(String::as_str), Some("qemu"));
        assert_eq!(rc.vars.get("GIT_BASE").map(String::as_str), Some("https://opendev.org"));
        // horizon was disabled first, so enabling it again is ignored, as DevStack does.
        assert_eq!(rc.enabled, strings(&["c-bak", "s-proxy", "s-object", "s-container", "s-account"]));
        assert_eq!(rc.disabled, strings(&["tempest", "horizon"]));
        assert_eq!(rc.plugins, strings(&["heat", "octavia"]));
    }

    #[test]
    fn secret_values_never_survive_parsing() {
        let rc = parse_localrc(&localrc_section(LOCAL_CONF), &seed());
        for secret in ["ADMIN_PASSWORD", "DATABASE_PASSWORD", "SERVICE_TOKEN", "SWIFT_HASH", "FIXED_KEY"] {
            assert!(rc.secrets.contains(secret), "{secret}");
            assert!(!rc.vars.contains_key(secret), "{secret}");
        }
        let everything = format!("{:?}", rc);
        for value in ["s3cretAdm1n", "rabbit-Pa55", "a682f596", "66a3d6b5", "tempurl-k3y", "bae3516c"] {
            assert!(!everything.contains(value), "{value} leaked");
        }
        let env = parse_stackenv(STACKENV);
        assert!(!format!("{env:?}").contains("s3cretAdm1n"));
        assert!(!env.contains_key("BASE_SQL_CONN"));
    }

    #[test]
    fn post_config_sections_are_ignored() {
        let rc = parse_localrc(&localrc_section(LOCAL_CONF), &seed());
        assert_ne!(rc.vars.get("HOST_IP").map(String::as_str), Some("192.0.2.99"));
        assert!(!localrc_section(LOCAL_CONF).contains("cpu_allocation_ratio"));
    }

    #[test]
    fn legacy_localrc_services_follow_devstack() {
        let rc = parse_localrc(LOCALRC, &seed());
        assert_eq!(rc.enabled, strings(&["key", "mysql"]));
        assert_eq!(rc.vars.get("DEST").map(String::as_str), Some("/home/stack/stack"));
        assert!(rc.secrets.contains("MYSQL_PASSWORD"));
        let rc =
            parse_localrc("ENABLED_SERVICES=key,mysql,rabbit\nENABLED_SERVICES+=,n-api,-rabbit\n", &seed());
        assert_eq!(rc.enabled, strings(&["key", "mysql", "n-api"]));
        // A direct assignment after disable_service re-adds the service: the conflict stays visible.
        let rc = parse_localrc("disable_service tempest\nENABLED_SERVICES+=,tempest\n", &seed());
        assert_eq!((rc.enabled, rc.disabled), (strings(&["tempest"]), strings(&["tempest"])));
    }

    #[test]
    fn unresolvable_values_are_marked() {
        let rc = parse_localrc(
            "HOST_IP=$(ip -4 route get 8.8.8.8 | awk '{print $7}')\nSERVICE_HOST=$HOST_IP\nX=${NOPE:-fallback}\nY=${NOPE}\n",
            &seed(),
        );
        assert!(rc.unresolved.contains("HOST_IP"));
        assert!(rc.unresolved.contains("SERVICE_HOST"));
        assert!(rc.unresolved.contains("Y"));
        assert_eq!(rc.vars.get("X").map(String::as_str), Some("fallback"));
        // A secret used in an expansion is not expanded.
        let rc = parse_localrc("ADMIN_PASSWORD=pw\nMY_URL=http://admin:$ADMIN_PASSWORD@host\n", &seed());
        assert!(!format!("{rc:?}").contains(":pw@"));
    }

    #[test]
    fn shell_words_handle_quotes_and_comments() {
        let none = |_: &str| None;
        assert_eq!(shell_word("\"a b\"c # comment", &none).text, "a bc");
        assert_eq!(shell_word("'$HOME' x", &none), Word { text: "$HOME".into(), resolved: true });
        assert_eq!(shell_word("qemu   # why", &none).text, "qemu");
        assert!(!shell_word("`hostname`", &none).resolved);
    }

    #[test]
    fn stackenv_gives_the_last_run_values() {
        let env = parse_stackenv(STACKENV);
        assert_eq!(env.get("HOST_IP").map(String::as_str), Some("10.20.30.40"));
        assert_eq!(
            env.get("LOGFILE").map(String::as_str),
            Some("/opt/stack/logs/stack.sh.log.2026-07-17-203012")
        );
        assert_eq!(env.get("HOST_IPV6").map(String::as_str), Some(""));
        let settings = Settings { local: BTreeMap::new(), stackenv: env };
        assert_eq!(settings.get("HOST_IPV6"), None);
        assert_eq!(settings.dest(), "/opt/stack");
        assert_eq!(settings.data_dir(), "/opt/stack/data");
    }

    #[test]
    fn supported_distros_come_from_stack_sh() {
        let stack_sh = include_str!("../../../samples/host/stack.sh-excerpt");
        assert_eq!(
            parse_supported_distros(stack_sh).as_deref(),
            Some("trixie|bookworm|noble|resolute|rhel9|rhel10")
        );
        assert_eq!(parse_supported_distros("echo hello\n"), None);
    }

    #[test]
    fn git_head_and_packed_refs() {
        let branch = include_str!("../../../samples/host/git-HEAD-branch");
        let detached = include_str!("../../../samples/host/git-HEAD-detached");
        let packed = include_str!("../../../samples/host/git-packed-refs");
        assert_eq!(parse_head(branch), Some(Head::Ref("refs/heads/master".into())));
        assert_eq!(
            parse_head(detached),
            Some(Head::Detached("493835a61a996731a7031861f80c7629acd5d6f2".into()))
        );
        assert_eq!(parse_head("garbage\n"), None);
        assert_eq!(
            parse_packed_refs(packed, "refs/heads/master").as_deref(),
            Some("493835a61a996731a7031861f80c7629acd5d6f2")
        );
        assert_eq!(
            parse_packed_refs(packed, "refs/heads/stable/2025.1").as_deref(),
            Some("1c4b8e9f0a7d2e3b5c6d7e8f9a0b1c2d3e4f5a6b")
        );
        assert_eq!(parse_packed_refs(packed, "refs/heads/main"), None);
    }

    #[test]
    fn a_checkout_on_disk_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("stack.sh"), "#!/bin/bash\n").unwrap();
        std::fs::write(root.join("local.conf"), LOCAL_CONF).unwrap();
        std::fs::write(root.join(".stackenv"), STACKENV).unwrap();
        std::fs::create_dir_all(root.join(".git/refs/heads")).unwrap();
        std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/stable/2025.1\n").unwrap();
        std::fs::write(root.join(".git/packed-refs"), include_str!("../../../samples/host/git-packed-refs"))
            .unwrap();
        let mut out = Collected::default();
        let options = HostOptions { devstack_dir: Some(root.to_path_buf()), ..HostOptions::default() };
        let (checkout, settings) = collect(&options, &mut out);
        assert!(checkout.is_some());
        let get = |key: &str| out.facts.get(key).map(|v| v.display());
        assert_eq!(get("devstack.branch").as_deref(), Some("stable/2025.1"));
        assert_eq!(get("devstack.commit").as_deref(), Some("1c4b8e9f0a7d2e3b5c6d7e8f9a0b1c2d3e4f5a6b"));
        assert_eq!(get("devstack.host_ip").as_deref(), Some("10.20.30.40"));
        assert_eq!(get("devstack.logfile").as_deref(), Some("/opt/stack/logs/stack.sh.log"));
        assert_eq!(get("devstack.local_conf").as_deref(), Some("true"));
        assert_eq!(get("devstack.stackenv").as_deref(), Some("true"));
        assert_eq!(settings.get("LIBVIRT_TYPE"), Some("qemu"));
        for value in out.facts.values() {
            assert!(!value.display().contains("s3cretAdm1n"));
        }

        let mut out = Collected::default();
        let options = HostOptions { devstack_dir: Some(root.join("nope")), ..HostOptions::default() };
        let (checkout, _) = collect(&options, &mut out);
        assert!(checkout.is_none());
        assert!(out.unknown.get("devstack.path").is_some_and(|why| why.ends_with("has no stack.sh")));
        assert_eq!(out.facts.get("devstack.dest").map(|v| v.display()).as_deref(), Some("/opt/stack"));
    }
}
