//! Embeds every rule file under `rules/` in the binary, so that the built-in knowledge base needs no
//! files at run time. The generated table is `(path relative to the crate, contents)`.
//!
//! Also writes the background profile of the literal prefilter: how often each 4-byte window occurs
//! in the logs of successful runs under `samples/logs/success/` (see `src/engine/grams.rs`).

#[path = "src/engine/gram_hash.rs"]
mod gram_hash;

use std::{env, fs, path::Path};

fn main() {
    // Read at run time, not with env!(): a build script binary may be reused for another checkout.
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR set by cargo");
    let root = Path::new(&manifest_dir);
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut entries: Vec<String> = Vec::new();
    for entry in walkdir::WalkDir::new(&rules).sort_by_file_name() {
        let entry = entry.expect("walking rules/ at build time");
        let path = entry.path();
        if entry.file_type().is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let rel = path.strip_prefix(root).expect("rule path under the crate");
        entries.push(format!(
            "    ({:?}, include_str!({:?})),\n",
            rel.to_string_lossy(),
            path.to_string_lossy()
        ));
    }
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR set by cargo")).join("embedded_rules.rs");
    let body = format!(
        "/// Every built-in rule file: (path, contents).\npub(crate) static EMBEDDED_RULES: &[(&str, &str)] = &[\n{}];\n",
        entries.concat()
    );
    fs::write(out, body).expect("writing embedded_rules.rs");
    write_gram_profile(root);
}

/// One byte per hash bucket: occurrences of the 4-byte windows that hash there, over every `*.log` of
/// successful runs, on a log scale (`16 * log2(1 + n)`, so that common and very common stay apart). A missing directory gives an all-zero profile (every literal looks
/// equally rare; the prefilter still works, it only chooses less well).
fn write_gram_profile(root: &Path) {
    let dir = root.join("samples/logs/success");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut counts = vec![0u32; 1 << gram_hash::PROFILE_BITS];
    let mut logs: Vec<_> = fs::read_dir(&dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    logs.retain(|p| p.extension().and_then(|e| e.to_str()) == Some("log"));
    logs.sort();
    for log in logs {
        println!("cargo:rerun-if-changed={}", log.display());
        let bytes = fs::read(&log).expect("reading a sample log at build time");
        for window in bytes.windows(4) {
            let word = u32::from_le_bytes([window[0], window[1], window[2], window[3]]);
            counts[gram_hash::gram_hash(word, gram_hash::PROFILE_BITS)] += 1;
        }
    }
    let profile: Vec<u8> = counts
        .iter()
        .map(|n| (16.0 * f64::from(*n).ln_1p() / std::f64::consts::LN_2).round().min(255.0) as u8)
        .collect();
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR set by cargo")).join("gram_profile.bin");
    fs::write(out, profile).expect("writing gram_profile.bin");
}
