//! Disk space: free MiB and percentage used of the filesystems holding `/`, `/var` and DEST (or its
//! nearest existing parent before the first run), from `df -P -k`, which needs no root.

use std::path::{Path, PathBuf};

use super::{command, first_line, Collected, Context};

/// One filesystem line of `df -P -k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DfRow {
    /// Available space in KiB.
    pub available_kib: u64,
    /// The Capacity column: percentage used.
    pub used_pct: i64,
    /// Where it is mounted.
    pub mount: String,
}

/// Parses `df -P -k` output. Device names or mount points with spaces are handled by anchoring on the
/// four numeric columns.
pub(crate) fn parse_df(text: &str) -> Vec<DfRow> {
    text.lines().skip(1).filter_map(parse_df_line).collect()
}

fn parse_df_line(line: &str) -> Option<DfRow> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = (1..words.len().saturating_sub(4)).find(|&i| {
        words[i..i + 3].iter().all(|w| w.bytes().all(|b| b.is_ascii_digit()))
            && words[i + 3].strip_suffix('%').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    })?;
    Some(DfRow {
        available_kib: words[at + 2].parse().ok()?,
        used_pct: words[at + 3].trim_end_matches('%').parse().ok()?,
        mount: words[at + 4..].join(" "),
    })
}

/// `path`, or its nearest existing ancestor.
pub(crate) fn nearest_existing(path: &Path) -> PathBuf {
    path.ancestors().find(|p| p.exists()).map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// Records `disk.{root,var,dest}.{free_mib,used_pct}` and `disk.dest.mount`.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    let dest = nearest_existing(Path::new(&context.settings.dest()));
    for (name, path) in [("root", PathBuf::from("/")), ("var", PathBuf::from("/var")), ("dest", dest)] {
        let free = format!("disk.{name}.free_mib");
        let used = format!("disk.{name}.used_pct");
        let path_text = path.display().to_string();
        let row = command::run("df", &["-P", "-k", &path_text], context.timeout).and_then(|output| {
            if !output.success {
                return Err(format!("df {path_text} failed: {}", first_line(&output.stderr)));
            }
            parse_df(&output.stdout)
                .into_iter()
                .next()
                .ok_or_else(|| format!("df {path_text} printed no filesystem"))
        });
        match row {
            Ok(row) => {
                out.int(&free, i64::try_from(row.available_kib / 1024).unwrap_or(i64::MAX));
                out.int(&used, row.used_pct);
                if name == "dest" {
                    out.str("disk.dest.mount", row.mount);
                }
            }
            Err(why) => {
                out.not_read_all(&[&free, &used], &why);
                if name == "dest" {
                    out.not_read("disk.dest.mount", why);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_filesystem() {
        let rows = parse_df(include_str!("../../../samples/host/df-P-k-root"));
        assert_eq!(rows, vec![DfRow { available_kib: 9_213_228, used_pct: 91, mount: "/".into() }]);
    }

    #[test]
    fn full_dest() {
        let rows = parse_df(include_str!("../../../samples/host/df-P-k-dest-full"));
        assert_eq!(rows, vec![DfRow { available_kib: 0, used_pct: 100, mount: "/opt/stack".into() }]);
    }

    #[test]
    fn mount_point_with_space() {
        let rows = parse_df(include_str!("../../../samples/host/df-P-k-mount-with-space"));
        assert_eq!(rows[0].mount, "/mnt/big disk");
        assert_eq!(rows[0].used_pct, 1);
        assert!(parse_df("Filesystem 1024-blocks Used Available Capacity Mounted on\n").is_empty());
    }

    #[test]
    fn missing_dest_uses_its_parent() {
        assert_eq!(nearest_existing(Path::new("/no/such/dir/devstack-doctor")), PathBuf::from("/"));
        assert_eq!(nearest_existing(Path::new("/tmp/no-such-dir-devstack-doctor")), PathBuf::from("/tmp"));
    }
}
