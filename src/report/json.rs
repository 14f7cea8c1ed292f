//! The JSON renderer: one pretty-printed document of schema version [`super::SCHEMA_VERSION`].

use std::io::{self, Write};

use super::Report;

/// Writes the report as JSON.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
    writeln!(out)
}
