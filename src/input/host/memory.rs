//! Memory: total and available memory and total swap, in MiB, from `/proc/meminfo`.

use std::collections::BTreeMap;

use super::{Collected, Context};
use crate::input::io_reason;

/// The `Name: <n> kB` lines of `/proc/meminfo`, in KiB (lines without a unit, such as
/// `HugePages_Total`, are counts and kept as they are).
pub(crate) fn parse_meminfo(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let value = rest.split_whitespace().next()?.parse().ok()?;
            Some((name.trim().to_string(), value))
        })
        .collect()
}

/// Records `mem.total_mib`, `mem.available_mib` and `swap.total_mib`.
pub(crate) fn collect(_context: &Context) -> Collected {
    let mut out = Collected::default();
    let fields = [
        ("mem.total_mib", "MemTotal"),
        ("mem.available_mib", "MemAvailable"),
        ("swap.total_mib", "SwapTotal"),
    ];
    match std::fs::read_to_string("/proc/meminfo") {
        Ok(text) => {
            let meminfo = parse_meminfo(&text);
            for (key, name) in fields {
                match meminfo.get(name) {
                    Some(kib) => out.int(key, i64::try_from(kib / 1024).unwrap_or(i64::MAX)),
                    None => out.not_read(key, format!("no {name} in /proc/meminfo")),
                }
            }
        }
        Err(err) => {
            let why = format!("reading /proc/meminfo: {}", io_reason(&err));
            out.not_read_all(&fields.map(|(key, _)| key), &why);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_in_kib() {
        let meminfo = parse_meminfo(include_str!("../../../samples/host/meminfo"));
        assert_eq!(meminfo["MemTotal"], 16_365_488);
        assert_eq!(meminfo["MemAvailable"], 9_873_212);
        assert_eq!(meminfo["SwapTotal"], 4_194_300);
        assert_eq!(meminfo["HugePages_Total"], 0);
        assert_eq!(meminfo["MemTotal"] / 1024, 15_981);
        assert!(!meminfo.contains_key("MemTotal "));
    }
}
