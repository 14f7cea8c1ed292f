//! The library's error type. Per-file problems during a scan are not errors of this type: they are
//! collected as [`crate::report::InputProblem`]s so that the scan goes on with the other files.

use std::path::PathBuf;

/// Errors that stop a library operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Rule files did not load; every problem is listed.
    #[error("{} problem(s) in the rules", .0.len())]
    Rules(Vec<crate::rules::Problem>),
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
