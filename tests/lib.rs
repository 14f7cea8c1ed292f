//! The integration tests, in one binary: the knowledge base proves itself (every rule's embedded
//! tests, references that exist), every sample log is diagnosed as its `.expect.toml` says (and no
//! rule fires on a successful run), the renderers are snapshot-tested, and the CLI's exit codes and
//! messages are checked end to end.

mod bundles;
mod canary;
mod cli;
mod knowledge_base;
mod prefilter_props;
mod robustness;
mod run_model_props;
mod samples;
mod snapshots;
mod support;
mod ticket;
