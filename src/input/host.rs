//! The live host: read-only collectors for the host facts of the catalogue (OS, user, CPU and KVM,
//! memory and disks, the DevStack checkout and its local.conf, systemd units, storage, network, Python,
//! package locks, TLS). This is the only module that runs commands, each through `host/command.rs` with a
//! timeout; nothing here writes anything or needs root. A fact that cannot be read lands in
//! [`Collected::unknown`] with the reason: collection never fails as a whole.
//!
//! Each collector has its own file under `host/`, split into a part that reads (a file or a command)
//! and pure `parse_*` functions that are unit-tested on captured outputs in `samples/host/`. The
//! DevStack checkout is read first (other collectors need DEST and HOST_IP), then the rest run on
//! threads of their own.

mod command;
mod cpu;
mod devstack;
mod disk;
mod memory;
mod network;
mod os;
mod packages;
mod ports;
mod python;
mod services;
mod storage;
mod tls;
mod user;

use std::{collections::BTreeMap, path::PathBuf, thread, time::Duration};

use crate::facts::{self, FactValue, Facts};

/// How to collect host facts.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The DevStack checkout; when `None`, `./`, `~/devstack` and `/opt/stack/devstack` are tried.
    pub devstack_dir: Option<PathBuf>,
    /// The longest any one command (or the host name lookup) may take before it is given up.
    pub timeout: Duration,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions { devstack_dir: None, timeout: Duration::from_secs(2) }
    }
}

/// What collection found: facts that could be read, and for the others why not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    /// The facts read, each of the kind the catalogue gives it.
    pub facts: Facts,
    /// Fact key -> why it could not be read. A key is never in both maps.
    pub unknown: BTreeMap<String, String>,
}

impl Collected {
    /// Records a fact (and forgets an earlier reason it was unknown).
    pub(crate) fn set(&mut self, key: &str, value: FactValue) {
        debug_assert!(
            facts::lookup(key).is_some_and(|def| def.kind == value.kind()),
            "`{key}` is not in the catalogue as a {:?}",
            value.kind()
        );
        self.unknown.remove(key);
        self.facts.insert(key.to_string(), value);
    }

    /// Records a boolean fact.
    pub(crate) fn bool(&mut self, key: &str, value: bool) {
        self.set(key, FactValue::Bool(value));
    }

    /// Records a whole-number fact.
    pub(crate) fn int(&mut self, key: &str, value: i64) {
        self.set(key, FactValue::Int(value));
    }

    /// Records a string fact.
    pub(crate) fn str(&mut self, key: &str, value: impl Into<String>) {
        self.set(key, FactValue::Str(value.into()));
    }

    /// Records a list fact.
    pub(crate) fn list(&mut self, key: &str, value: Vec<String>) {
        self.set(key, FactValue::List(value));
    }

    /// Records why a fact could not be read, unless it is already known.
    pub(crate) fn not_read(&mut self, key: &str, why: impl Into<String>) {
        debug_assert!(facts::lookup(key).is_some(), "`{key}` is not in the catalogue");
        if !self.facts.contains_key(key) {
            self.unknown.insert(key.to_string(), why.into());
        }
    }

    /// Records the same reason for several facts.
    pub(crate) fn not_read_all(&mut self, keys: &[&str], why: &str) {
        for key in keys {
            self.not_read(key, why);
        }
    }

    fn merge(&mut self, other: Collected) {
        for (key, value) in other.facts {
            self.unknown.remove(&key);
            self.facts.insert(key, value);
        }
        for (key, why) in other.unknown {
            if !self.facts.contains_key(&key) {
                self.unknown.insert(key, why);
            }
        }
    }
}

/// What the collectors that run after the DevStack checkout has been read need to know about it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// The per-command timeout.
    pub timeout: Duration,
    /// The checkout, when one was found.
    pub checkout: Option<PathBuf>,
    /// Its settings (local.conf, then .stackenv, then DevStack's defaults).
    pub settings: devstack::Settings,
}

/// Catalogue keys that come from the logs, not from the host: the run model and what is derived from it.
pub const FROM_THE_LOGS: &[&str] =
    &["host.rebooted_since_run", "run.phase", "run.status", "time.last_run_end", "time.last_run_start"];

/// Every fact key [`collect`] reports (the catalogue less [`FROM_THE_LOGS`]): each ends up either in
/// [`Collected::facts`] or in [`Collected::unknown`].
pub fn keys() -> impl Iterator<Item = &'static str> {
    facts::CATALOGUE.iter().map(|def| def.key).filter(|key| !FROM_THE_LOGS.contains(key))
}

/// A collector that runs on its own thread once the checkout has been read.
type Collector = fn(&Context) -> Collected;

const COLLECTORS: &[Collector] = &[
    services::collect,
    python::collect,
    user::collect,
    storage::collect,
    network::collect,
    tls::collect,
    disk::collect,
    ports::collect,
    os::collect,
    cpu::collect,
    memory::collect,
    packages::collect,
];

/// Reads every host fact it can. Never fails and never panics on what it reads: a fact that cannot be
/// read is put in [`Collected::unknown`] with the reason. Read-only, needs no root; each command is
/// given [`HostOptions::timeout`], and independent collectors run in parallel.
pub fn collect(options: &HostOptions) -> Collected {
    let mut out = Collected::default();
    let (checkout, settings) = devstack::collect(options, &mut out);
    let context = Context { timeout: options.timeout, checkout, settings };
    let parts: Vec<Option<Collected>> = thread::scope(|scope| {
        let handles: Vec<_> =
            COLLECTORS.iter().map(|collector| scope.spawn(|| collector(&context))).collect();
        // A collector that panicked (a bug) only loses its own facts; they stay absent.
        handles.into_iter().map(|handle| handle.join().ok()).collect()
    });
    for part in parts.into_iter().flatten() {
        out.merge(part);
    }
    out
}

/// The first non-empty line of a command's error output, for reasons.
pub(crate) fn first_line(text: &str) -> &str {
    text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("")
}

/// The journal of one unit (its last `lines` lines, `journalctl -o short-precise`), for a support
/// bundle. Read-only, with the same timeout as every other command.
pub fn journal(unit: &str, lines: usize, timeout: Duration) -> Result<String, String> {
    let count = lines.to_string();
    let out = command::run(
        "journalctl",
        &["-u", unit, "--no-pager", "-o", "short-precise", "-n", &count],
        timeout,
    )?;
    if out.success {
        Ok(out.stdout)
    } else {
        Err(format!("journalctl -u {unit} failed: {}", out.stderr.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_facts_are_catalogued() {
        for key in FROM_THE_LOGS {
            assert!(facts::lookup(key).is_some(), "{key} is not in the catalogue");
        }
        assert_eq!(keys().count() + FROM_THE_LOGS.len(), facts::CATALOGUE.len());
    }

    #[test]
    fn merge_prefers_known_facts() {
        let mut a = Collected::default();
        a.not_read("os.id", "unreadable");
        let mut b = Collected::default();
        b.str("os.id", "debian");
        b.not_read("os.kernel", "unreadable");
        a.merge(b);
        assert_eq!(a.facts.get("os.id"), Some(&FactValue::Str("debian".into())));
        assert!(!a.unknown.contains_key("os.id"));
        assert_eq!(a.unknown.get("os.kernel").map(String::as_str), Some("unreadable"));
        a.not_read("os.id", "late reason is ignored");
        assert!(!a.unknown.contains_key("os.id"));
    }

    /// Runs on whatever host the tests run on: checks the shape, not the values.
    #[test]
    fn collect_accounts_for_every_key() {
        let collected = collect(&HostOptions::default());
        for key in keys() {
            let known = collected.facts.contains_key(key);
            let unknown = collected.unknown.contains_key(key);
            assert!(known ^ unknown, "{key}: known {known}, unknown {unknown}");
        }
        for (key, value) in &collected.facts {
            assert!(keys().any(|k| k == key), "{key} is not a host fact");
            assert_eq!(facts::lookup(key).map(|d| d.kind), Some(value.kind()), "{key}");
        }
    }
}
