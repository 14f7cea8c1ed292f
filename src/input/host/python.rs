//! The system Python DevStack will use: its version, the pip, setuptools and virtualenv versions it
//! sees, and whether its stdlib carries the PEP 668 `EXTERNALLY-MANAGED` marker. One `python3 -c`
//! probe reads all of it (a Python start-up is the slowest thing collected); `python3 --version` and
//! `python3 -m pip --version` are the fallback when the probe fails.

use std::path::Path;

use super::{command, first_line, Collected, Context};

/// Prints `name value` lines; a package that is not installed prints an empty value. Works on every
/// Python 3 (importlib.metadata is 3.8+; before that the versions come out empty).
const PROBE: &str = r#"import sys, sysconfig
print("version", "%d.%d.%d" % tuple(sys.version_info[:3]))
print("stdlib", sysconfig.get_path("stdlib"))
try:
    from importlib import metadata
except ImportError:
    metadata = None
for name in ("pip", "setuptools", "virtualenv"):
    try:
        print(name, metadata.version(name))
    except Exception:
        print(name, "")
"#;

const KEYS: &[&str] = &[
    "python.version",
    "python.pip_version",
    "python.setuptools_version",
    "python.virtualenv_version",
    "python.externally_managed",
];

/// What the probe printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Probe {
    /// `major.minor.micro`.
    pub version: Option<String>,
    /// The stdlib directory.
    pub stdlib: Option<String>,
    /// pip's version, if installed.
    pub pip: Option<String>,
    /// setuptools' version, if installed.
    pub setuptools: Option<String>,
    /// virtualenv's version, if installed.
    pub virtualenv: Option<String>,
}

/// Parses the probe's `name value` lines.
pub(crate) fn parse_probe(text: &str) -> Probe {
    let mut probe = Probe::default();
    for line in text.lines() {
        let (name, value) = line.split_once(' ').unwrap_or((line, ""));
        let value = Some(value.trim().to_string()).filter(|v| !v.is_empty());
        match name {
            "version" => probe.version = value,
            "stdlib" => probe.stdlib = value,
            "pip" => probe.pip = value,
            "setuptools" => probe.setuptools = value,
            "virtualenv" => probe.virtualenv = value,
            _ => {}
        }
    }
    probe
}

/// The version in `python3 --version` output (`Python 3.12.3`).
pub(crate) fn parse_python_version(text: &str) -> Option<String> {
    text.trim().strip_prefix("Python ").map(|v| v.trim().to_string())
}

/// The version in `python3 -m pip --version` output (`pip 24.0 from /usr/lib/... (python 3.12)`).
pub(crate) fn parse_pip_version(text: &str) -> Option<String> {
    text.trim().strip_prefix("pip ")?.split_whitespace().next().map(str::to_string)
}

/// Records the `python.*` facts.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    let probe = match command::run("python3", &["-c", PROBE], context.timeout) {
        Ok(output) if output.success => parse_probe(&output.stdout),
        Ok(output) => {
            let why = format!("python3 failed: {}", first_line(&output.stderr));
            fallback(context, &why, &mut out);
            return out;
        }
        Err(why) => {
            out.not_read_all(KEYS, &why);
            return out;
        }
    };
    for (key, value, name) in [
        ("python.version", &probe.version, "python3"),
        ("python.pip_version", &probe.pip, "pip"),
        ("python.setuptools_version", &probe.setuptools, "setuptools"),
        ("python.virtualenv_version", &probe.virtualenv, "virtualenv"),
    ] {
        match value {
            Some(value) => out.str(key, value.clone()),
            None => out.not_read(key, format!("{name} is not installed for python3")),
        }
    }
    match &probe.stdlib {
        Some(stdlib) => {
            out.bool("python.externally_managed", Path::new(stdlib).join("EXTERNALLY-MANAGED").is_file())
        }
        None => out.not_read("python.externally_managed", "python3 did not report its stdlib directory"),
    }
    out
}

fn fallback(context: &Context, why: &str, out: &mut Collected) {
    out.not_read_all(KEYS, why);
    let run = |args: &[&str]| {
        command::run("python3", args, context.timeout)
            .ok()
            .filter(|o| o.success)
            .map(|o| o.stdout + &o.stderr)
    };
    if let Some(version) = run(&["--version"]).and_then(|text| parse_python_version(&text)) {
        out.str("python.version", version);
    }
    if let Some(version) = run(&["-m", "pip", "--version"]).and_then(|text| parse_pip_version(&text)) {
        out.str("python.pip_version", version);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output() {
        let probe = parse_probe(include_str!("../../../samples/host/python-probe"));
        assert_eq!(probe.version.as_deref(), Some("3.12.3"));
        assert_eq!(probe.stdlib.as_deref(), Some("/usr/lib/python3.12"));
        assert_eq!(probe.pip.as_deref(), Some("24.0"));
        assert_eq!(probe.setuptools.as_deref(), Some("68.1.2"));
        assert_eq!(probe.virtualenv.as_deref(), Some("20.25.0+ds"));
    }

    #[test]
    fn missing_packages_are_none() {
        let probe = parse_probe(include_str!("../../../samples/host/python-probe-minimal"));
        assert_eq!(probe.version.as_deref(), Some("3.9.18"));
        assert_eq!(probe.virtualenv, None);
    }

    #[test]
    fn fallback_outputs() {
        assert_eq!(
            parse_python_version(include_str!("../../../samples/host/python3--version")).as_deref(),
            Some("3.12.3")
        );
        assert_eq!(
            parse_pip_version(include_str!("../../../samples/host/python3-m-pip--version")).as_deref(),
            Some("24.0")
        );
        assert_eq!(parse_pip_version("/usr/bin/python3: No module named pip\n"), None);
    }
}
