//! Listening TCP ports, from `/proc/net/tcp` and `/proc/net/tcp6` (state `0A`), each named after the
//! process that owns the socket when `/proc/<pid>/fd` is readable (always for our own processes, for
//! all of them as root), as `port/owner`, else just `port`.

use std::collections::{BTreeMap, BTreeSet};

use super::{Collected, Context};
use crate::input::io_reason;

/// A listening socket of `/proc/net/tcp{,6}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Listener {
    /// The local port.
    pub port: u16,
    /// The socket's inode, to find its owner.
    pub inode: u64,
}

/// The listening sockets (state `0A`) of `/proc/net/tcp` or `/proc/net/tcp6`.
pub(crate) fn parse_proc_net_tcp(text: &str) -> Vec<Listener> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) != Some(&"0A") {
                return None;
            }
            let (_, port) = fields.get(1)?.rsplit_once(':')?;
            Some(Listener { port: u16::from_str_radix(port, 16).ok()?, inode: fields.get(9)?.parse().ok()? })
        })
        .collect()
}

/// The socket inode of an fd link target such as `socket:[40112]`.
pub(crate) fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// `port/owner` (or `port`) strings, sorted by port, without duplicates (a daemon listening on both
/// IPv4 and IPv6 appears once).
pub(crate) fn format_ports(listeners: &[Listener], owners: &BTreeMap<u64, String>) -> Vec<String> {
    let entries: BTreeSet<(u16, Option<&String>)> =
        listeners.iter().map(|l| (l.port, owners.get(&l.inode))).collect();
    entries
        .into_iter()
        .map(|(port, owner)| match owner {
            Some(owner) => format!("{port}/{owner}"),
            None => port.to_string(),
        })
        .collect()
}

/// Maps the wanted socket inodes to the `comm` of the lowest pid holding them (the parent of forked
/// workers), reading whatever `/proc/<pid>/fd` directories are readable.
fn owners(wanted: &BTreeSet<u64>) -> BTreeMap<u64, String> {
    let mut found = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    let mut pids: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect();
    pids.sort_unstable();
    for pid in pids {
        if found.len() == wanted.len() {
            break;
        }
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        let mut comm = None;
        for fd in fds.filter_map(Result::ok) {
            let Some(inode) =
                std::fs::read_link(fd.path()).ok().and_then(|t| socket_inode(&t.to_string_lossy()))
            else {
                continue;
            };
            if wanted.contains(&inode) && !found.contains_key(&inode) {
                let name = comm.get_or_insert_with(|| {
                    std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .map(|c| c.trim().to_string())
                        .unwrap_or_else(|_| format!("pid {pid}"))
                });
                found.insert(inode, name.clone());
            }
        }
    }
    found
}

/// Records `net.listening_ports`.
pub(crate) fn collect(_context: &Context) -> Collected {
    let mut out = Collected::default();
    let mut listeners = Vec::new();
    let mut problems = Vec::new();
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        match std::fs::read_to_string(path) {
            Ok(text) => listeners.extend(parse_proc_net_tcp(&text)),
            Err(err) => problems.push(format!("reading {path}: {}", io_reason(&err))),
        }
    }
    // tcp6 is missing when IPv6 is disabled; only both missing makes the fact unknown.
    if problems.len() == 2 {
        out.not_read("net.listening_ports", problems.join("; "));
        return out;
    }
    let wanted: BTreeSet<u64> = listeners.iter().map(|l| l.inode).filter(|inode| *inode != 0).collect();
    let owners = owners(&wanted);
    out.list("net.listening_ports", format_ports(&listeners, &owners));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_of_tcp_and_tcp6() {
        let v4 = parse_proc_net_tcp(include_str!("../../../samples/host/proc-net-tcp"));
        let ports: Vec<u16> = v4.iter().map(|l| l.port).collect();
        // Established (01) and TIME_WAIT (06) sockets are not listening.
        assert_eq!(ports, [53, 22, 3306, 4369, 5672, 25672, 11211, 2379, 2380, 6641, 6642, 6080]);
        assert_eq!(v4[2], Listener { port: 3306, inode: 40112 });
        let v6 = parse_proc_net_tcp(include_str!("../../../samples/host/proc-net-tcp6"));
        assert_eq!(v6.iter().map(|l| l.port).collect::<Vec<_>>(), [22, 80, 443, 11211]);
    }

    #[test]
    fn ports_are_named_when_owners_are_known() {
        let mut listeners = parse_proc_net_tcp(include_str!("../../../samples/host/proc-net-tcp"));
        listeners.extend(parse_proc_net_tcp(include_str!("../../../samples/host/proc-net-tcp6")));
        let owners: BTreeMap<u64, String> =
            [(21877, "sshd"), (21879, "sshd"), (40112, "mysqld"), (44210, "apache2")]
                .into_iter()
                .map(|(inode, name)| (inode, name.to_string()))
                .collect();
        let ports = format_ports(&listeners, &owners);
        assert_eq!(&ports[..4], ["22/sshd", "53", "80/apache2", "443"]);
        assert!(ports.contains(&"3306/mysqld".to_string()));
        assert_eq!(ports.iter().filter(|p| p.starts_with("22/")).count(), 1);
        assert_eq!(ports.iter().filter(|p| *p == "11211").count(), 1);
    }

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode("socket:[40112]"), Some(40112));
        assert_eq!(socket_inode("pipe:[40112]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }
}
