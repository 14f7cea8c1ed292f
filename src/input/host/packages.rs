//! Package-manager locks: who holds dpkg's or apt's lock (fcntl locks listed in `/proc/locks`, matched
//! to the lock file's device and inode), rpm's transaction lock, or dnf's pid-file locks. The holder is
//! reported as `comm (pid N)`; an empty string means nobody holds a lock.

use std::{collections::BTreeSet, os::unix::fs::MetadataExt};

use super::{Collected, Context};
use crate::input::io_reason;

/// Lock files taken with fcntl(2) by dpkg, apt and rpm.
const FCNTL_LOCKS: &[&str] = &[
    "/var/lib/dpkg/lock-frontend",
    "/var/lib/dpkg/lock",
    "/var/lib/apt/lists/lock",
    "/var/cache/apt/archives/lock",
    "/var/lib/rpm/.rpm.lock",
];

/// dnf's locks: files holding the pid of the dnf that owns them.
const DNF_PID_LOCKS: &[&str] =
    &["/var/lib/dnf/rpmdb_lock.pid", "/var/cache/dnf/metadata_lock.pid", "/var/cache/dnf/download_lock.pid"];

/// One held lock of `/proc/locks` (lines for waiters, `->`, are skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct HeldLock {
    /// The holder; `None` for open-file-description locks, which have no pid.
    pub pid: Option<u32>,
    /// Device major number.
    pub major: u32,
    /// Device minor number.
    pub minor: u32,
    /// Inode of the locked file.
    pub inode: u64,
}

/// Parses `/proc/locks`: `1: POSIX  ADVISORY  WRITE 1187 fd:01:1835220 0 EOF`.
pub(crate) fn parse_proc_locks(text: &str) -> Vec<HeldLock> {
    text.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.get(1) == Some(&"->") {
                return None;
            }
            let pid = words.get(4)?.parse::<i64>().ok()?;
            let mut id = words.get(5)?.split(':');
            let major = u32::from_str_radix(id.next()?, 16).ok()?;
            let minor = u32::from_str_radix(id.next()?, 16).ok()?;
            let inode = id.next()?.parse().ok()?;
            Some(HeldLock { pid: u32::try_from(pid).ok().filter(|p| *p > 0), major, minor, inode })
        })
        .collect()
}

/// The pid written in a dnf lock file.
pub(crate) fn parse_pid_file(text: &str) -> Option<u32> {
    text.trim().parse().ok().filter(|pid| *pid > 0)
}

/// Linux's split of a `dev_t` into major and minor numbers.
fn major_minor(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (u32::try_from(major).unwrap_or(u32::MAX), u32::try_from(minor).unwrap_or(u32::MAX))
}

fn describe(pid: u32) -> String {
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => format!("{} (pid {pid})", comm.trim()),
        Err(_) => format!("pid {pid}"),
    }
}

fn holder() -> Result<String, String> {
    let files: Vec<(u32, u32, u64)> = FCNTL_LOCKS
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|meta| {
            let (major, minor) = major_minor(meta.dev());
            (major, minor, meta.ino())
        })
        .collect();
    let mut holders = BTreeSet::new();
    if !files.is_empty() {
        let locks = std::fs::read_to_string("/proc/locks")
            .map_err(|err| format!("reading /proc/locks: {}", io_reason(&err)))?;
        for lock in parse_proc_locks(&locks) {
            if files.contains(&(lock.major, lock.minor, lock.inode)) {
                holders.insert(lock.pid.map_or_else(|| "an unknown process".to_string(), describe));
            }
        }
    }
    for path in DNF_PID_LOCKS {
        let pid = std::fs::read_to_string(path).ok().and_then(|text| parse_pid_file(&text));
        // A stale pid file (dnf was killed) is not a lock.
        if let Some(pid) = pid.filter(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            holders.insert(describe(pid));
        }
    }
    Ok(holders.into_iter().collect::<Vec<_>>().join(", "))
}

/// Records `pkg.lock_holder`.
pub(crate) fn collect(_context: &Context) -> Collected {
    let mut out = Collected::default();
    match holder() {
        Ok(holder) => out.str("pkg.lock_holder", holder),
        Err(why) => out.not_read("pkg.lock_holder", why),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_locks_skip_waiters() {
        let locks = parse_proc_locks(include_str!("../../../samples/host/proc-locks"));
        assert_eq!(locks.len(), 7);
        assert_eq!(locks[0], HeldLock { pid: Some(1187), major: 0xfd, minor: 1, inode: 1_835_220 });
        assert!(!locks.iter().any(|l| l.pid == Some(21544)), "a waiter is not a holder");
        assert_eq!(locks[4].pid, None, "OFD locks have no pid");
    }

    #[test]
    fn dev_numbers_split_like_the_kernel() {
        assert_eq!(major_minor(0xfd01), (0xfd, 1));
        assert_eq!(major_minor(0x0803), (8, 3));
        assert_eq!(major_minor(0x1_0300), (259, 0));
    }

    #[test]
    fn dnf_pid_files() {
        assert_eq!(parse_pid_file("4242\n"), Some(4242));
        assert_eq!(parse_pid_file("\n"), None);
        assert_eq!(parse_pid_file("0"), None);
    }
}
