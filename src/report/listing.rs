//! Listings of rules: one line each (`id  severity  area  title`) or a JSON array.

use std::io::{self, Write};

use colored::Colorize;
use serde::Serialize;

use crate::rules::Rule;

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    severity: &'a str,
    area: &'a str,
    title: &'a str,
    path: &'a str,
}

/// Writes one line per rule, or a JSON array.
pub fn render(rules: &[&Rule], json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        let rows: Vec<Row<'_>> = rules
            .iter()
            .map(|r| Row {
                id: &r.id,
                severity: r.severity.as_str(),
                area: &r.area,
                title: &r.title,
                path: &r.path,
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::from)?;
        return writeln!(out);
    }
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for rule in rules {
        writeln!(
            out,
            "{:<width$}  {:<8}  {:<9}  {}",
            rule.id.bold(),
            rule.severity.as_str(),
            rule.area,
            rule.title
        )?;
    }
    Ok(())
}
