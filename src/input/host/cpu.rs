//! CPUs and virtualisation: the number of online CPUs, whether the CPU advertises vmx or svm, whether
//! `/dev/kvm` exists and can be opened read-write by this user, the kvm module's `nested` parameter,
//! and the libvirt type in use (LIBVIRT_TYPE of local.conf, else `virt_type` of nova's config).

use std::{fs::OpenOptions, io::ErrorKind};

use super::{Collected, Context};
use crate::input::io_reason;

/// Counts the CPUs of a sysfs CPU list such as `0-3,6,8-9`.
pub(crate) fn parse_cpu_list(text: &str) -> Option<i64> {
    let mut count = 0;
    for part in text.trim().split(',').filter(|part| !part.is_empty()) {
        count += match part.split_once('-') {
            Some((first, last)) => {
                let (first, last): (i64, i64) = (first.parse().ok()?, last.parse().ok()?);
                (last - first + 1).max(0)
            }
            None => {
                part.parse::<i64>().ok()?;
                1
            }
        };
    }
    (count > 0).then_some(count)
}

/// The `processor` entries of `/proc/cpuinfo`.
pub(crate) fn parse_cpuinfo_processors(cpuinfo: &str) -> i64 {
    cpuinfo.lines().filter(|line| cpuinfo_key(line) == Some("processor")).count() as i64
}

/// Whether the `flags` lines of `/proc/cpuinfo` hold vmx (Intel VT-x) or svm (AMD-V); `None` when
/// there is no `flags` line at all (not an x86 CPU).
pub(crate) fn parse_cpuinfo_virt(cpuinfo: &str) -> Option<bool> {
    let mut flags = cpuinfo
        .lines()
        .filter(|line| cpuinfo_key(line) == Some("flags"))
        .filter_map(|line| line.split_once(':').map(|(_, value)| value))
        .peekable();
    flags.peek()?;
    Some(flags.any(|value| value.split_whitespace().any(|flag| flag == "vmx" || flag == "svm")))
}

fn cpuinfo_key(line: &str) -> Option<&str> {
    line.split_once(':').map(|(key, _)| key.trim())
}

/// The value of `key` in `[section]` of an INI file such as nova.conf (the last one wins, as in
/// oslo.config).
pub(crate) fn parse_ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    let mut found = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            current = name.trim().to_string();
        } else if current == section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    found = Some(v.trim().to_string());
                }
            }
        }
    }
    found
}

/// Records the `cpu.*`, `kvm.*` and `libvirt.type` facts.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo");
    let cores = std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|text| parse_cpu_list(&text))
        .or_else(|| cpuinfo.as_ref().ok().map(|text| parse_cpuinfo_processors(text)).filter(|n| *n > 0))
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get() as i64));
    match cores {
        Some(cores) => out.int("cpu.cores", cores),
        None => {
            out.not_read("cpu.cores", "neither /sys/devices/system/cpu/online nor /proc/cpuinfo is readable")
        }
    }
    match cpuinfo.as_ref().map(|text| parse_cpuinfo_virt(text)) {
        Ok(Some(virt)) => out.bool("cpu.virt_flags", virt),
        Ok(None) => out.not_read("cpu.virt_flags", "no flags line in /proc/cpuinfo (not an x86 CPU)"),
        Err(err) => out.not_read("cpu.virt_flags", format!("reading /proc/cpuinfo: {}", io_reason(err))),
    }

    match std::fs::metadata("/dev/kvm") {
        Ok(_) => out.bool("kvm.present", true),
        Err(err) if err.kind() == ErrorKind::NotFound => out.bool("kvm.present", false),
        Err(err) => out.not_read("kvm.present", format!("checking /dev/kvm: {}", io_reason(&err))),
    }
    // Opening /dev/kvm creates nothing; only an ioctl would.
    match OpenOptions::new().read(true).write(true).open("/dev/kvm") {
        Ok(_) => out.bool("kvm.accessible", true),
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied) => {
            out.bool("kvm.accessible", false)
        }
        Err(err) => out.not_read("kvm.accessible", format!("opening /dev/kvm: {}", io_reason(&err))),
    }
    let nested = ["kvm_intel", "kvm_amd"]
        .iter()
        .find_map(|module| std::fs::read_to_string(format!("/sys/module/{module}/parameters/nested")).ok());
    match nested {
        Some(value) => out.str("kvm.nested", value.trim()),
        None => out.not_read("kvm.nested", "neither kvm_intel nor kvm_amd is loaded"),
    }

    match libvirt_type(context) {
        Ok(virt_type) => out.str("libvirt.type", virt_type),
        Err(why) => out.not_read("libvirt.type", why),
    }
    out
}

fn libvirt_type(context: &Context) -> Result<String, String> {
    if let Some(value) = context.settings.local.get("LIBVIRT_TYPE") {
        return Ok(value.clone());
    }
    let mut problems = Vec::new();
    for path in ["/etc/nova/nova-cpu.conf", "/etc/nova/nova.conf"] {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                if let Some(value) = parse_ini_value(&text, "libvirt", "virt_type") {
                    return Ok(value);
                }
            }
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(err) => problems.push(format!("{path}: {}", io_reason(&err))),
        }
    }
    if problems.is_empty() {
        Err("LIBVIRT_TYPE is not in local.conf and nova's config has no [libvirt] virt_type".to_string())
    } else {
        Err(format!("LIBVIRT_TYPE is not in local.conf; {}", problems.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTEL: &str = include_str!("../../../samples/host/cpuinfo-intel-vmx");
    const AMD: &str = include_str!("../../../samples/host/cpuinfo-amd-svm");
    const CLOUD: &str = include_str!("../../../samples/host/cpuinfo-cloud-vm-no-virt");
    const ARM: &str = include_str!("../../../samples/host/cpuinfo-aarch64");

    #[test]
    fn virtualisation_flags() {
        assert_eq!(parse_cpuinfo_virt(INTEL), Some(true));
        assert_eq!(parse_cpuinfo_virt(AMD), Some(true));
        // A cloud guest without nested virtualisation: `vmx` appears nowhere, `hypervisor` does.
        assert_eq!(parse_cpuinfo_virt(CLOUD), Some(false));
        assert_eq!(parse_cpuinfo_virt(ARM), None);
        // "vmx flags" is not the flags line, and a flag merely containing "svm" is not svm.
        assert_eq!(parse_cpuinfo_virt("vmx flags\t: ept vpid\nflags\t\t: fpu svm_lock\n"), Some(false));
    }

    #[test]
    fn processors_are_counted() {
        assert_eq!(parse_cpuinfo_processors(INTEL), 2);
        assert_eq!(parse_cpuinfo_processors(AMD), 1);
        assert_eq!(parse_cpuinfo_processors(ARM), 2);
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-3\n"), Some(4));
        assert_eq!(parse_cpu_list("0-3,6,8-9\n"), Some(7));
        assert_eq!(parse_cpu_list("0\n"), Some(1));
        assert_eq!(parse_cpu_list("\n"), None);
        assert_eq!(parse_cpu_list("x-y\n"), None);
    }

    #[test]
    fn nova_virt_type() {
        let conf = include_str!("../../../samples/host/nova-cpu.conf");
        assert_eq!(parse_ini_value(conf, "libvirt", "virt_type").as_deref(), Some("qemu"));
        assert_eq!(parse_ini_value(conf, "libvirt", "cpu_mode").as_deref(), Some("none"));
        assert_eq!(parse_ini_value(conf, "DEFAULT", "virt_type"), None);
    }
}
