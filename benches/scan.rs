//! Placeholder replaced by the scanner benchmark.
fn main() {}
