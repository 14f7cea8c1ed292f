//! The running system: `/etc/os-release`, the kernel release, the architecture, the boot time, and
//! whether DevStack supports this release. The DISTRO name is computed the way DevStack's `GetDistro`
//! does (`functions-common`) and matched against `SUPPORTED_DISTROS` of the checkout's stack.sh.

use std::collections::BTreeMap;

use super::{devstack, Collected, Context};
use crate::input::io_reason;

/// `SUPPORTED_DISTROS` of DevStack at the time of writing, used when no stack.sh can be read.
pub(crate) const BUILTIN_SUPPORTED_DISTROS: &str = "trixie|bookworm|noble|resolute|rhel9|rhel10";

/// Parses os-release(5): `KEY=value` lines, values optionally quoted, with shell escapes.
pub(crate) fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), unquote(value.trim())))
        .collect()
}

fn unquote(value: &str) -> String {
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')));
    if !quoted {
        return value.to_string();
    }
    let inner = &value[1..value.len() - 1];
    if value.starts_with('\'') {
        return inner.to_string();
    }
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// DevStack's DISTRO for an os-release: the codename on Debian and Ubuntu, `rhel<major>` on the Red Hat
/// family, `f<N>` on Fedora, `openEuler-<version>`, else `<id>-<version>` (never supported).
pub(crate) fn devstack_distro(release: &BTreeMap<String, String>) -> Option<String> {
    let field = |key: &str| release.get(key).map(String::as_str).filter(|v| !v.is_empty());
    let id = field("ID")?;
    let version = field("VERSION_ID").unwrap_or("");
    let distro = match id {
        "ubuntu" | "debian" | "linuxmint" => {
            field("VERSION_CODENAME").or_else(|| field("UBUNTU_CODENAME"))?.to_string()
        }
        "fedora" => format!("f{version}"),
        "rhel" | "centos" | "almalinux" | "rocky" | "ol" | "scientific" | "virtuozzo" => {
            format!("rhel{}", version.split('.').next().unwrap_or(""))
        }
        "openEuler" => format!("openEuler-{version}"),
        other => format!("{other}-{version}"),
    };
    Some(distro)
}

/// Whether DISTRO matches SUPPORTED_DISTROS the way stack.sh tests it (an unanchored `=~`).
pub(crate) fn is_supported(distro: &str, supported: &str) -> bool {
    match regex::Regex::new(supported) {
        Ok(re) => re.is_match(distro),
        Err(_) => {
            supported.split('|').any(|alternative| !alternative.is_empty() && distro.contains(alternative))
        }
    }
}

/// `btime` of `/proc/stat`: boot time in seconds since the epoch.
pub(crate) fn parse_btime(stat: &str) -> Option<i64> {
    stat.lines().find_map(|line| line.strip_prefix("btime ")?.trim().parse().ok())
}

/// Records the `os.*`, `devstack.supported_distros` and `time.boot` facts.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    out.str("os.arch", std::env::consts::ARCH);
    match std::fs::read_to_string("/proc/sys/kernel/osrelease") {
        Ok(text) => out.str("os.kernel", text.trim()),
        Err(err) => {
            out.not_read("os.kernel", format!("reading /proc/sys/kernel/osrelease: {}", io_reason(&err)))
        }
    }
    match std::fs::read_to_string("/proc/stat").map(|text| parse_btime(&text)) {
        Ok(Some(btime)) => out.int("time.boot", btime),
        Ok(None) => out.not_read("time.boot", "no btime line in /proc/stat"),
        Err(err) => out.not_read("time.boot", format!("reading /proc/stat: {}", io_reason(&err))),
    }

    let supported = context
        .checkout
        .as_ref()
        .and_then(|checkout| std::fs::read_to_string(checkout.join("stack.sh")).ok())
        .and_then(|text| devstack::parse_supported_distros(&text))
        .unwrap_or_else(|| BUILTIN_SUPPORTED_DISTROS.to_string());
    out.list("devstack.supported_distros", supported.split('|').map(str::to_string).collect());

    let release = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .map_err(|err| format!("reading /etc/os-release: {}", io_reason(&err)));
    let release = match release {
        Ok(text) => parse_os_release(&text),
        Err(why) => {
            let keys =
                ["os.id", "os.version_id", "os.codename", "os.pretty_name", "os.distro", "os.supported"];
            out.not_read_all(&keys, &why);
            return out;
        }
    };
    for (key, field) in [
        ("os.id", "ID"),
        ("os.version_id", "VERSION_ID"),
        ("os.codename", "VERSION_CODENAME"),
        ("os.pretty_name", "PRETTY_NAME"),
    ] {
        match release.get(field).filter(|value| !value.is_empty()) {
            Some(value) => out.str(key, value.clone()),
            None => out.not_read(key, format!("no {field} in os-release")),
        }
    }
    match devstack_distro(&release) {
        Some(distro) => {
            out.bool("os.supported", is_supported(&distro, &supported));
            out.str("os.distro", distro);
        }
        None => out.not_read_all(&["os.distro", "os.supported"], "os-release has no ID or codename"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distro_of(text: &str) -> Option<String> {
        devstack_distro(&parse_os_release(text))
    }

    #[test]
    fn ubuntu_noble_is_supported() {
        let release = parse_os_release(include_str!("../../../samples/host/os-release-ubuntu-24.04"));
        assert_eq!(release["ID"], "ubuntu");
        assert_eq!(release["VERSION_ID"], "24.04");
        assert_eq!(release["PRETTY_NAME"], "Ubuntu 24.04.1 LTS");
        assert_eq!(devstack_distro(&release).as_deref(), Some("noble"));
        assert!(is_supported("noble", BUILTIN_SUPPORTED_DISTROS));
    }

    #[test]
    fn debian_bookworm_is_supported() {
        let distro = distro_of(include_str!("../../../samples/host/os-release-debian-12"));
        assert_eq!(distro.as_deref(), Some("bookworm"));
        assert!(is_supported("bookworm", BUILTIN_SUPPORTED_DISTROS));
    }

    #[test]
    fn red_hat_family_maps_to_rhel_major() {
        let centos = distro_of(include_str!("../../../samples/host/os-release-centos-stream-9"));
        let rocky = distro_of(include_str!("../../../samples/host/os-release-rocky-9"));
        assert_eq!(centos.as_deref(), Some("rhel9"));
        assert_eq!(rocky.as_deref(), Some("rhel9"));
        assert!(is_supported("rhel9", BUILTIN_SUPPORTED_DISTROS));
    }

    #[test]
    fn fedora_is_not_supported() {
        let release = parse_os_release(include_str!("../../../samples/host/os-release-fedora-40"));
        assert_eq!(release["VERSION_CODENAME"], "");
        assert_eq!(release["VARIANT"], "Server Edition");
        assert_eq!(devstack_distro(&release).as_deref(), Some("f40"));
        assert!(!is_supported("f40", BUILTIN_SUPPORTED_DISTROS));
    }

    #[test]
    fn near_misses_are_not_supported() {
        assert!(!is_supported("jammy", BUILTIN_SUPPORTED_DISTROS));
        assert!(!is_supported("rhel8", BUILTIN_SUPPORTED_DISTROS));
        assert_eq!(distro_of("ID=arch\nVERSION_ID=rolling\n").as_deref(), Some("arch-rolling"));
        assert_eq!(distro_of("NAME=x\n"), None);
        // The match is unanchored, as in bash: "rhel10" would also satisfy a list holding "rhel1".
        assert!(is_supported("rhel10", "rhel1"));
        assert!(is_supported("noble", "(unbalanced|noble"));
    }

    #[test]
    fn quoting_follows_os_release() {
        let release = parse_os_release("A=\"x \\\"y\\\"\"\nB='z'\n# c\nC=plain\n");
        assert_eq!(release["A"], "x \"y\"");
        assert_eq!(release["B"], "z");
        assert_eq!(release["C"], "plain");
    }

    #[test]
    fn boot_time_comes_from_btime() {
        assert_eq!(parse_btime(include_str!("../../../samples/host/proc-stat")), Some(1_784_289_433));
        assert_eq!(parse_btime("cpu 1 2 3\n"), None);
    }
}
