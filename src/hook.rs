//! The post-install hook: a marked block in DevStack's `local.sh` that runs a devstack-doctor command.
//!
//! `stack.sh` runs `$TOP_DIR/local.sh` near the end of a *successful* run, if the file exists and is
//! executable (`if [[ -x $TOP_DIR/local.sh ]]`), before it prints `stack.sh completed in N seconds.`
//! This module adds, replaces and removes one block there:
//!
//! ```text
//! # >>> devstack-doctor hook >>>
//! # Added by `devstack-doctor hook install`: ... Remove it with `devstack-doctor hook uninstall`.
//! if command -v devstack-doctor >/dev/null 2>&1; then
//!     devstack-doctor diagnose --host --quiet --fail-on error || true
//! fi
//! # <<< devstack-doctor hook <<<
//! ```
//!
//! Everything outside the block is kept byte for byte; `uninstall` after `install` gives back the
//! original file exactly (or removes the file if `install` created it and nothing was added since).
//! Files are replaced atomically (a temporary file in the same directory, then a rename), keeping
//! their mode (plus the owner's execute bit, without which stack.sh skips the file) and, where the
//! process may, their owner.
//!
//! Boundary: this module reads and writes `local.sh` in the directory it is given and nothing else;
//! it runs no command. Building the command line to run is the caller's business.

use std::{
    fs::{self, OpenOptions, Permissions},
    io::{self, ErrorKind, Write},
    os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

/// First line of the block.
pub const BEGIN: &str = "# >>> devstack-doctor hook >>>";
/// Last line of the block.
pub const END: &str = "# <<< devstack-doctor hook <<<";

/// A line in the block that records that `install` created `local.sh`, so that `uninstall` may
/// remove it again.
const CREATED: &str =
    "# devstack-doctor created this file; `devstack-doctor hook uninstall` deletes it again if nothing else was added.";

/// The first line of a `local.sh` that `install` creates.
const SHEBANG: &[u8] = b"#!/bin/bash\n";

/// What `install` or `uninstall` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookChange {
    /// The block was added, or its command replaced, or `local.sh` made executable.
    Installed,
    /// The same block was already there, in an executable `local.sh`: nothing was written.
    AlreadyInstalled,
    /// The block was removed (and `local.sh` with it, if `install` had created it).
    Removed,
    /// There was no block to remove: nothing was written.
    NotInstalled,
}

/// Adds the hook to `devstack_dir/local.sh`, running `command` (one shell command line, for example
/// `/usr/local/bin/devstack-doctor diagnose --host --quiet --fail-on error`).
///
/// The command is guarded so that it does nothing when its program is missing and never fails the
/// run (`|| true` is added unless the command already ends with it). Installing again with the same
/// command changes nothing; with another command, the block is replaced where it stands.
///
/// # Errors
///
/// `devstack_dir` has no `stack.sh`, the command is empty or spans lines, `local.sh` has a block with
/// no end marker, or reading or writing fails.
pub fn install(devstack_dir: &Path, command: &str) -> io::Result<HookChange> {
    check_checkout(devstack_dir)?;
    let command = check_command(command)?;
    let path = local_sh(devstack_dir)?;
    let Some((bytes, mode)) = read(&path)? else {
        let mut content = SHEBANG.to_vec();
        content.push(b'\n');
        content.extend_from_slice(block(command, true).as_bytes());
        let owner = fs::metadata(devstack_dir).ok().map(|m| (m.uid(), m.gid()));
        write_atomic(&path, &content, 0o755, owner)?;
        return Ok(HookChange::Installed);
    };
    let executable = mode | 0o100;
    let blocks = find_blocks(&bytes, &path)?;
    let new = match blocks.first() {
        None => {
            let mut new = bytes.clone();
            // One newline ends an unterminated last line, else one blank line separates the block;
            // `remove_blocks` takes exactly that one newline away again.
            if !new.is_empty() {
                new.push(b'\n');
            }
            new.extend_from_slice(block(command, false).as_bytes());
            new
        }
        Some(first) => {
            let created = blocks.iter().any(|b| b.created);
            let mut new = bytes[..first.start].to_vec();
            new.extend_from_slice(block(command, created).as_bytes());
            // Stray copies after the first block go.
            new.extend_from_slice(&remove_blocks(&bytes[first.end..], &blocks_after(&blocks, first.end)));
            new
        }
    };
    if new == bytes && executable == mode {
        return Ok(HookChange::AlreadyInstalled);
    }
    let owner = fs::metadata(&path).ok().map(|m| (m.uid(), m.gid()));
    write_atomic(&path, &new, executable, owner)?;
    Ok(HookChange::Installed)
}

/// Removes the hook from `devstack_dir/local.sh`, leaving every other byte as it was. If `install`
/// created the file and it now holds nothing but the shebang line, the file is removed.
///
/// # Errors
///
/// `devstack_dir` has no `stack.sh`, `local.sh` has a block with no end marker, or reading or
/// writing fails.
pub fn uninstall(devstack_dir: &Path) -> io::Result<HookChange> {
    check_checkout(devstack_dir)?;
    let path = local_sh(devstack_dir)?;
    let Some((bytes, mode)) = read(&path)? else {
        return Ok(HookChange::NotInstalled);
    };
    let blocks = find_blocks(&bytes, &path)?;
    if blocks.is_empty() {
        return Ok(HookChange::NotInstalled);
    }
    let rest = remove_blocks(&bytes, &blocks);
    if blocks.iter().any(|b| b.created) && rest == SHEBANG {
        fs::remove_file(&path)?;
    } else {
        let owner = fs::metadata(&path).ok().map(|m| (m.uid(), m.gid()));
        write_atomic(&path, &rest, mode, owner)?;
    }
    Ok(HookChange::Removed)
}

/// Whether `devstack_dir/local.sh` holds the hook's block (whatever its command, and whether or not
/// the file is executable).
///
/// # Errors
///
/// `devstack_dir` has no `stack.sh`, or `local.sh` exists but cannot be read.
pub fn is_installed(devstack_dir: &Path) -> io::Result<bool> {
    check_checkout(devstack_dir)?;
    let path = local_sh(devstack_dir)?;
    Ok(match read(&path)? {
        Some((bytes, _)) => lines(&bytes).any(|(_, line)| is_marker(line, BEGIN)),
        None => false,
    })
}

fn check_checkout(dir: &Path) -> io::Result<()> {
    if dir.join("stack.sh").is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        ErrorKind::NotFound,
        format!(
            "{} does not look like a DevStack checkout: it has no stack.sh (pass the directory that holds \
             stack.sh, usually ~/devstack or /opt/stack/devstack)",
            dir.display()
        ),
    ))
}

fn check_command(command: &str) -> io::Result<&str> {
    let command = command.trim();
    if command.is_empty() || command.contains(['\n', '\r']) {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("the hook command must be one non-empty line, not {command:?}"),
        ));
    }
    Ok(command)
}

/// `local.sh` in `dir`; a symbolic link is followed, so that the rename replaces the file it points
/// to rather than the link.
fn local_sh(dir: &Path) -> io::Result<PathBuf> {
    let path = dir.join("local.sh");
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(&path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{} is a symbolic link that cannot be followed: {e}", path.display()),
            )
        }),
        _ => Ok(path),
    }
}

/// The bytes and permission bits of the file, or `None` if it does not exist.
fn read(path: &Path) -> io::Result<Option<(Vec<u8>, u32)>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io::Error::new(e.kind(), format!("reading {}: {e}", path.display()))),
    };
    let mode = fs::metadata(path)?.permissions().mode() & 0o7777;
    Ok(Some((bytes, mode)))
}

/// The block for `command`.
fn block(command: &str, created: bool) -> String {
    let mut text = String::new();
    text.push_str(BEGIN);
    text.push('\n');
    text.push_str(
        "# Added by `devstack-doctor hook install`: after a successful stack.sh run, checks\n\
         # this host for known problems. It never fails the run. Remove it with\n\
         # `devstack-doctor hook uninstall`, or delete these lines up to the closing marker.\n",
    );
    if created {
        text.push_str(CREATED);
        text.push('\n');
    }
    text.push_str(&guard(command));
    text.push_str("\n    ");
    text.push_str(&never_fails(command));
    text.push_str("\nfi\n");
    text.push_str(END);
    text.push('\n');
    text
}

/// `if ...; then` that holds when the program the command runs exists: `[ -x /abs/path ]` for an
/// absolute path, `command -v name` otherwise. The devstack-doctor word is preferred when the command
/// starts with something else (`sudo`, `nice`); a first word that would need quoting falls back to
/// `command -v devstack-doctor`.
fn guard(command: &str) -> String {
    let plain = |word: &&str| word.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+@%:,".contains(c));
    let words: Vec<&str> = command.split_whitespace().collect();
    let program = words
        .iter()
        .find(|w| w.ends_with("devstack-doctor") && plain(w))
        .or_else(|| words.first().filter(|w| plain(w)))
        .copied()
        .unwrap_or("devstack-doctor");
    if program.starts_with('/') {
        format!("if [ -x {program} ]; then")
    } else {
        format!("if command -v {program} >/dev/null 2>&1; then")
    }
}

/// The command with `|| true`, grouped when it is a list, so that `local.sh` goes on (and under
/// `set -e` does not stop) whatever the command returns.
fn never_fails(command: &str) -> String {
    let squeezed = one_space(command);
    if squeezed.ends_with("|| true") || squeezed.ends_with("|| :") {
        command.to_string()
    } else if command.ends_with(';') || (command.ends_with('&') && !command.ends_with("&&")) {
        format!("{{ {command} }} || true")
    } else if command.contains(';') {
        format!("{{ {command}; }} || true")
    } else {
        format!("{command} || true")
    }
}

fn one_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A block found in a file: `start..end` covers its lines, from the begin marker to the end of the
/// end marker's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    start: usize,
    end: usize,
    /// It holds the [`CREATED`] line.
    created: bool,
}

/// Lines with their start offsets; each line includes its `\n`, if any.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |at| start + at + 1);
        let line = (start, &bytes[start..end]);
        start = end;
        Some(line)
    })
}

/// Whether the line is the marker (trailing whitespace and `\r` ignored).
fn is_marker(line: &[u8], marker: &str) -> bool {
    line.trim_ascii_end() == marker.as_bytes()
}

fn find_blocks(bytes: &[u8], path: &Path) -> io::Result<Vec<Block>> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, bool)> = None;
    for (start, line) in lines(bytes) {
        match open {
            None if is_marker(line, BEGIN) => open = Some((start, false)),
            Some((begin, _)) if is_marker(line, END) => {
                let created = open.is_some_and(|(_, c)| c);
                blocks.push(Block { start: begin, end: start + line.len(), created });
                open = None;
            }
            Some((begin, _)) if is_marker(line, CREATED) => open = Some((begin, true)),
            _ => {}
        }
    }
    if open.is_some() {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "{} has a `{BEGIN}` line without a `{END}` line after it; remove the devstack-doctor lines \
                 by hand",
                path.display()
            ),
        ));
    }
    Ok(blocks)
}

/// `blocks` that start at or after `from`, with offsets made relative to `from`.
fn blocks_after(blocks: &[Block], from: usize) -> Vec<Block> {
    blocks
        .iter()
        .filter(|b| b.start >= from)
        .map(|b| Block { start: b.start - from, end: b.end - from, created: b.created })
        .collect()
}

/// `bytes` without `blocks`, each taking with it the one newline `install` put before it: a blank
/// line before the block, or, for a block at the very end, the newline that ended a last line which
/// had none.
fn remove_blocks(bytes: &[u8], blocks: &[Block]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut from = 0;
    for block in blocks {
        out.extend_from_slice(&bytes[from..block.start]);
        let at_end = block.end == bytes.len();
        if out.ends_with(b"\n\n") || (at_end && out.ends_with(b"\n")) {
            out.pop();
        }
        from = block.end;
    }
    out.extend_from_slice(&bytes[from..]);
    out
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same directory, with `mode` and
/// (best effort: only root may give a file away) `owner`, synced, then renamed over `path`.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32, owner: Option<(u32, u32)>) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.devstack-doctor-{}.tmp", std::process::id()));
    let result = (|| {
        // A leftover from an interrupted run of this same process id is ours to replace.
        let _ = fs::remove_file(&temp);
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
        file.write_all(bytes)?;
        file.set_permissions(Permissions::from_mode(mode))?;
        if let Some((uid, gid)) = owner {
            let meta = file.metadata()?;
            if (meta.uid(), meta.gid()) != (uid, gid) {
                // Failing is fine: the file then belongs to whoever runs this, who can still edit it.
                let _ = std::os::unix::fs::fchown(&file, Some(uid), Some(gid));
            }
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(io::Error::new(e.kind(), format!("writing {}: {e}", path.display())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMAND: &str = "/usr/local/bin/devstack-doctor diagnose --host --quiet --fail-on error";

    fn checkout() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("stack.sh"), "#!/usr/bin/env bash\n").expect("stack.sh");
        dir
    }

    fn local(dir: &Path) -> PathBuf {
        dir.join("local.sh")
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
    }

    fn with_existing(content: &[u8], mode: u32) -> tempfile::TempDir {
        let dir = checkout();
        fs::write(local(dir.path()), content).expect("write");
        fs::set_permissions(local(dir.path()), Permissions::from_mode(mode)).expect("chmod");
        dir
    }

    fn text(path: &Path) -> String {
        String::from_utf8(fs::read(path).expect("read")).expect("utf8")
    }

    #[test]
    fn creates_local_sh_when_missing_and_removes_it_again() {
        let dir = checkout();
        assert!(!is_installed(dir.path()).expect("check"));
        assert_eq!(install(dir.path(), COMMAND).expect("install"), HookChange::Installed);
        let path = local(dir.path());
        assert_eq!(mode(&path), 0o755);
        let content = text(&path);
        assert!(content.starts_with("#!/bin/bash\n\n# >>> devstack-doctor hook >>>\n"), "{content}");
        assert!(content.contains("`devstack-doctor hook uninstall`"));
        assert!(content.contains(&format!(
            "if [ -x /usr/local/bin/devstack-doctor ]; then\n    {COMMAND} || true\nfi\n"
        )));
        assert!(content.ends_with("# <<< devstack-doctor hook <<<\n"));
        assert!(is_installed(dir.path()).expect("check"));

        assert_eq!(uninstall(dir.path()).expect("uninstall"), HookChange::Removed);
        assert!(!path.exists());
        assert_eq!(uninstall(dir.path()).expect("uninstall"), HookChange::NotInstalled);
        // No temporary file is left behind.
        let names: Vec<_> =
            fs::read_dir(dir.path()).expect("ls").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("stack.sh")]);
    }

    #[test]
    fn a_created_file_with_user_lines_added_is_kept() {
        let dir = checkout();
        install(dir.path(), COMMAND).expect("install");
        let path = local(dir.path());
        let mut content = fs::read(&path).expect("read");
        content.extend_from_slice(b"echo mine\n");
        fs::write(&path, &content).expect("write");
        assert_eq!(uninstall(dir.path()).expect("uninstall"), HookChange::Removed);
        assert_eq!(text(&path), "#!/bin/bash\necho mine\n");
    }

    #[test]
    fn existing_files_come_back_byte_for_byte() {
        let fixture: &[u8] = include_bytes!("../tests/data/hook/local.sh");
        let originals: Vec<Vec<u8>> = vec![
            fixture.to_vec(),
            fixture.trim_ascii_end().to_vec(),           // no final newline
            [fixture, b"\n\n".as_slice()].concat(),      // trailing blank lines
            b"#!/bin/bash\r\necho crlf\r\n".to_vec(),    // CRLF line ends
            b"#!/bin/bash\r\necho crlf".to_vec(),        // CRLF, no final newline
            Vec::new(),                                  // empty
            b"\n".to_vec(),                              // a lone newline
            b"#!/bin/sh\n\xff\xfe not UTF-8\n".to_vec(), // any bytes
        ];
        for original in originals {
            let dir = with_existing(&original, 0o750);
            let path = local(dir.path());
            assert_eq!(install(dir.path(), COMMAND).expect("install"), HookChange::Installed);
            let installed = fs::read(&path).expect("read");
            assert!(installed.starts_with(&original), "{original:?}");
            assert_eq!(mode(&path), 0o750);
            assert_eq!(install(dir.path(), COMMAND).expect("again"), HookChange::AlreadyInstalled);
            assert_eq!(fs::read(&path).expect("read"), installed);
            assert_eq!(uninstall(dir.path()).expect("uninstall"), HookChange::Removed);
            assert_eq!(fs::read(&path).expect("read"), original, "{original:?}");
            assert_eq!(mode(&path), 0o750);
        }
    }

    #[test]
    fn golden_file_shows_the_installed_block() {
        let dir = with_existing(include_bytes!("../tests/data/hook/local.sh"), 0o755);
        install(dir.path(), "devstack-doctor diagnose --quiet").expect("install");
        assert_eq!(text(&local(dir.path())), include_str!("../tests/data/hook/local.sh.installed"));
    }

    #[test]
    fn a_missing_final_newline_is_added_before_the_block() {
        let dir = with_existing(b"#!/bin/bash\necho hi", 0o755);
        install(dir.path(), COMMAND).expect("install");
        assert!(
            text(&local(dir.path())).starts_with("#!/bin/bash\necho hi\n# >>> devstack-doctor hook >>>\n")
        );
    }

    #[test]
    fn a_new_command_replaces_the_block_in_place() {
        let dir = with_existing(b"#!/bin/bash\necho before\n", 0o755);
        install(dir.path(), COMMAND).expect("install");
        let path = local(dir.path());
        let mut content = fs::read(&path).expect("read");
        content.extend_from_slice(b"echo after\n");
        fs::write(&path, &content).expect("write");

        assert_eq!(install(dir.path(), "devstack-doctor diagnose").expect("replace"), HookChange::Installed);
        let replaced = text(&path);
        assert_eq!(replaced.matches(BEGIN).count(), 1);
        assert!(replaced.contains(
            "if command -v devstack-doctor >/dev/null 2>&1; then\n    devstack-doctor diagnose || true\n"
        ));
        assert!(!replaced.contains("/usr/local/bin"));
        assert!(replaced.starts_with("#!/bin/bash\necho before\n\n# >>>"));
        assert!(replaced.ends_with("# <<< devstack-doctor hook <<<\necho after\n"));

        uninstall(dir.path()).expect("uninstall");
        assert_eq!(text(&path), "#!/bin/bash\necho before\necho after\n");
    }

    #[test]
    fn makes_local_sh_executable_for_its_owner() {
        let dir = with_existing(b"#!/bin/bash\n", 0o640);
        assert_eq!(install(dir.path(), COMMAND).expect("install"), HookChange::Installed);
        assert_eq!(mode(&local(dir.path())), 0o740);
        // Same block, but someone took the execute bit away: that is fixed and reported.
        fs::set_permissions(local(dir.path()), Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(install(dir.path(), COMMAND).expect("again"), HookChange::Installed);
        assert_eq!(mode(&local(dir.path())), 0o744);
    }

    #[test]
    fn follows_a_symlinked_local_sh() {
        let dir = with_existing(b"#!/bin/bash\necho real\n", 0o755);
        let real = dir.path().join("real-local.sh");
        fs::rename(local(dir.path()), &real).expect("move");
        std::os::unix::fs::symlink("real-local.sh", local(dir.path())).expect("symlink");
        install(dir.path(), COMMAND).expect("install");
        assert!(fs::symlink_metadata(local(dir.path())).expect("meta").file_type().is_symlink());
        assert!(text(&real).contains(BEGIN));
        uninstall(dir.path()).expect("uninstall");
        assert_eq!(text(&real), "#!/bin/bash\necho real\n");
    }

    #[test]
    fn refuses_a_directory_without_stack_sh() {
        let dir = tempfile::tempdir().expect("tempdir");
        for result in [
            install(dir.path(), COMMAND).map(|_| ()),
            uninstall(dir.path()).map(|_| ()),
            is_installed(dir.path()).map(|_| ()),
        ] {
            let err = result.expect_err("not a checkout");
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert!(err.to_string().contains("does not look like a DevStack checkout"), "{err}");
        }
        assert!(!local(dir.path()).exists());
    }

    #[test]
    fn refuses_bad_commands_and_broken_blocks() {
        let dir = checkout();
        assert_eq!(install(dir.path(), " ").expect_err("empty").kind(), ErrorKind::InvalidInput);
        assert_eq!(install(dir.path(), "a\nb").expect_err("two lines").kind(), ErrorKind::InvalidInput);
        fs::write(local(dir.path()), format!("#!/bin/bash\n{BEGIN}\necho half\n")).expect("write");
        let err = uninstall(dir.path()).expect_err("unterminated");
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(err.to_string().contains("without a `# <<< devstack-doctor hook <<<` line"), "{err}");
        assert_eq!(install(dir.path(), COMMAND).expect_err("unterminated").kind(), ErrorKind::InvalidData);
    }

    #[test]
    fn guards_and_never_fails() {
        assert_eq!(guard("/opt/dd/devstack-doctor diagnose"), "if [ -x /opt/dd/devstack-doctor ]; then");
        assert_eq!(
            guard("sudo devstack-doctor diagnose"),
            "if command -v devstack-doctor >/dev/null 2>&1; then"
        );
        assert_eq!(guard("\"$HOME/bin/dd\" diagnose"), "if command -v devstack-doctor >/dev/null 2>&1; then");
        assert_eq!(never_fails("dd diagnose"), "dd diagnose || true");
        assert_eq!(never_fails("dd diagnose ||  true"), "dd diagnose ||  true");
        assert_eq!(never_fails("cd /x; dd diagnose"), "{ cd /x; dd diagnose; } || true");
        assert_eq!(never_fails("dd diagnose > /tmp/r 2>&1 &"), "{ dd diagnose > /tmp/r 2>&1 & } || true");
    }
}
