//! Saved bundles: what `collect` writes and `diagnose` reads back on another machine. A bundle is a
//! directory, or a `.tar.gz` of one, holding `bundle.toml` (format version, when, by which tool),
//! `facts.json` (the host facts at collection time) and `logs/`.
//!
//! A bundle may come from anyone, so unpacking one never writes outside a fresh temporary directory:
//! entries with absolute paths or `..` components, links, devices and FIFOs are refused, and the
//! number of entries and the unpacked size are bounded (a decompression bomb gets an error, not a
//! full disk).

use std::{
    collections::BTreeMap,
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    path::{Component, Path, PathBuf},
};

use flate2::{read::GzDecoder, write::GzEncoder, Compression};
use serde::{Deserialize, Serialize};

use crate::facts::Facts;

/// The bundle format this version writes and reads.
pub const FORMAT: u32 = 1;
/// The most a bundle may unpack to.
pub const MAX_UNPACKED: u64 = 1 << 30;
/// The most entries a bundle may hold.
pub const MAX_ENTRIES: usize = 20_000;

/// `bundle.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// When it was collected (RFC 3339, UTC).
    pub created: String,
    /// `devstack-doctor <version>`.
    pub tool: String,
    /// Whether secrets were redacted.
    pub redacted: bool,
    /// The files under `logs/`, with where they came from.
    #[serde(default)]
    pub files: Vec<FileEntry>,
    /// Redactions made, per kind.
    #[serde(default)]
    pub redactions: BTreeMap<String, u64>,
}

/// One collected file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path inside the bundle.
    pub path: String,
    /// Where it was read from on the collecting host.
    pub source: String,
    /// Bytes stored.
    pub bytes: u64,
    /// Whether only the end of the file was kept.
    pub cut: bool,
}

/// `facts.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FactsFile {
    /// The facts that could be read.
    pub facts: Facts,
    /// The others, with why not.
    #[serde(default)]
    pub unknown: BTreeMap<String, String>,
}

/// A bundle ready to scan.
#[derive(Debug)]
pub struct OpenBundle {
    /// The bundle as the user named it.
    pub display: String,
    /// Where its files are (the directory, or the temporary directory it was unpacked into).
    pub root: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its facts.
    pub facts: FactsFile,
    /// Keeps an unpacked bundle's files until the diagnosis ends.
    _unpacked: Option<tempfile::TempDir>,
}

/// Whether `path` should be opened as a bundle: a directory with `bundle.toml`, or a `.tar.gz`/`.tgz`.
pub fn looks_like_bundle(path: &Path) -> bool {
    if path.is_dir() {
        return path.join("bundle.toml").is_file();
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

/// Opens a bundle directory or archive. The error is one line, fit to show next to the path.
pub fn open(path: &Path, display: &str) -> Result<OpenBundle, String> {
    if path.is_dir() {
        return read_dir(path, display, None);
    }
    let temp = tempfile::Builder::new()
        .prefix("devstack-doctor-bundle-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let file = File::open(path).map_err(|e| super::io_reason(&e))?;
    unpack(file, temp.path(), MAX_UNPACKED, MAX_ENTRIES)?;
    let root = temp.path().to_path_buf();
    read_dir(&root, display, Some(temp))
}

fn read_dir(root: &Path, display: &str, unpacked: Option<tempfile::TempDir>) -> Result<OpenBundle, String> {
    let text = fs::read_to_string(root.join("bundle.toml"))
        .map_err(|e| format!("bundle.toml: {}", super::io_reason(&e)))?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| format!("bundle.toml: {}", e.message()))?;
    if manifest.format > FORMAT {
        return Err(format!(
            "bundle format {} is newer than this devstack-doctor reads ({FORMAT}); update it",
            manifest.format
        ));
    }
    let facts = match fs::read_to_string(root.join("facts.json")) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("facts.json: {e}"))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => FactsFile::default(),
        Err(e) => return Err(format!("facts.json: {}", super::io_reason(&e))),
    };
    Ok(OpenBundle {
        display: display.to_string(),
        root: root.to_path_buf(),
        manifest,
        facts,
        _unpacked: unpacked,
    })
}

/// Unpacks a `.tar.gz` stream into `into`, refusing anything unsafe. Public for tests.
pub fn unpack(reader: impl Read, into: &Path, max_bytes: u64, max_entries: usize) -> Result<(), String> {
    let mut archive = tar::Archive::new(GzDecoder::new(reader));
    let mut total: u64 = 0;
    let entries = archive.entries().map_err(|e| format!("not a tar.gz bundle: {e}"))?;
    for (count, entry) in entries.enumerate() {
        let mut entry = entry.map_err(|e| format!("damaged bundle: {e}"))?;
        if count >= max_entries {
            return Err(format!("bundle has more than {max_entries} entries: refused"));
        }
        let path = entry.path().map_err(|e| format!("bad entry name: {e}"))?.into_owned();
        let shown = path.display().to_string();
        if path.is_absolute()
            || path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(format!("bundle entry `{shown}` escapes the bundle: refused"));
        }
        let kind = entry.header().entry_type();
        let dest = into.join(&path);
        if kind.is_dir() {
            fs::create_dir_all(&dest).map_err(|e| format!("{shown}: {}", super::io_reason(&e)))?;
            continue;
        }
        if !kind.is_file() {
            let what = if kind.is_symlink() || kind.is_hard_link() { "a link" } else { "not a regular file" };
            return Err(format!("bundle entry `{shown}` is {what}: refused"));
        }
        let size = entry.header().size().map_err(|e| format!("{shown}: {e}"))?;
        total = total.saturating_add(size);
        if total > max_bytes {
            return Err(format!("bundle unpacks to more than {} MiB: refused", max_bytes >> 20));
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{shown}: {}", super::io_reason(&e)))?;
        }
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&dest)
            .map_err(|e| format!("{shown}: {}", super::io_reason(&e)))?;
        let copied = io::copy(&mut (&mut entry).take(size), &mut out).map_err(|e| format!("{shown}: {e}"))?;
        if copied != size {
            return Err(format!("bundle entry `{shown}` is cut short"));
        }
    }
    Ok(())
}

/// Writes a bundle archive with mode 0600: `bundle.toml`, `facts.json` and the given files (paths
/// relative to the bundle root). Entries carry no owner and no time, so the same input gives the
/// same archive.
pub fn write(
    out: &Path,
    manifest: &Manifest,
    facts: &FactsFile,
    files: &[(String, Vec<u8>)],
) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(out)?;
    // An existing file keeps its mode on open: make sure it is private too.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    let mut builder = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    let manifest_text = toml::to_string(manifest).map_err(io::Error::other)?;
    let facts_text = serde_json::to_vec_pretty(facts).map_err(io::Error::other)?;
    let mut add = |name: &str, data: &[u8]| -> io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, data)
    };
    add("bundle.toml", manifest_text.as_bytes())?;
    add("facts.json", &facts_text)?;
    for (name, data) in files {
        add(name, data)?;
    }
    let gz = builder.into_inner()?;
    let mut file = gz.finish()?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        for (name, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            if kind.is_symlink() {
                header.set_size(0);
                builder.append_link(&mut header, name, "/etc/passwd").expect("link");
            } else {
                // Write the name into the header directly so that unsafe names are kept as given.
                let bytes = name.as_bytes();
                header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
                header.set_cksum();
                builder.append(&header, *data).expect("append");
            }
        }
        builder.into_inner().expect("tar").finish().expect("gz")
    }

    #[test]
    fn a_good_archive_unpacks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = archive(&[
            ("bundle.toml", tar::EntryType::Regular, b"format = 1\n"),
            ("logs/a.log", tar::EntryType::Regular, b"x\n"),
        ]);
        unpack(&data[..], dir.path(), 1 << 20, 10).expect("unpacks");
        assert_eq!(fs::read(dir.path().join("logs/a.log")).expect("read"), b"x\n");
    }

    #[test]
    fn unsafe_entries_are_refused() {
        for (name, kind, want) in [
            ("../evil", tar::EntryType::Regular, "escapes"),
            ("/etc/evil", tar::EntryType::Regular, "escapes"),
            ("logs/../../evil", tar::EntryType::Regular, "escapes"),
            ("logs/link", tar::EntryType::Symlink, "is a link"),
            ("logs/dev", tar::EntryType::Char, "not a regular file"),
            ("logs/fifo", tar::EntryType::Fifo, "not a regular file"),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let data = archive(&[(name, kind, b"boom")]);
            let err = unpack(&data[..], dir.path(), 1 << 20, 10).expect_err(name);
            assert!(err.contains(want), "{name}: {err}");
            assert!(!dir.path().parent().expect("parent").join("evil").exists());
        }
    }

    #[test]
    fn size_and_count_are_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let big = vec![0u8; 4096];
        let data = archive(&[("a", tar::EntryType::Regular, &big), ("b", tar::EntryType::Regular, &big)]);
        let err = unpack(&data[..], dir.path(), 6000, 10).expect_err("too big");
        assert!(err.contains("more than"), "{err}");
        let dir = tempfile::tempdir().expect("tempdir");
        let err = unpack(&data[..], dir.path(), 1 << 20, 1).expect_err("too many");
        assert!(err.contains("more than 1 entries"), "{err}");
    }

    #[test]
    fn write_then_open_round_trips_with_private_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("b.tar.gz");
        let manifest = Manifest {
            format: FORMAT,
            created: "2026-01-02T10:00:00Z".into(),
            tool: "t".into(),
            redacted: true,
            files: vec![],
            redactions: BTreeMap::new(),
        };
        let mut facts = FactsFile::default();
        facts.facts.insert("os.id".into(), crate::facts::FactValue::Str("ubuntu".into()));
        write(&out, &manifest, &facts, &[("logs/stack.sh.log".into(), b"hello\n".to_vec())]).expect("write");
        assert_eq!(fs::metadata(&out).expect("meta").permissions().mode() & 0o777, 0o600);
        let opened = open(&out, "b.tar.gz").expect("open");
        assert_eq!(opened.facts.facts.get("os.id"), facts.facts.get("os.id"));
        assert_eq!(fs::read(opened.root.join("logs/stack.sh.log")).expect("read"), b"hello\n");
    }
}
