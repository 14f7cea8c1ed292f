//! Storage DevStack sets up: the backing files of attached loop devices (`/sys/block/loop*/loop/
//! backing_file`, else `losetup -a`), the LVM volume groups (`vgs`, which usually needs root: then
//! unknown), and whether the Swift loop drive is mounted (`/proc/mounts`).

use std::path::Path;

use super::{command, first_line, Collected, Context};
use crate::input::io_reason;

/// Backing files of `losetup -a` output (`/dev/loop2: [64769]:1053921 (/path/file)`).
pub(crate) fn parse_losetup(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let start = line.find(" (")?;
            let rest = &line[start + 2..];
            Some(rest.strip_suffix(')').unwrap_or(rest).to_string())
        })
        .collect()
}

/// The content of `/sys/block/loopN/loop/backing_file`.
pub(crate) fn parse_backing_file(text: &str) -> Option<String> {
    let path = text.trim_end_matches('\n');
    (!path.is_empty()).then(|| path.to_string())
}

/// Volume group names of `vgs --noheadings -o vg_name`.
pub(crate) fn parse_vgs(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_string).collect()
}

/// Mount points of `/proc/mounts` (octal escapes such as `\040` for a space decoded).
pub(crate) fn parse_mount_points(text: &str) -> Vec<String> {
    text.lines().filter_map(|line| line.split_whitespace().nth(1)).map(unescape_octal).collect()
}

fn unescape_octal(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(digits)) => {
                out.push(digits.iter().fold(0u8, |acc, d| acc.wrapping_mul(8).wrapping_add(d - b'0')));
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn loop_backing_files(context: &Context) -> Result<Vec<String>, String> {
    match std::fs::read_dir("/sys/block") {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("loop"))
                .collect();
            names.sort_by_key(|name| (name.len(), name.clone()));
            Ok(names
                .iter()
                .filter_map(|name| {
                    std::fs::read_to_string(format!("/sys/block/{name}/loop/backing_file")).ok()
                })
                .filter_map(|text| parse_backing_file(&text))
                .collect())
        }
        Err(err) => {
            let output = command::run("losetup", &["-a"], context.timeout)
                .map_err(|why| format!("/sys/block: {}; {why}", io_reason(&err)))?;
            if output.success {
                Ok(parse_losetup(&output.stdout))
            } else {
                Err(format!("losetup -a failed: {}", first_line(&output.stderr)))
            }
        }
    }
}

/// Records `storage.loop_backing_files`, `storage.volume_groups` and `storage.swift_drive_mounted`.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    match loop_backing_files(context) {
        Ok(files) => out.list("storage.loop_backing_files", files),
        Err(why) => out.not_read("storage.loop_backing_files", why),
    }

    match command::run("vgs", &["--noheadings", "-o", "vg_name"], context.timeout) {
        // As non-root, vgs may print nothing and a permission warning yet exit 0 on some versions.
        Ok(output) if output.success && !output.stderr.contains("Permission denied") => {
            out.list("storage.volume_groups", parse_vgs(&output.stdout))
        }
        Ok(output) => {
            let detail = output
                .stderr
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty() && !line.starts_with("WARNING: Running as a non-root user"))
                .unwrap_or_else(|| first_line(&output.stderr));
            out.not_read("storage.volume_groups", format!("vgs failed (it usually needs root): {detail}"))
        }
        Err(why) => out.not_read("storage.volume_groups", why),
    }

    let swift_data = context
        .settings
        .get("SWIFT_DATA_DIR")
        .map_or_else(|| format!("{}/swift", context.settings.data_dir()), str::to_string);
    let drive = Path::new(&swift_data).join("drives/sdb1");
    match std::fs::read_to_string("/proc/mounts") {
        Ok(text) => {
            let mounted = parse_mount_points(&text).iter().any(|point| Path::new(point) == drive);
            out.bool("storage.swift_drive_mounted", mounted);
        }
        Err(err) => {
            out.not_read("storage.swift_drive_mounted", format!("reading /proc/mounts: {}", io_reason(&err)))
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losetup_backing_files() {
        let files = parse_losetup(include_str!("../../../samples/host/losetup-a"));
        assert_eq!(files.len(), 5);
        assert_eq!(files[2], "/opt/stack/data/stack-volumes-lvmdriver-1-backing-file");
        assert_eq!(files[4], "/opt/stack/data/stack-volumes-default-backing-file (deleted)");
    }

    #[test]
    fn sysfs_backing_file() {
        let text = include_str!("../../../samples/host/sys-block-loop2-loop-backing_file");
        assert_eq!(
            parse_backing_file(text).as_deref(),
            Some("/opt/stack/data/stack-volumes-lvmdriver-1-backing-file")
        );
        assert_eq!(parse_backing_file("\n"), None);
    }

    #[test]
    fn volume_groups() {
        let vgs = parse_vgs(include_str!("../../../samples/host/vgs-noheadings"));
        assert_eq!(vgs, ["stack-volumes-default", "stack-volumes-lvmdriver-1", "ubuntu-vg"]);
        let stderr = include_str!("../../../samples/host/vgs-non-root-stderr");
        assert!(stderr.contains("Permission denied"));
    }

    #[test]
    fn swift_drive_in_mounts() {
        let points = parse_mount_points(include_str!("../../../samples/host/proc-mounts"));
        assert!(points.iter().any(|p| p == "/opt/stack/data/swift/drives/sdb1"));
        assert!(points.iter().any(|p| p == "/mnt/big disk"));
        // Near miss: etcd's tmpfs is under data/ but is not the swift drive.
        assert!(!points.iter().any(|p| p == "/opt/stack/data/swift/drives"));
    }
}
