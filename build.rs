//! Embeds every rule file under `rules/` in the binary, so that the built-in knowledge base needs no
//! files at run time. The generated table is `(path relative to the crate, contents)`.

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
}
