//! The full knowledge-base entry of one rule, for `devstack-doctor explain ID`.

use std::io::{self, Write};

use colored::Colorize;

use crate::rules::Rule;

/// Writes the entry.
pub fn render(rule: &Rule, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{} {}", format!("[{}]", rule.id).bold(), rule.title.bold())?;
    writeln!(out, "severity: {}   area: {}   file: {}", rule.severity, rule.area, rule.path)?;
    if !rule.aliases.is_empty() {
        writeln!(out, "formerly: {}", rule.aliases.join(", "))?;
    }
    writeln!(out)?;
    writeln!(out, "{}", "What happens".bold())?;
    for line in rule.summary.lines() {
        writeln!(out, "  {}", line.trim())?;
    }
    writeln!(out)?;
    writeln!(out, "{}", "How to fix it".bold())?;
    writeln!(out, "  {}", rule.fix.summary)?;
    for (index, step) in rule.fix.steps.iter().enumerate() {
        writeln!(out, "  {}. {step}", index + 1)?;
    }
    if !rule.signatures.is_empty() || !rule.conditions.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", "How it is recognised".bold())?;
        for sig in &rule.signatures {
            let files =
                if sig.files.is_empty() { String::new() } else { format!("  (in {})", sig.files.join(", ")) };
            writeln!(out, "  line matching /{}/{files}", sig.regex.as_str().trim())?;
            if let Some(follow) = &sig.followed_by {
                writeln!(out, "    followed within {} lines by /{}/", sig.within, follow.as_str().trim())?;
            }
        }
        for cond in &rule.conditions {
            writeln!(out, "  fact {} {:?}", cond.fact, cond.op)?;
        }
    }
    if !rule.explains.is_empty() {
        writeln!(out)?;
        writeln!(out, "{} {}", "Also explains:".bold(), rule.explains.join(", "))?;
    }
    writeln!(out)?;
    writeln!(out, "{}", "References".bold())?;
    for reference in &rule.references {
        writeln!(out, "  {} <{}>", reference.title, reference.url)?;
    }
    Ok(())
}
