//! The fact catalogue: every fact a rule may test, with its type and meaning. Nothing else may invent a
//! fact key: `rules check` rejects keys that are not here. Facts come from the run model (`run.*`), the
//! live host or a saved bundle; a fact that could not be read is simply absent (unknown).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The type of a fact's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FactKind {
    /// true or false.
    Bool,
    /// A whole number (sizes in MiB, percentages, seconds since the epoch, counts).
    Int,
    /// A string.
    Str,
    /// A list of strings.
    List,
}

/// One entry of the catalogue.
#[derive(Debug, Serialize)]
pub struct FactDef {
    /// The key rules use.
    pub key: &'static str,
    /// The value's type.
    pub kind: FactKind,
    /// What it means and where it comes from.
    pub doc: &'static str,
}

macro_rules! facts {
    ($($key:literal : $kind:ident => $doc:literal,)*) => {
        /// Every fact key, sorted by key.
        pub static CATALOGUE: &[FactDef] = &[$(FactDef { key: $key, kind: FactKind::$kind, doc: $doc },)*];
    };
}

facts! {
    "cpu.cores": Int => "number of online CPUs",
    "cpu.virt_flags": Bool => "the CPU advertises hardware virtualisation (vmx or svm)",
    "devstack.branch": Str => "branch of the devstack checkout",
    "devstack.commit": Str => "commit of the devstack checkout",
    "devstack.dest": Str => "DEST from local.conf (default /opt/stack)",
    "devstack.disabled_services": List => "services named by disable_service in local.conf",
    "devstack.enabled_services": List => "services local.conf enables, less those it disables",
    "devstack.host_ip": Str => "HOST_IP from local.conf or .stackenv",
    "devstack.local_conf": Bool => "local.conf exists in the devstack checkout",
    "devstack.logfile": Str => "LOGFILE from local.conf, else the timestamped one of .stackenv",
    "devstack.path": Str => "the devstack checkout in use",
    "devstack.plugins": List => "plugins named by enable_plugin in local.conf",
    "devstack.service_host": Str => "SERVICE_HOST from local.conf or .stackenv",
    "devstack.stackenv": Bool => ".stackenv exists (the last run got past its start)",
    "devstack.supported_distros": List => "SUPPORTED_DISTROS of the checkout's stack.sh (or a built-in copy)",
    "disk.dest.free_mib": Int => "free space on the filesystem of DEST",
    "disk.dest.mount": Str => "mount point of the filesystem holding DEST (or its nearest existing parent)",
    "disk.dest.used_pct": Int => "percentage used of the filesystem of DEST",
    "disk.root.free_mib": Int => "free space on /",
    "disk.root.used_pct": Int => "percentage used of /",
    "disk.var.free_mib": Int => "free space on /var",
    "disk.var.used_pct": Int => "percentage used of /var",
    "git.ssl_cainfo": Str => "git config http.sslCAInfo",
    "git.ssl_verify": Str => "git config http.sslVerify",
    "host.rebooted_since_run": Bool => "the host booted after the last stack.sh run ended",
    "kvm.accessible": Bool => "/dev/kvm can be opened by the current user",
    "kvm.nested": Str => "nested virtualisation setting of the kvm module (Y, N, 1, 0)",
    "kvm.present": Bool => "/dev/kvm exists",
    "libvirt.type": Str => "LIBVIRT_TYPE or nova's virt_type in use",
    "mem.available_mib": Int => "available memory",
    "mem.total_mib": Int => "total memory",
    "net.addresses": List => "every IPv4 and IPv6 address of the host as address/prefix, from ip addr",
    "net.br_ex_addresses": List => "addresses on br-ex as address/prefix (IPv6 link-local left out)",
    "net.br_ex_present": Bool => "the br-ex bridge exists",
    "net.default_interface": Str => "device of the IPv4 default route",
    "net.default_route": Bool => "there is an IPv4 default route",
    "net.host_ip_present": Bool => "HOST_IP is an address of one of the interfaces",
    "net.hostname": Str => "the host name",
    "net.hostname_addresses": List => "addresses the host name resolves to",
    "net.hostname_resolves": Bool => "the host name resolves",
    "net.ip_forward": Bool => "net.ipv4.ip_forward is 1",
    "net.listening_ports": List => "listening TCP ports as port/owner (owner when readable)",
    "net.nameservers": List => "nameservers from /etc/resolv.conf",
    "net.no_proxy_covers_host": Bool => "no_proxy covers HOST_IP and localhost",
    "net.proxy_set": Bool => "http_proxy or https_proxy is set",
    "os.arch": Str => "machine architecture (x86_64, aarch64, ...)",
    "os.codename": Str => "VERSION_CODENAME from /etc/os-release",
    "os.distro": Str => "DevStack's DISTRO name for this release (noble, bookworm, rhel9, f40, ...)",
    "os.id": Str => "ID from /etc/os-release (ubuntu, debian, centos, rhel, rocky, fedora, ...)",
    "os.kernel": Str => "kernel release",
    "os.pretty_name": Str => "PRETTY_NAME from /etc/os-release",
    "os.supported": Bool => "the release is in DevStack's SUPPORTED_DISTROS",
    "os.version_id": Str => "VERSION_ID from /etc/os-release",
    "pkg.lock_holder": Str => "holder of the apt/dpkg, rpm or dnf lock as `comm (pid N)`; empty if none",
    "python.externally_managed": Bool => "the system python carries the PEP 668 EXTERNALLY-MANAGED marker",
    "python.pip_version": Str => "pip version of the system python",
    "python.setuptools_version": Str => "setuptools version of the system python",
    "python.version": Str => "python3 version",
    "python.virtualenv_version": Str => "virtualenv version",
    "run.phase": Str => "the last echo_summary phase the stack.sh run reached",
    "run.status": Str => "how the stack.sh run ended: failed, succeeded or unknown",
    "storage.backing_file_units": List => "*-backing-file units as name=state (active, failed, inactive)",
    "storage.loop_backing_files": List => "backing files of the attached loop devices",
    "storage.swift_drive_mounted": Bool => "the swift loop drive is mounted",
    "storage.volume_groups": List => "LVM volume groups",
    "swap.total_mib": Int => "total swap",
    "systemd.active_units": List => "devstack@*, infrastructure and backing-file units that are active",
    "systemd.failed_units": List => "the same units (no .service) that failed or crash-loop (auto-restart)",
    "systemd.inactive_units": List => "the same units (no .service) that are loaded but inactive",
    "time.boot": Int => "boot time, seconds since the epoch",
    "time.last_run_end": Int => "end of the last stack.sh run, seconds since the epoch",
    "time.last_run_start": Int => "start of the last stack.sh run, seconds since the epoch",
    "tls.ca_bundle_ok": Bool => "the system CA bundle exists and is not empty",
    "tls.ca_bundle_path": Str => "path of the system CA bundle",
    "user.is_root": Bool => "running as root",
    "user.name": Str => "user name",
    "user.sudo_nopasswd": Bool => "sudo works without a password",
    "user.uid": Int => "numeric user id",
}

/// Looks a key up in the catalogue.
pub fn lookup(key: &str) -> Option<&'static FactDef> {
    CATALOGUE.iter().find(|def| def.key == key)
}

/// A fact's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FactValue {
    /// See [`FactKind::Bool`].
    Bool(bool),
    /// See [`FactKind::Int`].
    Int(i64),
    /// See [`FactKind::Str`].
    Str(String),
    /// See [`FactKind::List`].
    List(Vec<String>),
}

impl FactValue {
    /// The kind of this value.
    pub fn kind(&self) -> FactKind {
        match self {
            FactValue::Bool(_) => FactKind::Bool,
            FactValue::Int(_) => FactKind::Int,
            FactValue::Str(_) => FactKind::Str,
            FactValue::List(_) => FactKind::List,
        }
    }

    /// The value as text, for fix placeholders and reports.
    pub fn display(&self) -> String {
        match self {
            FactValue::Bool(b) => b.to_string(),
            FactValue::Int(i) => i.to_string(),
            FactValue::Str(s) => s.clone(),
            FactValue::List(l) => l.join(", "),
        }
    }
}

/// A set of known facts. Unknown facts are absent.
pub type Facts = BTreeMap<String, FactValue>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_and_unique() {
        let keys: Vec<&str> = CATALOGUE.iter().map(|d| d.key).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn lookup_finds_known_keys_only() {
        assert_eq!(lookup("run.status").map(|d| d.kind), Some(FactKind::Str));
        assert!(lookup("run.statuss").is_none());
    }
}
