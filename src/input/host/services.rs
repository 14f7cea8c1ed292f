//! systemd units: the state of every `devstack@*` unit, of the infrastructure services DevStack relies
//! on (database, message queue, OVS/OVN, libvirt, web server, memcached, etcd, iscsid) and of the
//! `*-backing-file` units that re-attach Cinder's loop device at boot, from one
//! `systemctl list-units --all --type=service` call. Unit names are reported without `.service`.

use super::{command, first_line, Collected, Context};

/// Infrastructure services reported when present.
const INFRASTRUCTURE: &[&str] = &[
    "apache2",
    "etcd",
    "httpd",
    "iscsid",
    "libvirtd",
    "mariadb",
    "memcached",
    "mysql",
    "openvswitch-switch",
    "ovn-central",
    "ovn-controller",
    "ovn-northd",
    "ovs-vswitchd",
    "ovsdb-server",
    "rabbitmq-server",
];

const KEYS: &[&str] =
    &["systemd.active_units", "systemd.failed_units", "systemd.inactive_units", "storage.backing_file_units"];

/// One line of `systemctl list-units --no-legend --plain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    /// The unit name, without `.service`.
    pub name: String,
    /// The LOAD column (loaded, not-found, masked, ...).
    pub load: String,
    /// The ACTIVE column (active, failed, inactive, activating, ...).
    pub active: String,
    /// The SUB column (running, exited, dead, auto-restart, ...).
    pub sub: String,
}

/// How a unit is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Active (running, exited after success, or reloading).
    Active,
    /// Failed, or crash-looping (`activating` + `auto-restart`).
    Failed,
    /// Anything else: stopped, starting, stopping.
    Inactive,
}

impl Unit {
    /// How the unit is reported.
    pub(crate) fn state(&self) -> State {
        match (self.active.as_str(), self.sub.as_str()) {
            ("active" | "reloading" | "refreshing", _) => State::Active,
            ("failed", _) | ("activating", "auto-restart") => State::Failed,
            _ => State::Inactive,
        }
    }
}

/// Parses `systemctl list-units --all --no-legend --plain` output (a leading `●` or `*` marker, which
/// some versions print for failed units, is skipped).
pub(crate) fn parse_list_units(text: &str) -> Vec<Unit> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace().skip_while(|w| *w == "●" || *w == "*");
            let name = words.next()?;
            let (load, active, sub) = (words.next()?, words.next()?, words.next()?);
            Some(Unit {
                name: name.strip_suffix(".service").unwrap_or(name).to_string(),
                load: load.to_string(),
                active: active.to_string(),
                sub: sub.to_string(),
            })
        })
        .collect()
}

/// Whether a unit is one DevStack cares about.
pub(crate) fn is_relevant(name: &str) -> bool {
    name.starts_with("devstack@") || is_backing_file(name) || INFRASTRUCTURE.contains(&name)
}

fn is_backing_file(name: &str) -> bool {
    name.ends_with("-backing-file")
}

/// The facts for a parsed unit list: relevant, loaded units by state, and the backing-file units as
/// `name=state`.
pub(crate) fn classify(units: &[Unit], out: &mut Collected) {
    let (mut active, mut failed, mut inactive, mut backing) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // A unit that is merely referenced (`not-found`) or masked is not installed: leave it out.
    for unit in units.iter().filter(|u| u.load == "loaded" && is_relevant(&u.name)) {
        let state = unit.state();
        let list = match state {
            State::Active => &mut active,
            State::Failed => &mut failed,
            State::Inactive => &mut inactive,
        };
        list.push(unit.name.clone());
        if is_backing_file(&unit.name) {
            let word = match state {
                State::Active => "active",
                State::Failed => "failed",
                State::Inactive => "inactive",
            };
            backing.push(format!("{}={word}", unit.name));
        }
    }
    for list in [&mut active, &mut failed, &mut inactive, &mut backing] {
        list.sort();
        list.dedup();
    }
    out.list("systemd.active_units", active);
    out.list("systemd.failed_units", failed);
    out.list("systemd.inactive_units", inactive);
    out.list("storage.backing_file_units", backing);
}

/// Records `systemd.*_units` and `storage.backing_file_units`.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    let args = ["list-units", "--all", "--no-legend", "--plain", "--no-pager", "--type=service"];
    match command::run("systemctl", &args, context.timeout) {
        Ok(output) if output.success => classify(&parse_list_units(&output.stdout), &mut out),
        Ok(output) => {
            let why = format!("systemctl list-units failed: {}", first_line(&output.stderr));
            out.not_read_all(KEYS, &why);
        }
        Err(why) => out.not_read_all(KEYS, &why),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FactValue;

    fn list(out: &Collected, key: &str) -> Vec<String> {
        match out.facts.get(key) {
            Some(FactValue::List(items)) => items.clone(),
            other => panic!("{key}: {other:?}"),
        }
    }

    #[test]
    fn devstack_and_infrastructure_units_are_classified() {
        let units = parse_list_units(include_str!("../../../samples/host/systemctl-list-units-services"));
        let mut out = Collected::default();
        classify(&units, &mut out);
        let failed = list(&out, "systemd.failed_units");
        assert_eq!(
            failed,
            [
                "devstack@c-vol",
                "devstack@n-cond-cell1",
                "devstack@n-cpu",
                "stack-volumes-lvmdriver-1-backing-file"
            ]
        );
        let inactive = list(&out, "systemd.inactive_units");
        assert_eq!(inactive, ["devstack@n-novnc-cell1", "iscsid"]);
        let active = list(&out, "systemd.active_units");
        assert!(active.contains(&"devstack@keystone".to_string()));
        assert!(active.contains(&"mysql".to_string()));
        assert!(active.contains(&"ovn-central".to_string()));
        // Unrelated units and not-found references are left out.
        for absent in ["ssh", "cron", "unattended-upgrades", "mariadb", "httpd"] {
            assert!(
                !active.contains(&absent.to_string()) && !inactive.contains(&absent.to_string()),
                "{absent}"
            );
        }
        assert_eq!(
            list(&out, "storage.backing_file_units"),
            ["stack-volumes-lvmdriver-1-backing-file=failed"]
        );
    }

    #[test]
    fn devstack_only_listing() {
        let units = parse_list_units(include_str!("../../../samples/host/systemctl-list-units-devstack"));
        assert_eq!(units.len(), 6);
        assert_eq!(units[1].name, "devstack@c-vol");
        assert_eq!(units[1].state(), State::Failed);
        assert_eq!(units[4].state(), State::Inactive);
    }

    #[test]
    fn failed_marker_is_skipped() {
        let units = parse_list_units(
            "● devstack@n-cpu.service loaded failed failed Devstack devstack@n-cpu.service\n",
        );
        assert_eq!(units[0].name, "devstack@n-cpu");
        assert_eq!(units[0].state(), State::Failed);
        assert!(parse_list_units("\n  \n").is_empty());
    }
}
