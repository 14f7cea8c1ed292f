//! Generates a corpus of realistic DevStack logs for the scanner benchmarks (`benches/scan.rs` and
//! `benches/compare-rg.sh`), with real failure lines planted at known places.
//!
//! ```text
//! cargo run --release --example gen-corpus -- --size 1GiB --out /tmp/dd-corpus/big \
//!     [--files N] [--seed S] [--gzip] [--plant N] [--force]
//! ```
//!
//! The noise is what a long `stack.sh` run and its services write: stack.sh xtrace lines behind the
//! `YYYY-MM-DD hh:mm:ss.mmm | ` stamp of `tools/outfilter.py`, `echo_summary` phases, pip, git and
//! apt output, openstack CLI tables, oslo.log lines as the journal shows them (with harmless WARNING
//! and ERROR lines, tracebacks included) and Apache's Horizon error log. The failures are the log
//! excerpts of the built-in rules' `match` tests, inserted whole at random places; `DIR/planted.tsv`
//! lists each one (file, line of its first hit, rule id) so that a benchmark can check they are all
//! found. Only excerpts that make their rule fire on their own, in a file of that name, are planted.
//! A corpus with planted failures models failed runs: every stack.sh trace ends the way a failed run
//! ends (`Error on exit`, the world dump), so rules that require `run.status` to be `failed` can be
//! planted too; rules that depend on other facts (the host's, the phase reached) cannot.
//!
//! One file is written as `DIR/stack.sh.log` (every kind of line mixed). With `--files N` (N > 1) the
//! files are grouped like the logs of several CI jobs, `DIR/run-NNN/{stack.sh.log.<ts>,
//! screen-<unit>.txt, horizon_error.log}`, each with the lines its kind holds. `--gzip` compresses
//! every file (`.gz` is appended to its name). Output is deterministic for a seed, is streamed
//! through buffered writers (memory stays small whatever `--size`), and belongs outside the
//! repository: never commit it.
//!
//! `benches/scan.rs` includes this file as a module to build its in-memory buffer.

use std::{
    collections::BTreeMap,
    fs::{self, File},
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
    process::ExitCode,
};

use devstack_doctor::{
    engine::{
        evaluate::{evaluate, EvalOptions},
        Matcher, SourceScanner,
    },
    facts::{FactValue, Facts},
    input,
    rules::{sources, RuleSet},
    run::KNOWN_PHASES,
};

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

/// A xorshift64* generator: tiny, fast and the same on every platform, so a seed always gives the
/// same corpus.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included: the seed goes through splitmix64 first).
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_f491_4f6c_dd1d } else { z })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True `percent` times out of 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Shuffles a slice in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/// A DevStack service whose journal a `screen-<unit>.txt` file holds.
#[derive(Debug)]
pub struct Service {
    /// The short name in `devstack@<unit>.service`.
    pub unit: &'static str,
    /// The project checkout under `/opt/stack`.
    pub project: &'static str,
    /// Logger names, functions and source files its lines come from.
    pub modules: &'static [(&'static str, &'static str, &'static str)],
}

/// The services the corpus writes journals for.
pub const SERVICES: &[Service] = &[
    Service {
        unit: "keystone",
        project: "keystone",
        modules: &[
            (
                "keystone.server.flask.request_processing.req_logging",
                "log_request_info",
                "keystone/server/flask/request_processing/req_logging.py",
            ),
            (
                "keystone.common.rbac_enforcer.enforcer",
                "enforce_call",
                "keystone/common/rbac_enforcer/enforcer.py",
            ),
            ("keystone.token.provider", "validate_token", "keystone/token/provider.py"),
            ("keystone.auth.core", "authenticate", "keystone/auth/core.py"),
        ],
    },
    Service {
        unit: "n-api",
        project: "nova",
        modules: &[
            ("nova.api.openstack.wsgi", "_process_stack", "nova/api/openstack/wsgi.py"),
            ("nova.api.openstack.compute.servers", "_get_servers", "nova/api/openstack/compute/servers.py"),
            ("nova.osapi_compute.wsgi.server", "__call__", "nova/api/openstack/requestlog.py"),
            ("nova.compute.api", "_provision_instances", "nova/compute/api.py"),
        ],
    },
    Service {
        unit: "n-cpu",
        project: "nova",
        modules: &[
            ("nova.compute.manager", "_sync_power_states", "nova/compute/manager.py"),
            (
                "nova.compute.resource_tracker",
                "_update_available_resource",
                "nova/compute/resource_tracker.py",
            ),
            ("oslo_concurrency.lockutils", "inner", "oslo_concurrency/lockutils.py"),
            ("nova.virt.libvirt.driver", "_get_guest_xml", "nova/virt/libvirt/driver.py"),
            ("nova.scheduler.client.report", "_refresh_associations", "nova/scheduler/client/report.py"),
        ],
    },
    Service {
        unit: "q-svc",
        project: "neutron",
        modules: &[
            ("neutron.wsgi", "__call__", "neutron/wsgi.py"),
            ("neutron.db.agents_db", "_log_heartbeat", "neutron/db/agents_db.py"),
            (
                "neutron.plugins.ml2.drivers.ovn.mech_driver.mech_driver",
                "update_port_postcommit",
                "neutron/plugins/ml2/drivers/ovn/mech_driver/mech_driver.py",
            ),
            ("neutron.api.rpc.handlers.resources_rpc", "push", "neutron/api/rpc/handlers/resources_rpc.py"),
        ],
    },
    Service {
        unit: "g-api",
        project: "glance",
        modules: &[
            ("glance.api.v2.images", "index", "glance/api/v2/images.py"),
            ("glance.common.wsgi", "__call__", "glance/common/wsgi.py"),
            ("glance_store._drivers.filesystem", "add", "glance_store/_drivers/filesystem.py"),
        ],
    },
    Service {
        unit: "c-vol",
        project: "cinder",
        modules: &[
            ("cinder.volume.manager", "_report_driver_status", "cinder/volume/manager.py"),
            ("cinder.volume.drivers.lvm", "_update_volume_stats", "cinder/volume/drivers/lvm.py"),
            ("oslo_service.periodic_task", "run_periodic_tasks", "oslo_service/periodic_task.py"),
        ],
    },
    Service {
        unit: "placement-api",
        project: "placement",
        modules: &[
            ("placement.requestlog", "__call__", "placement/requestlog.py"),
            (
                "placement.objects.resource_provider",
                "_get_provider_ids_matching",
                "placement/objects/research_context.py",
            ),
        ],
    },
];

const PROJECTS: &[&str] =
    &["nova", "keystone", "glance", "neutron", "cinder", "placement", "horizon", "swift", "requirements"];

const XTRACE_PLACES: &[(&str, &str)] = &[
    ("./stack.sh", "main"),
    ("lib/nova", "configure_nova"),
    ("lib/nova", "start_nova"),
    ("lib/nova", "create_nova_conf"),
    ("lib/keystone", "configure_keystone"),
    ("lib/keystone", "start_keystone"),
    ("lib/glance", "configure_glance"),
    ("lib/neutron", "configure_neutron"),
    ("lib/neutron_plugins/ovn_agent", "configure_ovn"),
    ("lib/cinder", "configure_cinder"),
    ("lib/placement", "configure_placement"),
    ("lib/apache", "write_uwsgi_config"),
    ("lib/database", "recreate_database"),
    ("inc/ini-config", "iniset"),
    ("inc/python", "pip_install"),
    ("inc/python", "setup_develop"),
    ("functions-common", "git_clone"),
    ("functions-common", "is_service_enabled"),
    ("functions-common", "run_process"),
    ("functions-common", "_run_under_systemd"),
    ("functions-common", "get_or_create_project"),
    ("functions-common", "apt_get"),
    ("functions", "wait_for_service"),
];

const PY_PACKAGES: &[(&str, &str)] = &[
    ("oslo.config", "9.6.0"),
    ("oslo.messaging", "14.9.1"),
    ("oslo.db", "16.0.0"),
    ("oslo.log", "6.1.2"),
    ("oslo.policy", "4.4.0"),
    ("keystoneauth1", "5.8.0"),
    ("python-novaclient", "18.7.0"),
    ("SQLAlchemy", "2.0.36"),
    ("eventlet", "0.37.0"),
    ("WebOb", "1.8.9"),
    ("requests", "2.32.3"),
    ("pbr", "6.1.0"),
    ("cryptography", "43.0.3"),
    ("PyYAML", "6.0.2"),
    ("Jinja2", "3.1.4"),
    ("netaddr", "1.3.0"),
    ("stevedore", "5.4.0"),
    ("alembic", "1.14.0"),
    ("pymysql", "1.1.1"),
    ("kombu", "5.4.2"),
];

const DEB_PACKAGES: &[(&str, &str)] = &[
    ("libvirt-daemon-system", "10.0.0-2ubuntu8.5"),
    ("qemu-system-x86", "1:8.2.2+ds-0ubuntu1.4"),
    ("mysql-server-8.0", "8.0.40-0ubuntu0.24.04.1"),
    ("rabbitmq-server", "3.12.1-1ubuntu1"),
    ("apache2", "2.4.58-1ubuntu8.5"),
    ("libapache2-mod-proxy-uwsgi", "2.4.58-1ubuntu8.5"),
    ("python3-dev", "3.12.3-0ubuntu2"),
    ("libssl-dev", "3.0.13-0ubuntu3.4"),
    ("ovn-central", "24.03.2-0ubuntu0.24.04.1"),
    ("openvswitch-switch", "3.3.0-1ubuntu3"),
    ("memcached", "1.6.24-1build3"),
    ("lvm2", "2.03.16-3ubuntu3.1"),
    ("bc", "1.07.1-3ubuntu4"),
    ("gettext", "0.21-14ubuntu2"),
];

const INI_KEYS: &[(&str, &str, &str)] = &[
    ("DEFAULT", "debug", "True"),
    ("DEFAULT", "use_syslog", "False"),
    ("DEFAULT", "my_ip", "10.0.0.5"),
    ("DEFAULT", "transport_url", "rabbit://stackrabbit:secretrabbit@10.0.0.5:5672/"),
    ("database", "connection", "mysql+pymysql://root:secretdatabase@127.0.0.1/nova?charset=utf8"),
    ("keystone_authtoken", "auth_url", "http://10.0.0.5/identity"),
    ("keystone_authtoken", "memcached_servers", "localhost:11211"),
    ("oslo_concurrency", "lock_path", "/opt/stack/data/nova"),
    ("api", "auth_strategy", "keystone"),
    ("placement", "region_name", "RegionOne"),
    ("wsgi", "api_paste_config", "/etc/nova/api-paste.ini"),
    ("oslo_messaging_notifications", "driver", "messagingv2"),
];

const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// ---------------------------------------------------------------------------------------------
// Noise
// ---------------------------------------------------------------------------------------------

/// What a file holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Everything mixed: the stack.sh trace, pip, git, apt, tables and journal lines (one big file).
    Mixed,
    /// A stack.sh trace log: as `Mixed` without journal lines.
    StackLog,
    /// `journalctl -u devstack@<unit>` output.
    Journal(&'static Service),
    /// Apache's `horizon_error.log`.
    Apache,
}

/// Makes the lines of a log, burst by burst (a command and its output, a table, a traceback).
#[derive(Debug)]
pub struct Noise {
    rng: Rng,
    /// Milliseconds since 2026-01-02 10:00:00.000 UTC.
    ms: u64,
    phase: usize,
}

impl Noise {
    /// A line maker for `seed`.
    pub fn new(seed: u64) -> Noise {
        Noise { rng: Rng::new(seed), ms: 0, phase: 0 }
    }

    /// Appends one burst of lines of `kind` to `out`.
    pub fn burst(&mut self, kind: Kind, out: &mut Vec<u8>) {
        match kind {
            Kind::Mixed => {
                if self.rng.chance(22) {
                    let service = self.rng.pick(SERVICES);
                    self.journal(service, out);
                } else {
                    self.stack(out);
                }
            }
            Kind::StackLog => self.stack(out),
            Kind::Journal(service) => self.journal(service, out),
            Kind::Apache => self.apache(out),
        }
    }

    /// Fills `out` with at least `bytes` bytes of whole lines of `kind`.
    pub fn fill(&mut self, kind: Kind, out: &mut Vec<u8>, bytes: usize) {
        while out.len() < bytes {
            self.burst(kind, out);
        }
    }

    fn tick(&mut self) {
        self.ms += self.rng.below(5);
    }

    fn clock(&self) -> (u64, u64, u64, u64, u64) {
        let total = self.ms + 10 * 3_600_000;
        let day = 2 + (total / 86_400_000) % 27;
        let rest = total % 86_400_000;
        (day, rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000)
    }

    /// `tools/outfilter.py`'s prefix.
    fn stamp(&mut self, out: &mut Vec<u8>) {
        self.tick();
        let (day, h, m, s, ms) = self.clock();
        let _ = write!(out, "2026-01-{day:02} {h:02}:{m:02}:{s:02}.{ms:03} | ");
    }

    fn line(&mut self, out: &mut Vec<u8>, text: std::fmt::Arguments<'_>) {
        self.stamp(out);
        let _ = out.write_fmt(text);
        out.push(b'\n');
    }

    fn xtrace(&mut self, out: &mut Vec<u8>, depth: usize, command: std::fmt::Arguments<'_>) {
        let (file, func) = *self.rng.pick(XTRACE_PLACES);
        let lineno = self.rng.range(20, 2400);
        let place = format!("{file}:{func}:{lineno}");
        self.stamp(out);
        out.extend(std::iter::repeat_n(b'+', depth));
        let _ = write!(out, " {place:<40} :   ");
        let _ = out.write_fmt(command);
        out.push(b'\n');
    }

    fn uuid(&mut self) -> String {
        let a = self.rng.next_u64();
        let b = self.rng.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64());
        s.truncate(len);
        s
    }

    // -- stack.sh.log ---------------------------------------------------------------------------

    fn stack(&mut self, out: &mut Vec<u8>) {
        match self.rng.below(100) {
            0..=39 => self.xtrace_commands(out),
            40..=51 => self.iniset(out),
            52..=63 => self.pip(out),
            64..=67 => self.git(out),
            68..=75 => self.apt(out),
            76..=82 => self.openstack_table(out),
            83..=85 => self.summary(out),
            86..=91 => self.service_start(out),
            _ => self.harmless_warning(out),
        }
    }

    fn xtrace_commands(&mut self, out: &mut Vec<u8>) {
        let project = *self.rng.pick(PROJECTS);
        let unit = self.rng.pick(SERVICES).unit;
        match self.rng.below(12) {
            0 => {
                self.xtrace(out, 1, format_args!("is_service_enabled {unit}"));
                self.xtrace(out, 2, format_args!("local enabled=1"));
                self.xtrace(
                    out,
                    2,
                    format_args!("[[ ,key,n-api,n-cpu,n-cond,n-sch,q-svc,g-api,c-vol, =~ ,{unit}, ]]"),
                );
                self.xtrace(out, 2, format_args!("return 0"));
            }
            1 => {
                let var = self.rng.pick(&["NOVA_CONF", "GLANCE_API_CONF", "CINDER_CONF", "NEUTRON_CONF"]);
                self.xtrace(out, 1, format_args!("local {var}=/etc/{project}/{project}.conf"));
            }
            2 => {
                self.xtrace(out, 1, format_args!("[[ -d /opt/stack/{project} ]]"));
                self.xtrace(out, 1, format_args!("sudo install -d -o stack -g stack /etc/{project}"));
            }
            3 => {
                let n = self.rng.range(1, 60);
                self.xtrace(out, 1, format_args!("wait_for_service 60 http://10.0.0.5/{project}"));
                for _ in 0..self.rng.range(1, 3) {
                    self.xtrace(
                        out,
                        3,
                        format_args!("curl -g -k --noproxy '*' -s -o /dev/null -w '%{{http_code}}' http://10.0.0.5/{project}"),
                    );
                    self.xtrace(out, 2, format_args!("[[ 503 == 503 ]]"));
                    self.xtrace(out, 2, format_args!("sleep 1"));
                }
                self.xtrace(out, 2, format_args!("[[ 200 == 503 ]]"));
                self.xtrace(out, 1, format_args!("local elapsed={n}"));
            }
            4 => {
                let id = self.uuid();
                self.xtrace(out, 2, format_args!("openstack --os-cloud devstack-system-admin project create demo --domain=default -f value -c id"));
                self.xtrace(out, 1, format_args!("local project_id={id}"));
                self.xtrace(out, 1, format_args!("echo {id}"));
            }
            5 => {
                self.xtrace(out, 1, format_args!("sudo systemctl daemon-reload"));
                self.xtrace(out, 1, format_args!("sudo systemctl enable devstack@{unit}.service"));
                self.line(out, format_args!("Created symlink /etc/systemd/system/multi-user.target.wants/devstack@{unit}.service → /etc/systemd/system/devstack@{unit}.service."));
                self.xtrace(out, 1, format_args!("sudo systemctl start devstack@{unit}.service"));
            }
            6 => {
                self.xtrace(out, 1, format_args!("time_start run_process"));
                self.xtrace(out, 2, format_args!("local name=run_process"));
                self.xtrace(out, 2, format_args!("local start_time="));
                self.xtrace(out, 2, format_args!("[[ -n '' ]]"));
                let t = self.ms + 1_767_348_000_000;
                self.xtrace(out, 3, format_args!("date +%s%3N"));
                self.xtrace(out, 2, format_args!("_TIME_START[$name]={t}"));
            }
            7 => {
                self.xtrace(out, 1, format_args!("local -a packages"));
                self.xtrace(out, 2, format_args!("grep -v '^#' /opt/stack/devstack/files/debs/{project}"));
                self.xtrace(out, 1, format_args!("is_fedora"));
                self.xtrace(out, 2, format_args!("[[ -z Ubuntu ]]"));
                self.xtrace(out, 2, format_args!("'[' Ubuntu = Fedora ']'"));
            }
            8 => {
                let db = project;
                self.xtrace(out, 1, format_args!("recreate_database {db}"));
                self.xtrace(
                    out,
                    2,
                    format_args!(
                        "mysql -uroot -psecretdatabase -h127.0.0.1 -e 'DROP DATABASE IF EXISTS {db};'"
                    ),
                );
                self.line(
                    out,
                    format_args!(
                        "mysql: [Warning] Using a password on the command line interface can be insecure."
                    ),
                );
                self.xtrace(out, 2, format_args!("mysql -uroot -psecretdatabase -h127.0.0.1 -e 'CREATE DATABASE {db} CHARACTER SET utf8;'"));
                self.line(
                    out,
                    format_args!(
                        "mysql: [Warning] Using a password on the command line interface can be insecure."
                    ),
                );
            }
            9 => {
                self.xtrace(out, 1, format_args!("local service_port=8774"));
                self.xtrace(out, 1, format_args!("local service_protocol=http"));
                self.xtrace(out, 1, format_args!("is_service_enabled tls-proxy"));
                self.xtrace(out, 2, format_args!("return 1"));
            }
            10 => {
                self.xtrace(out, 1, format_args!("async_runfunc create_{project}_accounts"));
                let pid = self.rng.range(30_000, 90_000);
                self.line(
                    out,
                    format_args!(
                        "[{pid} Async create_{project}_accounts:{}]: running: create_{project}_accounts",
                        pid + 3
                    ),
                );
                self.line(
                    out,
                    format_args!(
                        "[{pid} Async create_{project}_accounts:{}]: finished successfully",
                        pid + 3
                    ),
                );
            }
            _ => {
                self.xtrace(out, 1, format_args!("[[ -f /opt/stack/devstack/files/{project}.conf ]]"));
                self.xtrace(
                    out,
                    1,
                    format_args!("cp -p /opt/stack/{project}/etc/{project}/api-paste.ini /etc/{project}"),
                );
            }
        }
    }

    fn iniset(&mut self, out: &mut Vec<u8>) {
        let project = *self.rng.pick(&["nova", "glance", "cinder", "neutron", "keystone", "placement"]);
        let (section, key, value) = *self.rng.pick(INI_KEYS);
        self.xtrace(out, 1, format_args!("iniset /etc/{project}/{project}.conf {section} {key} {value}"));
        self.xtrace(out, 2, format_args!("local xtrace"));
        self.xtrace(out, 2, format_args!("local sudo="));
        self.xtrace(out, 2, format_args!("local file=/etc/{project}/{project}.conf"));
        self.xtrace(out, 2, format_args!("local section={section}"));
        self.xtrace(out, 2, format_args!("local option={key}"));
        self.xtrace(out, 2, format_args!("local value={value}"));
        self.xtrace(out, 2, format_args!("[[ -z {section} ]]"));
        self.xtrace(out, 2, format_args!("ini_has_option /etc/{project}/{project}.conf {section} {key}"));
        self.xtrace(out, 3, format_args!("grep -c '^\\[{section}\\]' /etc/{project}/{project}.conf"));
    }

    fn pip(&mut self, out: &mut Vec<u8>) {
        let project = *self.rng.pick(&["nova", "keystone", "glance", "neutron", "cinder", "placement"]);
        let dev = self.rng.range(1, 90);
        self.xtrace(out, 1, format_args!("sudo -H LC_ALL=en_US.UTF-8 SETUPTOOLS_USE_DISTUTILS=stdlib http_proxy= https_proxy= no_proxy= PIP_FIND_LINKS= /opt/stack/data/venv/bin/pip install -c /opt/stack/requirements/upper-constraints.txt -e /opt/stack/{project}"));
        self.line(out, format_args!("Obtaining file:///opt/stack/{project}"));
        self.line(out, format_args!("  Installing build dependencies: started"));
        self.line(out, format_args!("  Installing build dependencies: finished with status 'done'"));
        self.line(out, format_args!("  Checking if build backend supports build_editable: started"));
        self.line(
            out,
            format_args!("  Checking if build backend supports build_editable: finished with status 'done'"),
        );
        self.line(out, format_args!("  Preparing editable metadata (pyproject.toml): started"));
        self.line(
            out,
            format_args!("  Preparing editable metadata (pyproject.toml): finished with status 'done'"),
        );
        let count = self.rng.range(3, 14);
        let mut installed = Vec::new();
        for _ in 0..count {
            let (name, version) = *self.rng.pick(PY_PACKAGES);
            if self.rng.chance(65) {
                self.line(out, format_args!("Requirement already satisfied: {name}>={version} in /opt/stack/data/venv/lib/python3.12/site-packages (from {project}==31.1.0.dev{dev}) ({version})"));
            } else {
                let kb = self.rng.range(12, 2400);
                let file = name.replace('-', "_");
                self.line(
                    out,
                    format_args!("Collecting {name}>={version} (from {project}==31.1.0.dev{dev})"),
                );
                self.line(
                    out,
                    format_args!(
                        "  Downloading {file}-{version}-py3-none-any.whl.metadata (2.{} kB)",
                        kb % 10
                    ),
                );
                self.line(out, format_args!("Downloading {file}-{version}-py3-none-any.whl ({kb} kB)"));
                self.line(
                    out,
                    format_args!(
                        "   ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ {kb}.0/{kb}.0 kB 9.8 MB/s eta 0:00:00"
                    ),
                );
                installed.push(format!("{name}-{version}"));
            }
        }
        self.line(out, format_args!("Building wheels for collected packages: {project}"));
        self.line(out, format_args!("  Building editable for {project} (pyproject.toml): started"));
        self.line(
            out,
            format_args!("  Building editable for {project} (pyproject.toml): finished with status 'done'"),
        );
        let size = self.rng.range(9000, 60_000);
        let sha = self.hex(64);
        self.line(out, format_args!("  Created wheel for {project}: filename={project}-31.1.0.dev{dev}-0.editable-py3-none-any.whl size={size} sha256={sha}"));
        let tmp = self.hex(8);
        let wheel = self.hex(40);
        self.line(
            out,
            format_args!("  Stored in directory: /tmp/pip-ephem-wheel-cache-{tmp}/wheels/7a/3c/{wheel}"),
        );
        self.line(out, format_args!("Successfully built {project}"));
        installed.push(format!("{project}-31.1.0.dev{dev}"));
        self.line(out, format_args!("Installing collected packages: {}", installed.join(", ")));
        self.line(out, format_args!("  Attempting uninstall: {project}"));
        self.line(
            out,
            format_args!("    Found existing installation: {project} 31.1.0.dev{}", dev.saturating_sub(1)),
        );
        self.line(out, format_args!("    Uninstalling {project}-31.1.0.dev{}:", dev.saturating_sub(1)));
        self.line(
            out,
            format_args!("      Successfully uninstalled {project}-31.1.0.dev{}", dev.saturating_sub(1)),
        );
        self.line(out, format_args!("Successfully installed {}", installed.join(" ")));
    }

    fn git(&mut self, out: &mut Vec<u8>) {
        let project = *self.rng.pick(PROJECTS);
        self.xtrace(out, 1, format_args!("git_timed clone https://opendev.org/openstack/{project}.git /opt/stack/{project} --branch master"));
        self.xtrace(out, 2, format_args!("timeout -s SIGINT 0 git clone https://opendev.org/openstack/{project}.git /opt/stack/{project} --branch master"));
        self.line(out, format_args!("Cloning into '/opt/stack/{project}'..."));
        self.xtrace(out, 1, format_args!("cd /opt/stack/{project}"));
        self.xtrace(out, 1, format_args!("git show --oneline"));
        let sha = self.hex(10);
        self.line(out, format_args!("{sha} Merge \"Remove deprecated option from sample config\""));
        self.xtrace(out, 1, format_args!("head -1"));
        self.xtrace(out, 1, format_args!("cd /opt/stack/devstack"));
    }

    fn apt(&mut self, out: &mut Vec<u8>) {
        let n = self.rng.range(1, 5) as usize;
        let mut chosen = Vec::new();
        for _ in 0..n {
            chosen.push(*self.rng.pick(DEB_PACKAGES));
        }
        let names: Vec<&str> = chosen.iter().map(|(p, _)| *p).collect();
        self.xtrace(out, 1, format_args!("sudo DEBIAN_FRONTEND=noninteractive http_proxy= https_proxy= no_proxy= apt-get --option Dpkg::Options::=--force-confold --assume-yes install {}", names.join(" ")));
        self.line(out, format_args!("Reading package lists..."));
        self.line(out, format_args!("Building dependency tree..."));
        self.line(out, format_args!("Reading state information..."));
        self.line(out, format_args!("The following NEW packages will be installed:"));
        self.line(out, format_args!("  {}", names.join(" ")));
        self.line(out, format_args!("0 upgraded, {n} newly installed, 0 to remove and 12 not upgraded."));
        let kb = self.rng.range(100, 90_000);
        self.line(out, format_args!("Need to get {kb} kB of archives."));
        self.line(
            out,
            format_args!("After this operation, {} kB of additional disk space will be used.", kb * 3),
        );
        for (i, (pkg, ver)) in chosen.iter().enumerate() {
            let size = self.rng.range(10, 9000);
            self.line(out, format_args!("Get:{} http://archive.ubuntu.com/ubuntu noble-updates/main amd64 {pkg} amd64 {ver} [{size} kB]", i + 1));
        }
        self.line(out, format_args!("Fetched {kb} kB in 1s ({} kB/s)", kb / 2 + 1));
        for (pkg, ver) in &chosen {
            let files = self.rng.range(90_000, 200_000);
            self.line(out, format_args!("Selecting previously unselected package {pkg}."));
            self.line(
                out,
                format_args!("(Reading database ... {files} files and directories currently installed.)"),
            );
            self.line(
                out,
                format_args!("Preparing to unpack .../{pkg}_{}_amd64.deb ...", ver.replace(':', "%3a")),
            );
            self.line(out, format_args!("Unpacking {pkg} ({ver}) ..."));
        }
        for (pkg, ver) in &chosen {
            self.line(out, format_args!("Setting up {pkg} ({ver}) ..."));
        }
        self.line(out, format_args!("Processing triggers for man-db (2.12.0-4build2) ..."));
        self.line(out, format_args!("Processing triggers for libc-bin (2.39-0ubuntu8.3) ..."));
    }

    fn openstack_table(&mut self, out: &mut Vec<u8>) {
        let id = self.uuid();
        let name = *self.rng.pick(&["demo", "alt_demo", "service", "invisible_to_admin", "admin"]);
        let desc = *self.rng.pick(&["", "Service project", "Demo project"]);
        self.xtrace(
            out,
            1,
            format_args!("openstack --os-cloud devstack-system-admin project create {name} --domain default"),
        );
        let rule = "+-------------+----------------------------------+";
        self.line(out, format_args!("{rule}"));
        self.line(out, format_args!("| Field       | Value                            |"));
        self.line(out, format_args!("{rule}"));
        self.line(out, format_args!("| description | {desc:<32} |"));
        self.line(out, format_args!("| domain_id   | default                          |"));
        self.line(out, format_args!("| enabled     | True                             |"));
        self.line(out, format_args!("| id          | {:<32} |", id.replace('-', "")));
        self.line(out, format_args!("| is_domain   | False                            |"));
        self.line(out, format_args!("| name        | {name:<32} |"));
        self.line(out, format_args!("| options     | {{}}                               |"));
        self.line(out, format_args!("| parent_id   | default                          |"));
        self.line(out, format_args!("| tags        | []                               |"));
        self.line(out, format_args!("{rule}"));
        if self.rng.chance(40) {
            let rule = "+--------------------------------------+-----------+-------+------+-----------+-------+-----------+";
            self.xtrace(out, 1, format_args!("openstack --os-cloud devstack-admin flavor list"));
            self.line(out, format_args!("{rule}"));
            self.line(out, format_args!("| ID                                   | Name      |   RAM | Disk | Ephemeral | VCPUs | Is Public |"));
            self.line(out, format_args!("{rule}"));
            for (flavor, ram, disk, vcpus) in
                [("m1.tiny", 512, 1, 1), ("m1.small", 2048, 20, 1), ("m1.medium", 4096, 40, 2)]
            {
                let fid = self.uuid();
                self.line(
                    out,
                    format_args!(
                        "| {fid} | {flavor:<9} | {ram:>5} | {disk:>4} |         0 | {vcpus:>5} | True      |"
                    ),
                );
            }
            self.line(out, format_args!("{rule}"));
        }
    }

    fn summary(&mut self, out: &mut Vec<u8>) {
        let phase = KNOWN_PHASES[self.phase % KNOWN_PHASES.len()];
        self.phase += 1;
        self.xtrace(out, 1, format_args!("echo_summary '{phase}'"));
        self.xtrace(out, 2, format_args!("[[ -t 3 ]]"));
        self.xtrace(out, 2, format_args!("[[ True != \\T\\r\\u\\e ]]"));
        self.xtrace(out, 2, format_args!("echo -e {phase}"));
    }

    fn service_start(&mut self, out: &mut Vec<u8>) {
        let service = self.rng.pick(SERVICES);
        let unit = service.unit;
        let project = service.project;
        self.xtrace(out, 1, format_args!("run_process {unit} '/opt/stack/data/venv/bin/uwsgi --procname-prefix {project} --ini /etc/{project}/{unit}-uwsgi.ini' '' ''"));
        self.xtrace(out, 2, format_args!("local service={unit}"));
        self.xtrace(out, 2, format_args!("local systemd_service=devstack@{unit}.service"));
        self.xtrace(out, 2, format_args!("write_uwsgi_user_unit_file devstack@{unit}.service '/opt/stack/data/venv/bin/uwsgi --ini /etc/{project}/{unit}-uwsgi.ini' '' stack"));
        self.xtrace(out, 3, format_args!("local unitfile=/etc/systemd/system/devstack@{unit}.service"));
        self.xtrace(out, 3, format_args!("mkdir -p /etc/systemd/system"));
        self.xtrace(out, 3, format_args!("iniset -sudo /etc/systemd/system/devstack@{unit}.service Service SyslogIdentifier devstack@{unit}.service"));
        self.xtrace(out, 2, format_args!("sudo systemctl start devstack@{unit}.service"));
        if self.rng.chance(30) {
            // service_check runs for every unit; units that never existed print this harmless line.
            self.line(out, format_args!("Failed to get unit file state for devstack@{unit}-legacy.service: No such file or directory"));
        }
    }

    fn harmless_warning(&mut self, out: &mut Vec<u8>) {
        match self.rng.below(7) {
            0 => self.line(out, format_args!("WARNING: Running pip as the 'root' user can result in broken permissions and conflicting behaviour with the system package manager, possibly rendering your system unusable. It is recommended to use a virtual environment instead: https://pip.pypa.io/warnings/venv. Use the --root-user-action option if you know what you are doing and want to suppress this warning.")),
            1 => {
                let (name, version) = *self.rng.pick(PY_PACKAGES);
                self.line(out, format_args!("WARNING: The script {} is installed in '/usr/local/bin' which is not on PATH.", name.to_lowercase()));
                self.line(out, format_args!("  Consider adding this directory to PATH or, if you prefer to suppress this warning, use --no-warn-script-location. ({version})"));
            }
            2 => self.line(out, format_args!("W: http://ppa.launchpad.net/ubuntu-cloud-archive/ubuntu/dists/noble/InRelease: Key is stored in legacy trusted.gpg keyring (/etc/apt/trusted.gpg), see the DEPRECATION section in apt-key(8) for details.")),
            3 => {
                let project = *self.rng.pick(PROJECTS);
                self.line(out, format_args!("DEPRECATION: Legacy editable install of {project} (setup.py develop) is deprecated. pip 25.1 will enforce this behaviour change."));
            }
            4 => {
                let (parent, child) = (self.rng.range(3000, 9000), self.rng.range(3000, 9000));
                self.line(out, format_args!("[{parent} Async configure_horizon:{child}]: Waiting for completion of configure_horizon running on PID {child} (2 other jobs running)"));
            }
            5 => self.line(out, format_args!("WARNING: apt does not have a stable CLI interface. Use with caution in scripts.")),
            _ => {
                // pip's resolver complains after almost every install in a DevStack venv; harmless.
                self.line(out, format_args!("ERROR: pip's dependency resolver does not currently take into account all the packages that are installed. This behaviour is the source of the following dependency conflicts."));
                let (name, version) = *self.rng.pick(PY_PACKAGES);
                self.line(out, format_args!("python-openstackclient 7.2.1 requires {name}>={version}, but you have {name} 0.{version} which is incompatible."));
            }
        }
    }

    /// How a failed run's trace ends when a command inside a function fails: the EXIT trap's xtrace,
    /// `Error on exit` and the world dump (`shared/DEVSTACK.md` §1.4), with no rule-specific message.
    pub fn failure_tail(&mut self, out: &mut Vec<u8>) {
        let commands: [(u64, &str); 12] = [
            (523, "local r=1"),
            (524, "jobs -p"),
            (524, "jobs="),
            (527, "[[ -n '' ]]"),
            (533, "'[' -f /tmp/tmp.Xb3KqLw2 ']'"),
            (538, "kill_spinner"),
            (539, "'[' '!' -z '' ']'"),
            (545, "[[ 1 -ne 0 ]]"),
            (546, "echo 'Error on exit'"),
            (548, "type -p generate-subunit"),
            (549, "generate-subunit 1767348000 14400 fail"),
            (
                554,
                "/opt/stack/data/venv/bin/python3 /opt/stack/devstack/tools/worlddump.py -d /opt/stack/logs",
            ),
        ];
        for (lineno, command) in commands {
            let place = format!("./stack.sh:exit_trap:{lineno}");
            self.stamp(out);
            let _ = writeln!(out, "+ {place:<40} :   {command}");
            if lineno == 546 {
                self.line(out, format_args!("Error on exit"));
            }
        }
        let (day, h, m, s, _) = self.clock();
        self.line(
            out,
            format_args!("World dumping... see /opt/stack/logs/worlddump-2026-01-{day:02}-{h:02}{m:02}{s:02}.txt for details"),
        );
        self.stamp(out);
        let _ = writeln!(out, "+ {:<40} :   exit 1", "./stack.sh:exit_trap:563");
    }

    // -- the journal ----------------------------------------------------------------------------

    fn journal_prefix(&mut self, out: &mut Vec<u8>, unit: &str, pid: u64) {
        self.tick();
        let (day, h, m, s, _) = self.clock();
        let _ = write!(
            out,
            "{} {day:02} {h:02}:{m:02}:{s:02} devstack devstack@{unit}.service[{pid}]: ",
            MONTHS[0]
        );
    }

    fn journal(&mut self, service: &Service, out: &mut Vec<u8>) {
        let pid = 40_000 + self.rng.below(20) * 97;
        let (module, func, file) = *self.rng.pick(service.modules);
        let project = service.project;
        let unit = service.unit;
        let req = self.uuid();
        let context =
            if self.rng.chance(70) { format!("None req-{req} admin admin") } else { "-".to_string() };
        let lineno = self.rng.range(40, 3200);
        let suffix = if file.starts_with("oslo") || file.starts_with("glance_store") {
            format!("{{{{(pid={pid}) {func} /opt/stack/data/venv/lib/python3.12/site-packages/{file}:{lineno}}}}}")
        } else {
            format!("{{{{(pid={pid}) {func} /opt/stack/{project}/{file}:{lineno}}}}}")
        };
        match self.rng.below(100) {
            0..=54 => {
                let message = match self.rng.below(6) {
                    0 => format!("Lock \"compute_resources\" acquired by \"nova.compute.resource_tracker.ResourceTracker._update_available_resource\" :: waited 0.00{}s", self.rng.below(10)),
                    1 => format!("Lock \"compute_resources\" \"released\" by \"nova.compute.resource_tracker.ResourceTracker._update_available_resource\" :: held 0.0{}s", self.rng.range(10, 99)),
                    2 => "Running periodic task ComputeManager._poll_rebooting_instances".to_string(),
                    3 => format!("Calling method '<bound method Versions.index of <{module}.Versions object at 0x7f{}>>'", self.hex(10)),
                    4 => {
                        let (section, key, value) = *self.rng.pick(INI_KEYS);
                        let value = if key == "connection" || key == "transport_url" { "****" } else { value };
                        format!("{section}.{key:<30} = {value}")
                    }
                    _ => format!("Acquiring lock \"{}\" by \"{module}.{func}\"", self.uuid()),
                };
                self.journal_prefix(out, unit, pid);
                let _ = writeln!(out, "DEBUG {module} [{context}] {message} {suffix}");
            }
            55..=84 => {
                let message = match self.rng.below(4) {
                    0 => format!("10.0.0.5 \"GET /{project}/v2.1/servers/detail HTTP/1.1\" status: 200 len: {} microversion: 2.1 time: 0.{:06}", self.rng.range(200, 9000), self.rng.below(1_000_000)),
                    1 => format!("[instance: {}] Took {}.{} seconds to spawn the instance on the hypervisor.", self.uuid(), self.rng.range(2, 30), self.rng.below(100)),
                    2 => format!("10.0.0.5 \"POST /v3/auth/tokens HTTP/1.1\" status: 201 len: {} time: 0.0{}", self.rng.range(1000, 6000), self.rng.range(10_000, 99_999)),
                    _ => format!("Compute node record created for devstack:devstack with uuid: {}", self.uuid()),
                };
                self.journal_prefix(out, unit, pid);
                let _ = writeln!(out, "INFO {module} [{context}] {message}");
            }
            85..=95 => {
                let message = match self.rng.below(5) {
                    0 => "Deprecated: Option \"auth_strategy\" from group \"api\" is deprecated for removal (The only non-default choice, ``noauth2``, is for internal development and testing purposes only and should not be used in deployments. This option and its middleware, NoAuthMiddleware[V2_18], will be removed in a future release.).  Its value may be silently ignored in the future.".to_string(),
                    1 => "AuthToken middleware is set with keystone_authtoken.service_token_roles_required set to False. This is backwards compatible but deprecated behaviour. Please set this to True.".to_string(),
                    2 => "JSON formatted policy_file support is deprecated since Victoria release. You need to use YAML format which will be default in future. You can use ``oslopolicy-convert-json-to-yaml`` tool to convert existing JSON-formatted policy file to YAML-formatted in backward compatible way: https://docs.openstack.org/oslo.policy/latest/cli/oslopolicy-convert-json-to-yaml.html.".to_string(),
                    3 => "While synchronizing instance power states, found 1 instances in the database and 0 instances on the hypervisor.".to_string(),
                    _ => format!("Policy check for os_compute_api:servers:show failed with credentials {{'user_id': '{}', 'project_id': '{}'}}", self.hex(32), self.hex(32)),
                };
                let logger = if self.rng.chance(50) { "oslo_config.cfg" } else { module };
                self.journal_prefix(out, unit, pid);
                let _ = writeln!(out, "WARNING {logger} [{context}] {message}");
            }
            _ => self.journal_traceback(out, unit, pid, project, &context),
        }
    }

    /// An error that tempest's negative tests cause on purpose: logged with its traceback, and no
    /// sign of a broken deployment.
    fn journal_traceback(&mut self, out: &mut Vec<u8>, unit: &str, pid: u64, project: &str, context: &str) {
        let id = self.uuid();
        let logger = "oslo_messaging.rpc.server";
        let lines: Vec<String> = vec![
            format!("ERROR {logger} [{context}] Exception during message handling: {project}.exception.InstanceNotFound: Instance {id} could not be found."),
            format!("ERROR {logger} Traceback (most recent call last):"),
            format!("ERROR {logger}   File \"/opt/stack/data/venv/lib/python3.12/site-packages/oslo_messaging/rpc/server.py\", line 174, in _process_incoming"),
            format!("ERROR {logger}     res = self.dispatcher.dispatch(message)"),
            format!("ERROR {logger}   File \"/opt/stack/{project}/{project}/compute/manager.py\", line {}, in get_console_output", self.rng.range(100, 11_000)),
            format!("ERROR {logger}     instance = objects.Instance.get_by_uuid(context, instance_uuid)"),
            format!("ERROR {logger} {project}.exception.InstanceNotFound: Instance {id} could not be found."),
            format!("ERROR {logger} "),
        ];
        for line in lines {
            self.journal_prefix(out, unit, pid);
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }

    // -- Apache ---------------------------------------------------------------------------------

    fn apache(&mut self, out: &mut Vec<u8>) {
        self.tick();
        let (day, h, m, s, ms) = self.clock();
        let pid = self.rng.range(2000, 9000);
        let tid = 140_000_000_000 + self.rng.below(1_000_000);
        let stamp =
            format!("[Fri Jan {day:02} {h:02}:{m:02}:{s:02}.{ms:03}{:03} 2026]", self.rng.below(1000));
        let remote = format!("[remote 10.0.0.1:{}]", self.rng.range(30_000, 60_000));
        let _ = match self.rng.below(5) {
            0 => writeln!(out, "{stamp} [wsgi:error] [pid {pid}:tid {tid}] {remote} INFO openstack_auth.forms Login successful for user \"admin\" using domain \"Default\", remote address 10.0.0.1."),
            1 => writeln!(out, "{stamp} [wsgi:error] [pid {pid}:tid {tid}] {remote} WARNING py.warnings /opt/stack/horizon/openstack_dashboard/settings.py:{}: RemovedInDjango60Warning: The default scheme will be changed from 'http' to 'https' in Django 6.0.", self.rng.range(20, 400)),
            2 => writeln!(out, "{stamp} [mpm_event:notice] [pid {pid}:tid {tid}] AH00489: Apache/2.4.58 (Ubuntu) mod_wsgi/5.0.0 Python/3.12 configured -- resuming normal operations"),
            3 => writeln!(out, "{stamp} [core:notice] [pid {pid}:tid {tid}] AH00094: Command line: '/usr/sbin/apache2'"),
            _ => writeln!(out, "{stamp} [wsgi:error] [pid {pid}:tid {tid}] {remote} INFO openstack_auth.views Logging out user \"admin\"."),
        };
    }
}

// ---------------------------------------------------------------------------------------------
// Planted failures
// ---------------------------------------------------------------------------------------------

/// A failure excerpt ready to plant: the log of a rule's `match` test.
#[derive(Debug, Clone)]
pub struct Plant {
    /// The rule it makes fire.
    pub rule: String,
    /// The excerpt (whole lines, ending in `\n`).
    pub text: Vec<u8>,
    /// 0-based line, within the excerpt, of the rule's first hit.
    pub hit_line: u64,
}

/// Why `match` tests were not plantable.
#[derive(Debug, Default, Clone)]
pub struct Skipped {
    /// Rules with `[[when]]` conditions on facts other than `run.status` (host facts, the phase).
    pub fact_rules: usize,
    /// The generic fallback rule.
    pub fallback_rules: usize,
    /// `match` tests that supply facts other than `run.status = "failed"`.
    pub tests_with_facts: usize,
    /// `match` tests whose excerpt does not fire its rule in a file of this name.
    pub tests_not_firing: usize,
}

/// The `match` test excerpts that make their rule fire on their own when they sit in a file called
/// `file_name` found by walking a directory (so the rules' `files` globs apply), in a run that
/// failed. They fire there whatever surrounds them, as long as the surroundings fire nothing (the
/// noise above does not) and the run is seen to fail (the corpus ends with `Noise::failure_tail`),
/// and they also fire in a file named on the command line, where every signature applies.
pub fn plantable(matcher: &Matcher<'_>, file_name: &str) -> (Vec<Plant>, Skipped) {
    let mut plants = Vec::new();
    let mut skipped = Skipped::default();
    let role = input::role_of(file_name);
    // The corpus ends like a failed run (see `Noise::failure_tail`), so excerpts are tried in a run
    // that failed.
    let failed_value = FactValue::Str("failed".into());
    let failed: Facts = std::iter::once(("run.status".to_string(), failed_value.clone())).collect();
    for rule in &matcher.rules.rules {
        if rule.fallback {
            skipped.fallback_rules += 1;
            continue;
        }
        if rule.conditions.iter().any(|c| c.fact != "run.status") {
            skipped.fact_rules += 1;
            continue;
        }
        for test in rule.tests.iter().filter(|t| t.expect_match) {
            if test.facts.iter().any(|(key, value)| (key.as_str(), value) != ("run.status", &failed_value)) {
                skipped.tests_with_facts += 1;
                continue;
            }
            let mut text = test.log.clone().into_bytes();
            if !text.ends_with(b"\n") {
                text.push(b'\n');
            }
            let mut scanner = SourceScanner::new(matcher, file_name, file_name, false, role);
            scanner.chunk(&text);
            let scan = scanner.finish();
            let evaluation =
                evaluate(matcher, std::slice::from_ref(&scan), &failed, EvalOptions { include_info: true });
            let hit = evaluation
                .findings
                .iter()
                .find(|f| f.rule_id == rule.id)
                .and_then(|f| f.evidence.iter().map(|e| e.line).filter(|l| *l > 0).min());
            match hit {
                Some(line) => plants.push(Plant { rule: rule.id.clone(), text, hit_line: line - 1 }),
                None => skipped.tests_not_firing += 1,
            }
        }
    }
    (plants, skipped)
}

/// Picks which excerpt goes where: every rule once (in a random order) before any rule twice.
#[derive(Debug)]
pub struct Planter {
    order: Vec<String>,
    planted: BTreeMap<String, u64>,
}

impl Planter {
    /// A planter over the rules of `plants`, in an order drawn from `rng`.
    pub fn new(plants: &[Plant], rng: &mut Rng) -> Planter {
        let mut order: Vec<String> = plants.iter().map(|p| p.rule.clone()).collect();
        order.dedup();
        rng.shuffle(&mut order);
        Planter { order, planted: BTreeMap::new() }
    }

    /// The next excerpt, among `candidates` (those that fit the file at hand).
    pub fn next<'p>(&mut self, candidates: &'p [Plant], rng: &mut Rng) -> Option<&'p Plant> {
        if candidates.is_empty() {
            return None;
        }
        let fresh = self
            .order
            .iter()
            .find(|id| !self.planted.contains_key(*id) && candidates.iter().any(|p| &p.rule == *id));
        let rule = match fresh {
            Some(id) => id.clone(),
            None => rng.pick(candidates).rule.clone(),
        };
        let tests: Vec<&Plant> = candidates.iter().filter(|p| p.rule == rule).collect();
        let plant = *rng.pick(&tests);
        *self.planted.entry(rule).or_default() += 1;
        Some(plant)
    }

    /// How often each rule was planted.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.planted
    }
}

/// Loads the built-in rules; problems in them are an error (the corpus would not match the binary).
pub fn builtin_rules() -> Result<RuleSet, String> {
    let (rules, problems) = RuleSet::load(&sources::embedded());
    if let Some(first) = problems.first() {
        return Err(format!("the built-in rules have {} problem(s), the first: {first}", problems.len()));
    }
    Ok(rules)
}

/// An in-memory log of about `bytes` bytes of `kind`, with every plantable excerpt planted once
/// at a random place and the end of a failed run (for the criterion benchmark).
pub fn buffer_with_plants(matcher: &Matcher<'_>, kind: Kind, name: &str, bytes: usize, seed: u64) -> Vec<u8> {
    let (plants, _) = plantable(matcher, name);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut planter = Planter::new(&plants, &mut rng);
    let count = planter.order.len() as u64;
    let mut offsets: Vec<u64> = (0..count).map(|_| rng.below(bytes as u64)).collect();
    offsets.sort_unstable();
    let mut noise = Noise::new(seed);
    let mut out = Vec::with_capacity(bytes + (1 << 16));
    for offset in offsets {
        noise.fill(kind, &mut out, offset as usize);
        if let Some(plant) = planter.next(&plants, &mut rng) {
            out.extend_from_slice(&plant.text);
        }
    }
    noise.fill(kind, &mut out, bytes);
    noise.failure_tail(&mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Writing the corpus
// ---------------------------------------------------------------------------------------------

struct Options {
    size: u64,
    out: PathBuf,
    files: usize,
    seed: u64,
    gzip: bool,
    plant: Option<u64>,
    force: bool,
}

const USAGE: &str =
    "usage: gen-corpus --size SIZE --out DIR [--files N] [--seed S] [--gzip] [--plant N] [--force]
  --size SIZE   total uncompressed bytes, e.g. 1GiB, 256MiB, 100KiB or 4096
  --out DIR     where to write (outside the repository); must be empty unless --force
  --files N     number of files (default 1: DIR/stack.sh.log; more: DIR/run-NNN/...)
  --seed S      seed of the random generator (default 1)
  --gzip        gzip every file (\".gz\" is appended to its name)
  --plant N     number of failure excerpts to plant (default: one per plantable rule)
  --force       write into a non-empty DIR (files with the same names are overwritten)";

fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 =
        digits.parse().map_err(|_| format!("`{text}` is not a size (try 1GiB, 256MiB, 100KiB)"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}` in `{text}` (use KiB, MiB or GiB)")),
    };
    number.checked_mul(scale).ok_or_else(|| format!("size `{text}` is too large"))
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut size = None;
    let mut out = None;
    let mut options =
        Options { size: 0, out: PathBuf::new(), files: 1, seed: 1, gzip: false, plant: None, force: false };
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let mut value = || -> Result<&String, String> {
            i += 1;
            args.get(i).ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--size" => size = Some(parse_size(value()?)?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--files" => {
                let v = value()?;
                options.files = v.parse().map_err(|_| format!("--files: `{v}` is not a number"))?;
                if options.files == 0 {
                    return Err("--files must be at least 1".into());
                }
            }
            "--seed" => {
                let v = value()?;
                options.seed = v.parse().map_err(|_| format!("--seed: `{v}` is not a number"))?;
            }
            "--plant" => {
                let v = value()?;
                options.plant = Some(v.parse().map_err(|_| format!("--plant: `{v}` is not a number"))?);
            }
            "--gzip" => options.gzip = true,
            "--force" => options.force = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
        i += 1;
    }
    options.size = size.ok_or("--size is required")?;
    options.out = out.ok_or("--out is required")?;
    Ok(options)
}

/// One file of the corpus.
struct FileSpec {
    /// Path relative to the output directory (without `.gz`).
    rel: String,
    kind: Kind,
    bytes: u64,
}

/// The files: one mixed `stack.sh.log`, or runs of eight files like a CI job's logs.
fn layout(size: u64, files: usize) -> Vec<FileSpec> {
    if files == 1 {
        return vec![FileSpec { rel: "stack.sh.log".into(), kind: Kind::Mixed, bytes: size }];
    }
    // (name, kind, weight): service journals and the trace log are big, Horizon's error log small.
    let service = |unit: &str| SERVICES.iter().find(|s| s.unit == unit).expect("unit is in SERVICES");
    let run: Vec<(String, Kind, u64)> = vec![
        (String::new(), Kind::StackLog, 8),
        ("screen-keystone.txt".into(), Kind::Journal(service("keystone")), 3),
        ("screen-n-api.txt".into(), Kind::Journal(service("n-api")), 4),
        ("screen-n-cpu.txt".into(), Kind::Journal(service("n-cpu")), 6),
        ("screen-q-svc.txt".into(), Kind::Journal(service("q-svc")), 6),
        ("screen-g-api.txt".into(), Kind::Journal(service("g-api")), 3),
        ("screen-c-vol.txt".into(), Kind::Journal(service("c-vol")), 3),
        ("horizon_error.log".into(), Kind::Apache, 1),
    ];
    let mut specs: Vec<(String, Kind, u64)> = Vec::new();
    for index in 0..files {
        let (name, kind, weight) = &run[index % run.len()];
        let job = index / run.len();
        let name = if name.is_empty() {
            format!("stack.sh.log.2026-01-{:02}-{:02}0000", 2 + job % 27, job % 24)
        } else {
            name.clone()
        };
        specs.push((format!("run-{job:03}/{name}"), *kind, *weight));
    }
    let total_weight: u64 = specs.iter().map(|s| s.2).sum();
    specs
        .into_iter()
        .map(|(rel, kind, weight)| FileSpec { rel, kind, bytes: size * weight / total_weight })
        .collect()
}

/// Where bytes go: a buffered file, gzip-compressed or not.
enum Sink {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
}

impl Sink {
    fn create(path: &Path, gzip: bool) -> io::Result<Sink> {
        let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
        Ok(if gzip {
            Sink::Gzip(flate2::write::GzEncoder::new(file, flate2::Compression::default()))
        } else {
            Sink::Plain(file)
        })
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(bytes),
            Sink::Gzip(w) => w.write_all(bytes),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush(),
            Sink::Gzip(w) => w.finish()?.flush(),
        }
    }
}

fn lines_in(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

fn run(options: &Options) -> Result<(), String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let absolute = std::path::absolute(&options.out)
        .map_err(|e| format!("cannot resolve {}: {e}", options.out.display()))?;
    if absolute.starts_with(repo) && !absolute.starts_with(repo.join("target")) {
        return Err(format!(
            "refusing to write the corpus inside the repository ({}); use a directory such as /tmp/dd-corpus",
            absolute.display()
        ));
    }
    fs::create_dir_all(&options.out).map_err(|e| format!("cannot create {}: {e}", options.out.display()))?;
    let non_empty = fs::read_dir(&options.out)
        .map_err(|e| format!("cannot read {}: {e}", options.out.display()))?
        .next()
        .is_some();
    if non_empty && !options.force {
        return Err(format!("{} is not empty; remove it or pass --force", options.out.display()));
    }

    let rules = builtin_rules()?;
    let matcher = Matcher::new(&rules).map_err(|e| format!("cannot compile the built-in rules: {e}"))?;
    let specs = layout(options.size, options.files);
    let mut rng = Rng::new(options.seed);

    // Excerpts that fire in each file, by file name (the globs see only the name and the path).
    let mut by_name: BTreeMap<String, Vec<Plant>> = BTreeMap::new();
    let mut skipped = Skipped::default();
    for spec in &specs {
        let name = spec.rel.rsplit('/').next().unwrap_or(&spec.rel).to_string();
        if !by_name.contains_key(&name) {
            let (plants, why) = plantable(&matcher, &name);
            if by_name.is_empty() {
                skipped = why;
            }
            by_name.insert(name, plants);
        }
    }
    let mut all: Vec<Plant> = by_name.values().flatten().cloned().collect();
    all.sort_by(|a, b| a.rule.cmp(&b.rule));
    let mut planter = Planter::new(&all, &mut rng);
    let plant_count = options.plant.unwrap_or(planter.order.len() as u64);

    // Plant positions, as offsets into the concatenation of all files.
    let total: u64 = specs.iter().map(|s| s.bytes).sum::<u64>().max(1);
    let mut offsets: Vec<u64> = (0..plant_count).map(|_| rng.below(total)).collect();
    offsets.sort_unstable();

    let mut tsv = String::from("file\tline\trule_id\n");
    let mut noise = Noise::new(options.seed);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 17);
    let mut start = 0u64;
    let mut next_offset = 0usize;
    let mut written_total = 0u64;
    for (index, spec) in specs.iter().enumerate() {
        let rel = if options.gzip { format!("{}.gz", spec.rel) } else { spec.rel.clone() };
        let path = options.out.join(&rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let name = spec.rel.rsplit('/').next().unwrap_or(&spec.rel);
        let candidates = by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        // This file's plants, as offsets into it (the last file takes any left over by rounding).
        let end = start + spec.bytes;
        let last = index + 1 == specs.len();
        let mut local = Vec::new();
        while let Some(&o) = offsets.get(next_offset) {
            if o >= end && !last {
                break;
            }
            local.push(o.saturating_sub(start).min(spec.bytes));
            next_offset += 1;
        }
        let mut sink = Sink::create(&path, options.gzip)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let io_err = |e: io::Error| format!("writing {}: {e}", path.display());
        let (mut bytes, mut lines, mut due) = (0u64, 0u64, 0usize);
        loop {
            while local.get(due).is_some_and(|o| *o <= bytes) {
                due += 1;
                if let Some(plant) = planter.next(candidates, &mut rng) {
                    sink.write_all(&plant.text).map_err(io_err)?;
                    tsv.push_str(&format!("{rel}\t{}\t{}\n", lines + plant.hit_line + 1, plant.rule));
                    bytes += plant.text.len() as u64;
                    lines += lines_in(&plant.text);
                }
            }
            if bytes >= spec.bytes && due == local.len() {
                break;
            }
            // Noise up to the next plant or the end of the file, in pieces of at most 64 KiB; a
            // burst may run past the goal by a few lines.
            let goal = local.get(due).copied().unwrap_or(spec.bytes);
            let want = goal.saturating_sub(bytes).clamp(1, 64 << 10) as usize;
            buf.clear();
            while buf.len() < want {
                noise.burst(spec.kind, &mut buf);
            }
            sink.write_all(&buf).map_err(io_err)?;
            bytes += buf.len() as u64;
            lines += lines_in(&buf);
        }
        if plant_count > 0 && matches!(spec.kind, Kind::Mixed | Kind::StackLog) {
            buf.clear();
            noise.failure_tail(&mut buf);
            sink.write_all(&buf).map_err(io_err)?;
            bytes += buf.len() as u64;
        }
        sink.finish().map_err(io_err)?;
        written_total += bytes;
        start = end;
    }
    let tsv_path = options.out.join("planted.tsv");
    fs::write(&tsv_path, tsv).map_err(|e| format!("writing {}: {e}", tsv_path.display()))?;

    let counts = planter.counts();
    let planted: u64 = counts.values().sum();
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "gen-corpus: wrote {} file(s), {written_total} bytes (uncompressed) to {}; planted {planted} excerpt(s) of {} rule(s) (of {} plantable), listed in {}",
        specs.len(),
        options.out.display(),
        counts.len(),
        planter.order.len(),
        tsv_path.display()
    );
    let _ = writeln!(
        err,
        "gen-corpus: not plantable: {} rule(s) with [[when]] conditions on facts other than run.status, {} fallback rule(s), {} match test(s) with such facts, {} match test(s) that do not fire alone in a file named {}",
        skipped.fact_rules,
        skipped.fallback_rules,
        skipped.tests_with_facts,
        skipped.tests_not_firing,
        specs.first().map_or("", |s| s.rel.rsplit('/').next().unwrap_or(&s.rel)),
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut err = io::stderr().lock();
    let options = match parse_args(&args) {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                let _ = writeln!(err, "gen-corpus: {message}");
            }
            let _ = writeln!(err, "{USAGE}");
            return ExitCode::from(2);
        }
    };
    drop(err);
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(io::stderr().lock(), "gen-corpus: {message}");
            ExitCode::FAILURE
        }
    }
}
