//! devstack-doctor: a knowledge base of DevStack failures and the engine that matches it against the
//! logs of a `stack.sh` run (and, optionally, the state of the host).
//!
//! The pipeline is: [`input`] finds and reads logs, [`logline`] turns raw lines into messages,
//! [`run`] follows the shape of a stack.sh run, [`engine`] matches rules and ranks findings, and
//! [`report`] renders them. [`rules`] loads and validates the knowledge base; [`facts`] owns the
//! catalogue of facts that rules may test. The library API carries no stability promise beyond the
//! JSON report, which is versioned.

pub mod app;
pub mod cli;
pub mod collect;
pub mod engine;
pub mod facts;
pub mod hook;
pub mod input;
pub mod logline;
pub mod redact;
pub mod report;
pub mod rules;
pub mod run;
pub mod suggest;
pub mod wrapper;
