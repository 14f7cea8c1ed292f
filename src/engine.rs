//! The rule engine: [`compile`] turns a rule set into a matcher (the required literals of every
//! signature in one gram filter, see [`literals`] and [`grams`], plus the file globs that pick which
//! signatures apply to which file), [`scan`] runs it over the
//! lines of one source and follows the run model, [`mod@evaluate`] turns the hits of all sources plus the
//! facts into ranked findings, and [`selftest`] runs the tests embedded in rules. The engine does no
//! I/O: it is handed bytes and returns values.

pub mod compile;
pub mod evaluate;
mod gram_hash;
pub mod grams;
pub mod literals;
pub mod scan;
pub mod search;
pub mod selftest;

pub use compile::Matcher;
pub use evaluate::{evaluate, Evaluation};
pub use scan::{SourceScan, SourceScanner};
