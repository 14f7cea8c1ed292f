//! Input: finding the logs to scan ([`discover`]) and reading them as streams of complete lines
//! ([`logs`]). This is the only part of the crate that reads log files; the engine sees bytes only.

pub mod bundle;
pub mod host;
pub mod logs;

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::report::InputProblem;

/// Where a source's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file on disk.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

/// What a source is to the run model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The trace log of a stack.sh run (or an excerpt of unknown origin): the run model follows it.
    StackLog,
    /// A `.summary` file: every line is a phase.
    Summary,
    /// Any other log (service logs, error.log, worlddump, journal exports).
    Other,
}

/// One thing to scan.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as shown in reports (as the user gave it, joined with the walked part).
    pub display: String,
    /// Where to read it.
    pub origin: Origin,
    /// Named on the command line (or stdin): every rule applies, whatever the file name.
    pub explicit: bool,
    /// What the run model does with it.
    pub role: Role,
}

impl Source {
    /// The file name used to match rule `files` globs.
    pub fn file_name(&self) -> &str {
        match &self.origin {
            Origin::File(path) => path.file_name().and_then(|n| n.to_str()).unwrap_or(&self.display),
            Origin::Stdin => "-",
        }
    }
}

/// File names that are logs when walking a directory.
const LOG_NAMES: &[&str] = &[
    "stack.sh.log*",
    "devstacklog.txt*",
    "*.summary*",
    "error.log*",
    "worlddump-*.txt*",
    "*.log",
    "*.log.*",
    "*.txt",
    "*.txt.gz",
    "*.journal",
    "*.journal.gz",
];

fn glob_set(patterns: &[&str]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(Glob::new(pattern).expect("built-in glob is valid"));
    }
    builder.build().expect("built-in globs build")
}

/// The role of a file, from its name. Any log that is not a summary, `error.log` or a world dump may be
/// the trace of a run (people save it as `console.txt`, `job-output.txt`, ...): the run model follows
/// it, and the run it describes is the one whose log shows how it ended.
pub fn role_of(name: &str) -> Role {
    if name.contains(".summary") {
        Role::Summary
    } else if name.starts_with("error.log") || name.starts_with("worlddump") {
        Role::Other
    } else {
        Role::StackLog
    }
}

/// What the command-line paths turned into.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Things to scan.
    pub sources: Vec<Source>,
    /// Paths that could not be used (missing, unreadable, a directory without logs, a bad bundle).
    pub problems: Vec<InputProblem>,
    /// Saved bundles among the paths; their facts describe the host the logs came from.
    pub bundles: Vec<bundle::OpenBundle>,
}

/// Turns command-line paths into sources. Problems (missing paths, unreadable directories, a
/// directory without logs, a bundle that cannot be opened) are returned beside the sources; the
/// caller goes on with the rest.
pub fn discover(paths: &[String]) -> Discovery {
    let names = glob_set(LOG_NAMES);
    let mut found = Discovery::default();
    for given in paths {
        if given == "-" {
            found.sources.push(Source {
                display: "-".into(),
                origin: Origin::Stdin,
                explicit: true,
                role: Role::StackLog,
            });
            continue;
        }
        let path = Path::new(given);
        if bundle::looks_like_bundle(path) {
            add_bundle(path, given, &names, &mut found);
            continue;
        }
        match std::fs::metadata(path) {
            Err(err) => found.problems.push(InputProblem::new(given, io_reason(&err))),
            Ok(meta) if meta.is_dir() => walk(given, path, &names, &mut found.sources, &mut found.problems),
            Ok(meta) if meta.is_file() => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(given);
                found.sources.push(Source {
                    display: given.clone(),
                    origin: Origin::File(path.to_path_buf()),
                    explicit: true,
                    role: role_of(name),
                });
            }
            Ok(_) => {
                found.problems.push(InputProblem::new(given, "not a regular file or directory, skipped"))
            }
        }
    }
    found
}

/// Opens a bundle shown as `display` and adds its logs, or records why it cannot be read.
fn add_bundle(path: &Path, display: &str, names: &GlobSet, found: &mut Discovery) {
    match bundle::open(path, display) {
        Ok(opened) => {
            let logs = opened.root.join("logs");
            let shown = format!("{}/logs", display.trim_end_matches('/'));
            walk(&shown, &logs, names, &mut found.sources, &mut found.problems);
            found.bundles.push(opened);
        }
        Err(reason) => found.problems.push(InputProblem::new(display, reason)),
    }
}

/// A bundle at `path`, shown under another name (`collect` diagnoses the bundle it is building in a
/// temporary directory under the name of the file it will write).
pub fn discover_bundle(path: &Path, display: &str) -> Discovery {
    let mut found = Discovery::default();
    add_bundle(path, display, &glob_set(LOG_NAMES), &mut found);
    found
}

/// Adds the log files under `dir`, shown as `shown` joined with their path below `dir`.
fn walk(
    shown: &str,
    dir: &Path,
    names: &GlobSet,
    sources: &mut Vec<Source>,
    problems: &mut Vec<InputProblem>,
) {
    let before = sources.len();
    let show = |path: &Path| match path.strip_prefix(dir) {
        Ok(rel) if rel.as_os_str().is_empty() => shown.to_string(),
        Ok(rel) => format!("{}/{}", shown.trim_end_matches('/'), rel.display()),
        Err(_) => path.display().to_string(),
    };
    for entry in WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().map_or_else(|| shown.to_string(), show);
                let reason = err.io_error().map_or_else(|| err.to_string(), io_reason);
                problems.push(InputProblem::new(&path, reason));
                continue;
            }
        };
        // Symlinks are skipped: DevStack's `stack.sh.log` is a link to the timestamped file beside it.
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if !names.is_match(name.as_ref()) || name.ends_with(".expect.toml") {
            continue;
        }
        sources.push(Source {
            display: show(entry.path()),
            origin: Origin::File(entry.path().to_path_buf()),
            explicit: false,
            role: role_of(&name),
        });
    }
    if sources.len() == before {
        problems.push(InputProblem::new(shown, "no log files found in this directory"));
    }
}

/// A short, lowercase reason for an I/O error.
pub fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::NotFound => "no such file or directory".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(at) => text[..at].to_lowercase(),
                None => text.to_lowercase(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_devstack_names() {
        assert_eq!(role_of("stack.sh.log.2026-07-17-203012"), Role::StackLog);
        assert_eq!(role_of("stack.sh.log.2026-07-17-203012.summary.2026-07-17-203012"), Role::Summary);
        assert_eq!(role_of("devstacklog.txt.gz"), Role::StackLog);
        assert_eq!(role_of("console.txt"), Role::StackLog);
        assert_eq!(role_of("error.log"), Role::Other);
        assert_eq!(role_of("worlddump-latest.txt"), Role::Other);
    }

    #[test]
    fn log_names_are_recognised() {
        let names = glob_set(LOG_NAMES);
        for name in
            ["stack.sh.log", "error.log", "worlddump-latest.txt", "n-cpu.log.1", "devstack.journal.gz"]
        {
            assert!(names.is_match(name), "{name}");
        }
        for name in ["tcpdump.pcap", "local.conf", "x.expect.toml"] {
            assert!(!names.is_match(name), "{name}");
        }
    }
}
