//! Prints the prefilter literal of every signature of the built-in rules, shortest first: a report for
//! rule authors (a short or common literal makes a signature's regex run on many lines) and the input
//! for benchmarking the prefilter on its own.
//!
//! `cargo run --release --example literals [N]` prints the N shortest (all by default) as
//! `length<TAB>rule<TAB>case-insensitive<TAB>literal`.

// An example program prints its report: that is its whole job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use devstack_doctor::{
    engine::literals,
    rules::{sources, RuleSet},
};

fn main() {
    let limit = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(usize::MAX);
    let (rules, problems) = RuleSet::load(&sources::embedded());
    for problem in &problems {
        eprintln!("{problem}");
    }
    let mut rows = Vec::new();
    for rule in &rules.rules {
        for sig in &rule.signatures {
            match literals::required(sig.regex.as_str()) {
                Some(set) => {
                    for literal in set {
                        rows.push((
                            literal.bytes.len(),
                            rule.id.clone(),
                            literal.case_insensitive,
                            String::from_utf8_lossy(&literal.bytes).into_owned(),
                        ));
                    }
                }
                None => rows.push((0, rule.id.clone(), false, "(none: checked on every line)".into())),
            }
        }
    }
    rows.sort();
    for (len, id, folded, literal) in rows.into_iter().take(limit) {
        println!("{len}\t{id}\t{folded}\t{literal:?}");
    }
}
