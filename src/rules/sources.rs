//! Where rule files come from: the copies embedded at build time, and directories the user names.

use std::path::Path;

use walkdir::WalkDir;

use super::Problem;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The text of one rule file and the path it is reported under.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Path as shown in messages (`rules/tls/git-tls-ca-missing.toml` for built-in rules).
    pub path: String,
    /// File contents.
    pub text: String,
    /// Built-in: validated when the crate was tested, so regexes are compiled on first use.
    pub trusted: bool,
}

/// The built-in rules.
pub fn embedded() -> Vec<RuleSource> {
    EMBEDDED_RULES
        .iter()
        .map(|(path, text)| RuleSource {
            path: path.replace('\\', "/"),
            text: (*text).to_string(),
            trusted: true,
        })
        .collect()
}

/// Every `*.toml` file under `dir`, sorted by path. Unreadable files and directories become problems.
pub fn from_dir(dir: &Path) -> (Vec<RuleSource>, Vec<Problem>) {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    let problem = |path: String, message: String| Problem { path, line: 1, col: 1, message };
    if !dir.is_dir() {
        problems.push(problem(dir.display().to_string(), "not a directory of rules".to_string()));
        return (sources, problems);
    }
    for entry in WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().unwrap_or(dir).display().to_string();
                problems.push(problem(path, format!("cannot read: {}", io_message(&err))));
                continue;
            }
        };
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    sources.push(RuleSource { path: path.display().to_string(), text, trusted: false })
                }
                Err(err) => problems.push(problem(
                    path.display().to_string(),
                    format!("not valid UTF-8 (byte {})", err.utf8_error().valid_up_to()),
                )),
            },
            Err(err) => problems.push(problem(path.display().to_string(), format!("cannot read: {err}"))),
        }
    }
    (sources, problems)
}

fn io_message(err: &walkdir::Error) -> String {
    err.io_error().map_or_else(|| err.to_string(), |io| io.to_string())
}
