//! Networking as DevStack sees it: interface addresses (`ip -o addr show`), the IPv4 default route
//! (`ip -o -4 route show default`), whether HOST_IP is still one of the host's addresses, br-ex and
//! its addresses, nameservers, the host name and whether it resolves (a lookup bounded by the
//! timeout), proxy variables and whether no_proxy covers HOST_IP and localhost, and IPv4 forwarding.

use std::{
    net::{IpAddr, ToSocketAddrs},
    path::Path,
    sync::mpsc,
    thread,
    time::Duration,
};

use super::{command, first_line, Collected, Context};
use crate::input::io_reason;

/// One address of `ip -o addr show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IfAddr {
    /// The interface (`ens3`, `br-ex`; an `@peer` suffix is dropped).
    pub interface: String,
    /// The address with its prefix length, as `ip` prints it (`10.0.0.5/24`, `fe80::1/64`).
    pub cidr: String,
}

impl IfAddr {
    /// The address without its prefix length.
    pub(crate) fn ip(&self) -> Option<IpAddr> {
        self.cidr.split('/').next()?.parse().ok()
    }
}

/// Parses `ip -o addr show`: `<index>: <interface> inet|inet6 <address>/<len> ...`.
pub(crate) fn parse_ip_addr(text: &str) -> Vec<IfAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            words.next()?;
            let interface = words.next()?;
            let family = words.next()?;
            let cidr = words.next()?;
            (family == "inet" || family == "inet6").then(|| IfAddr {
                interface: interface.split('@').next().unwrap_or(interface).to_string(),
                cidr: cidr.to_string(),
            })
        })
        .collect()
}

/// An IPv4 default route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DefaultRoute {
    /// Its device, if the route names one (multipath routes may not).
    pub dev: Option<String>,
}

/// The first default route of `ip -o -4 route show default`, if there is one.
pub(crate) fn parse_default_route(text: &str) -> Option<DefaultRoute> {
    let line = text.lines().find(|line| line.trim_start().starts_with("default"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let dev = words.windows(2).find(|pair| pair[0] == "dev").map(|pair| pair[1].to_string());
    Some(DefaultRoute { dev })
}

/// `nameserver` entries of resolv.conf(5).
pub(crate) fn parse_resolv_conf(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver").then(|| words.next().map(str::to_string))?
        })
        .collect()
}

/// Whether a no_proxy list (comma-separated: names, domain suffixes, addresses, CIDRs, `*`) covers
/// `host`.
pub(crate) fn no_proxy_covers(no_proxy: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = host.parse::<IpAddr>().ok();
    no_proxy.split(',').map(str::trim).filter(|entry| !entry.is_empty()).any(|entry| {
        if entry == "*" || entry.eq_ignore_ascii_case(host) {
            return true;
        }
        match ip {
            Some(ip) => cidr_contains(entry, ip),
            None => {
                let suffix = entry.trim_start_matches('*').trim_start_matches('.');
                !suffix.is_empty()
                    && host.to_ascii_lowercase().ends_with(&format!(".{}", suffix.to_ascii_lowercase()))
            }
        }
    })
}

fn cidr_contains(entry: &str, ip: IpAddr) -> bool {
    let Some((network, len)) = entry.split_once('/') else {
        return entry.parse::<IpAddr>().is_ok_and(|e| e == ip);
    };
    let (Ok(network), Ok(len)) = (network.parse::<IpAddr>(), len.parse::<u32>()) else {
        return false;
    };
    match (network, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            u128::from(net) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

/// Whether no_proxy covers HOST_IP and the loopback address (by name or number).
pub(crate) fn no_proxy_covers_host(no_proxy: &str, host_ip: &str) -> bool {
    no_proxy_covers(no_proxy, host_ip)
        && (no_proxy_covers(no_proxy, "localhost") || no_proxy_covers(no_proxy, "127.0.0.1"))
}

fn env_value(names: &[&str]) -> String {
    names.iter().filter_map(|name| std::env::var(name).ok()).collect::<Vec<_>>().join(",")
}

/// Looks a name up on a helper thread, waiting at most `timeout` (a hung resolver leaves the thread
/// behind rather than the caller).
fn resolve(host: &str, timeout: Duration) -> Result<Vec<IpAddr>, String> {
    let (tx, rx) = mpsc::channel();
    let name = host.to_string();
    thread::spawn(move || {
        let result =
            (name.as_str(), 0).to_socket_addrs().map(|addrs| addrs.map(|a| a.ip()).collect::<Vec<_>>());
        let _ = tx.send(result);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(_)) => Ok(Vec::new()),
        Err(_) => Err(format!("looking up {host} did not finish within {} ms", timeout.as_millis())),
    }
}

/// Records the `net.*` facts except `net.listening_ports`.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    let addresses = command::run("ip", &["-o", "addr", "show"], context.timeout).and_then(|output| {
        if output.success {
            Ok(parse_ip_addr(&output.stdout))
        } else {
            Err(format!("ip addr show failed: {}", first_line(&output.stderr)))
        }
    });
    let route =
        command::run("ip", &["-o", "-4", "route", "show", "default"], context.timeout).and_then(|output| {
            if output.success {
                Ok(parse_default_route(&output.stdout))
            } else {
                Err(format!("ip route show failed: {}", first_line(&output.stderr)))
            }
        });

    let br_ex = Path::new("/sys/class/net/br-ex");
    let br_ex_present = Path::new("/sys/class/net").is_dir().then(|| br_ex.exists());
    match br_ex_present {
        Some(present) => out.bool("net.br_ex_present", present),
        None => out.not_read("net.br_ex_present", "/sys/class/net is not readable"),
    }

    match &addresses {
        Ok(addresses) => {
            out.list("net.addresses", addresses.iter().map(|a| a.cidr.clone()).collect());
            // Link-local addresses appear whenever the bridge is up; they are not DevStack's.
            let on_br_ex = addresses
                .iter()
                .filter(|a| a.interface == "br-ex")
                .filter(|a| !matches!(a.ip(), Some(IpAddr::V6(v6)) if (v6.segments()[0] & 0xffc0) == 0xfe80))
                .map(|a| a.cidr.clone())
                .collect();
            out.list("net.br_ex_addresses", on_br_ex);
            match context.settings.get("HOST_IP").map(str::parse::<IpAddr>) {
                Some(Ok(host_ip)) => {
                    out.bool("net.host_ip_present", addresses.iter().any(|a| a.ip() == Some(host_ip)))
                }
                Some(Err(_)) => out.not_read("net.host_ip_present", "HOST_IP is not an IP address"),
                None => out
                    .not_read("net.host_ip_present", "HOST_IP is set neither in local.conf nor in .stackenv"),
            }
        }
        Err(why) => out.not_read_all(&["net.addresses", "net.br_ex_addresses", "net.host_ip_present"], why),
    }
    match &route {
        Ok(Some(route)) => {
            out.bool("net.default_route", true);
            match &route.dev {
                Some(dev) => out.str("net.default_interface", dev.clone()),
                None => out.not_read("net.default_interface", "the default route names no device"),
            }
        }
        Ok(None) => {
            out.bool("net.default_route", false);
            out.not_read("net.default_interface", "there is no IPv4 default route");
        }
        Err(why) => out.not_read_all(&["net.default_route", "net.default_interface"], why),
    }

    match std::fs::read_to_string("/etc/resolv.conf") {
        Ok(text) => out.list("net.nameservers", parse_resolv_conf(&text)),
        Err(err) => out.not_read("net.nameservers", format!("reading /etc/resolv.conf: {}", io_reason(&err))),
    }

    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|text| text.trim().to_string());
    match hostname {
        Ok(hostname) if !hostname.is_empty() => {
            match resolve(&hostname, context.timeout) {
                Ok(addrs) => {
                    let mut listed: Vec<String> = Vec::new();
                    for addr in addrs.iter().map(IpAddr::to_string) {
                        if !listed.contains(&addr) {
                            listed.push(addr);
                        }
                    }
                    out.bool("net.hostname_resolves", !listed.is_empty());
                    out.list("net.hostname_addresses", listed);
                }
                Err(why) => out.not_read_all(&["net.hostname_resolves", "net.hostname_addresses"], &why),
            }
            out.str("net.hostname", hostname);
        }
        _ => out.not_read_all(
            &["net.hostname", "net.hostname_resolves", "net.hostname_addresses"],
            "no host name in /proc/sys/kernel/hostname or /etc/hostname",
        ),
    }

    let proxy = env_value(&["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"]);
    out.bool("net.proxy_set", proxy.split(',').any(|value| !value.trim().is_empty()));
    // HOST_IP as configured, else the address stack.sh would pick: the default-route interface's.
    let detected = match (&addresses, &route) {
        (Ok(addresses), Ok(Some(DefaultRoute { dev: Some(dev) }))) => addresses
            .iter()
            .filter(|a| &a.interface == dev)
            .find_map(|a| a.ip().filter(IpAddr::is_ipv4))
            .map(|ip| ip.to_string()),
        _ => None,
    };
    match context.settings.get("HOST_IP").map(str::to_string).or(detected) {
        Some(host_ip) => {
            let no_proxy = env_value(&["no_proxy", "NO_PROXY"]);
            out.bool("net.no_proxy_covers_host", no_proxy_covers_host(&no_proxy, &host_ip));
        }
        None => out.not_read("net.no_proxy_covers_host", "HOST_IP is not known and could not be detected"),
    }

    match std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward") {
        Ok(text) => out.bool("net.ip_forward", text.trim() == "1"),
        Err(err) => out.not_read(
            "net.ip_forward",
            format!("reading /proc/sys/net/ipv4/ip_forward: {}", io_reason(&err)),
        ),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_a_devstack_host() {
        let addrs = parse_ip_addr(include_str!("../../../samples/host/ip-o-addr-show"));
        assert_eq!(addrs.len(), 8);
        assert_eq!(addrs[2], IfAddr { interface: "ens3".into(), cidr: "10.20.30.40/24".into() });
        let br_ex: Vec<&str> =
            addrs.iter().filter(|a| a.interface == "br-ex").map(|a| a.cidr.as_str()).collect();
        assert_eq!(br_ex, ["172.24.4.1/24", "2001:db8::2/64", "fe80::c0d8:ecff:fe6b:d44f/64"]);
        assert_eq!(addrs[2].ip(), "10.20.30.40".parse().ok());
    }

    #[test]
    fn after_reboot_br_ex_has_only_link_local_and_host_ip_moved() {
        let addrs = parse_ip_addr(include_str!("../../../samples/host/ip-o-addr-show-after-reboot"));
        let host_ip: IpAddr = "10.20.30.40".parse().unwrap();
        assert!(!addrs.iter().any(|a| a.ip() == Some(host_ip)));
        let br_ex: Vec<&IfAddr> = addrs.iter().filter(|a| a.interface == "br-ex").collect();
        assert_eq!(br_ex.len(), 1);
        assert!(br_ex[0].cidr.starts_with("fe80::"));
        assert_eq!(
            parse_ip_addr("3: veth0@if4    inet 10.1.1.1/32 scope global veth0\n")[0].interface,
            "veth0"
        );
    }

    #[test]
    fn default_route() {
        let route = parse_default_route(include_str!("../../../samples/host/ip-o-4-route-show-default"));
        assert_eq!(route, Some(DefaultRoute { dev: Some("ens3".into()) }));
        assert_eq!(
            parse_default_route(include_str!("../../../samples/host/ip-o-4-route-show-default-none")),
            None
        );
    }

    #[test]
    fn nameservers() {
        let resolved = parse_resolv_conf(include_str!("../../../samples/host/resolv.conf-systemd-resolved"));
        assert_eq!(resolved, ["127.0.0.53"]);
        let manual = parse_resolv_conf(include_str!("../../../samples/host/resolv.conf-static"));
        assert_eq!(manual, ["10.20.0.2", "10.20.0.3", "2001:db8:53::1"]);
    }

    #[test]
    fn no_proxy_coverage() {
        assert!(no_proxy_covers_host("localhost,127.0.0.1,10.20.30.40", "10.20.30.40"));
        assert!(no_proxy_covers_host("localhost,10.20.30.0/24", "10.20.30.40"));
        assert!(no_proxy_covers_host("127.0.0.0/8, 10.0.0.0/8", "10.20.30.40"));
        assert!(no_proxy_covers_host("*", "10.20.30.40"));
        assert!(no_proxy_covers_host(".example.com,localhost", "devstack.example.com"));
        // Near misses: a neighbouring network, no loopback, nothing at all.
        assert!(!no_proxy_covers_host("localhost,10.20.31.0/24", "10.20.30.40"));
        assert!(!no_proxy_covers_host("10.20.30.40", "10.20.30.40"));
        assert!(!no_proxy_covers_host("", "10.20.30.40"));
        assert!(!no_proxy_covers_host("localhost,10.20.30.4", "10.20.30.40"));
        assert!(no_proxy_covers("::1,fd00::/8", "fd00::2"));
        assert!(!no_proxy_covers("example.com", "notexample.com"));
    }

    #[test]
    fn loopback_resolves_within_the_timeout() {
        let addrs = resolve("localhost", Duration::from_secs(2)).unwrap();
        assert!(addrs.iter().any(IpAddr::is_loopback));
    }
}
