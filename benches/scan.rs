//! Criterion benchmarks of the scanner (`cargo bench --bench scan`; add `-- --quick` for a short run).
//!
//! - `scan/stack.sh.log`: `SourceScanner` over ~8 MiB of a mixed DevStack log (xtrace, pip, git, apt,
//!   tables, journal lines) named on the command line, so every signature applies and the run model
//!   follows it; throughput in bytes.
//! - `scan/screen-n-cpu.txt`: the same over ~8 MiB of a service journal found by walking a directory
//!   (the rules' `files` globs apply).
//! - `prefilter/grams`: the gram filter alone (`GramFilter::each`, every literal occurrence) over the
//!   same mixed log, the part of a scan that reads every byte.
//! - `startup/load`, `startup/load+compile`: loading and validating the embedded rules, and that plus
//!   compiling them into a `Matcher` (what every `devstack-doctor` invocation pays before reading).
//!
//! The logs come from `examples/gen-corpus.rs` (included below as a module), with every plantable
//! failure excerpt of the built-in rules planted once; before timing anything the benchmark checks
//! that a scan finds them all, so a faster scanner that misses failures cannot look good here.
//! `benches/compare-rg.sh` compares the whole binary with ripgrep on much larger inputs.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use devstack_doctor::{
    engine::{
        evaluate::{evaluate, EvalOptions},
        Matcher, SourceScanner,
    },
    facts::Facts,
    input::Role,
    rules::{sources, RuleSet},
};

#[allow(dead_code)]
#[path = "../examples/gen-corpus.rs"]
mod gen;

/// Size of each in-memory log.
const BUFFER: usize = 8 << 20;
/// The reader hands the scanner chunks of about this size (`input::logs` reads 2 MiB at a time).
const CHUNK: usize = 2 << 20;
const SEED: u64 = 42;

/// Cuts `buf` into chunks of about `CHUNK` bytes that end at a line end, as the reader does.
fn chunks(buf: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = buf;
    while rest.len() > CHUNK {
        let cut = rest[..CHUNK].iter().rposition(|b| *b == b'\n').map_or(CHUNK, |p| p + 1);
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

fn scan(
    matcher: &Matcher<'_>,
    name: &str,
    explicit: bool,
    parts: &[&[u8]],
) -> devstack_doctor::engine::SourceScan {
    let mut scanner = SourceScanner::new(matcher, name, name, explicit, Role::StackLog);
    for part in parts {
        scanner.chunk(part);
    }
    scanner.finish()
}

/// Panics unless a scan of `buf` makes every rule planted in it fire.
fn check_planted(matcher: &Matcher<'_>, name: &str, explicit: bool, parts: &[&[u8]]) {
    let (plants, _) = gen::plantable(matcher, name);
    let result = scan(matcher, name, explicit, parts);
    let evaluation =
        evaluate(matcher, std::slice::from_ref(&result), &Facts::new(), EvalOptions { include_info: true });
    let missed: Vec<&str> = plants
        .iter()
        .map(|p| p.rule.as_str())
        .filter(|id| !evaluation.findings.iter().any(|f| f.rule_id == *id))
        .collect();
    assert!(missed.is_empty(), "the scan of {name} missed planted failures: {missed:?}");
}

fn bench_scan(c: &mut Criterion) {
    let rules = gen::builtin_rules().expect("the built-in rules load without problems");
    let matcher = Matcher::new(&rules).expect("the built-in rules compile");
    let service = gen::SERVICES.iter().find(|s| s.unit == "n-cpu").expect("n-cpu is a generated service");
    let inputs =
        [("stack.sh.log", gen::Kind::Mixed, true), ("screen-n-cpu.txt", gen::Kind::Journal(service), false)];
    let mut group = c.benchmark_group("scan");
    group.sample_size(20);
    for (name, kind, explicit) in inputs {
        let buf = gen::buffer_with_plants(&matcher, kind, name, BUFFER, SEED);
        let parts = chunks(&buf);
        check_planted(&matcher, name, explicit, &parts);
        group.throughput(Throughput::Bytes(buf.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(scan(&matcher, name, explicit, black_box(&parts))))
        });
    }
    group.finish();
}

fn bench_prefilter(c: &mut Criterion) {
    let rules = gen::builtin_rules().expect("the built-in rules load without problems");
    let matcher = Matcher::new(&rules).expect("the built-in rules compile");
    let grams = matcher.prefilter.grams.as_ref().expect("the built-in rules have literals");
    let buf = gen::buffer_with_plants(&matcher, gen::Kind::Mixed, "stack.sh.log", BUFFER, SEED);
    let mut group = c.benchmark_group("prefilter");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(buf.len() as u64));
    group.bench_function("grams", |b| {
        b.iter(|| {
            let mut found = 0usize;
            grams.each(black_box(&buf), &mut |start, literal| found += start ^ literal);
            black_box(found)
        })
    });
    group.finish();
}

fn bench_startup(c: &mut Criterion) {
    let mut group = c.benchmark_group("startup");
    group.sample_size(20);
    group.bench_function("load", |b| {
        b.iter(|| {
            let (rules, problems) = RuleSet::load(&sources::embedded());
            black_box((rules.rules.len(), problems.len()))
        })
    });
    group.bench_function("load+compile", |b| {
        b.iter(|| {
            let (rules, _) = RuleSet::load(&sources::embedded());
            let matcher = Matcher::new(&rules).expect("the built-in rules compile");
            black_box(matcher.sigs.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_scan, bench_prefilter, bench_startup);
criterion_main!(benches);
