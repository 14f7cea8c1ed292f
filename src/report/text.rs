//! The text renderer, shaped like compiler diagnostics: a line on how the run ended, then each finding
//! (`error[rule-id] title`, its evidence with file and line, the fix and references), root cause first.
//! Findings explained by another one are shown briefly. Colour is decided by the caller.

use std::io::{self, Write};

use colored::{ColoredString, Colorize};

use super::{Finding, Location, Report};
use crate::{rules::Severity, run::RunStatus};

/// What to leave out.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Only the findings: no run line, no closing count.
    pub quiet: bool,
}

/// Writes the report as text.
pub fn render(report: &Report, options: TextOptions, out: &mut dyn Write) -> io::Result<()> {
    if !options.quiet {
        run_line(report, out)?;
        writeln!(out)?;
    }
    for finding in &report.findings {
        finding_block(finding, report, out)?;
        writeln!(out)?;
    }
    if !options.quiet {
        closing_line(report, out)?;
    }
    Ok(())
}

fn run_line(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let run = &report.run;
    let phase = run.phase.as_deref().map(|p| format!(" in phase \"{p}\"")).unwrap_or_default();
    match run.status {
        RunStatus::Failed => {
            let at = run.failed_at.as_ref().map(|l| format!(" at {}:{}", l.path, l.line)).unwrap_or_default();
            writeln!(out, "{} stack.sh {}{phase}{at}", "run:".bold(), "failed".red().bold())?;
            if let Some(at) = &run.failed_at {
                writeln!(out, "   {} {}", "|".blue(), at.text)?;
            }
            for frame in &run.call_trace {
                writeln!(out, "   {} {}", "=".blue(), format!("called from {frame}").dimmed())?;
            }
            if let Some(cmd) = &run.failing_command {
                if run.failed_at.as_ref() != Some(cmd) {
                    writeln!(
                        out,
                        "   {} last command ({}:{}): {}",
                        "=".blue(),
                        cmd.path,
                        cmd.line,
                        cmd.text
                    )?;
                }
            }
        }
        RunStatus::Succeeded => {
            writeln!(out, "{} stack.sh {}{phase}", "run:".bold(), "succeeded".green().bold())?
        }
        RunStatus::Unknown => {
            let why = if run.log.is_some() {
                "the log does not show how the run ended"
            } else {
                "no stack.sh log was scanned"
            };
            writeln!(out, "{} {} ({why}){phase}", "run:".bold(), "unknown".yellow().bold())?;
        }
    }
    Ok(())
}

fn severity_label(severity: Severity) -> ColoredString {
    match severity {
        Severity::Critical => "critical".magenta().bold(),
        Severity::Error => "error".red().bold(),
        Severity::Warning => "warning".yellow().bold(),
        Severity::Info => "info".cyan().bold(),
    }
}

fn finding_block(finding: &Finding, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let head = format!("[{}]", finding.rule_id);
    let tag = if finding.root_cause { format!(" {}", "(root cause)".bold()) } else { String::new() };
    writeln!(out, "{}{} {}{tag}", severity_label(finding.severity), head.bold(), finding.title.bold())?;
    evidence(&finding.evidence, finding.hits, report, out)?;
    // The run facts are already in the run line at the top.
    for (key, value) in finding.facts.iter().filter(|(k, _)| !k.starts_with("run.")) {
        writeln!(out, "   {} {key} = {}", "=".blue(), value.display())?;
    }
    if let Some(by) = &finding.explained_by {
        writeln!(out, "   {} probably fallout of [{by}] above", "=".blue())?;
        return Ok(());
    }
    if !finding.explains.is_empty() {
        writeln!(out, "   {} also explains: {}", "=".blue(), finding.explains.join(", "))?;
    }
    wrapped(out, "  ", &format!("{} ", "why:".bold()), "       ", &finding.summary)?;
    writeln!(out, "  {} {}", "fix:".green().bold(), finding.fix.summary)?;
    for (index, step) in finding.fix.steps.iter().enumerate() {
        writeln!(out, "       {}. {step}", index + 1)?;
    }
    for reference in &finding.references {
        writeln!(out, "  {} {} <{}>", "see:".bold(), reference.title, reference.url)?;
    }
    Ok(())
}

fn evidence(lines: &[Location], hits: u64, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let width = lines.iter().map(|l| l.line.to_string().len()).max().unwrap_or(1);
    let mut current: Option<&str> = None;
    for location in lines {
        if current != Some(location.path.as_str()) {
            let phase = match (&report.run.log, &report.run.phase) {
                (Some(log), Some(phase)) if *log == location.path => format!("  (phase: {phase})"),
                _ => String::new(),
            };
            writeln!(out, "{:>width$}{} {}:{}{phase}", "", "-->".blue(), location.path, location.line)?;
            current = Some(location.path.as_str());
        }
        writeln!(out, "{:>width$} {} {}", location.line.to_string().blue(), "|".blue(), location.text)?;
    }
    let shown = lines.len() as u64;
    if hits > shown && shown > 0 {
        writeln!(out, "{:>width$} {} {} matching lines in all", "", "=".blue(), hits)?;
    }
    Ok(())
}

/// Writes `text` after `first`, wrapped at about 100 columns, continuing lines with `rest`.
fn wrapped(out: &mut dyn Write, indent: &str, first: &str, rest: &str, text: &str) -> io::Result<()> {
    let mut line = String::new();
    let mut lead = format!("{indent}{first}");
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 90 {
            writeln!(out, "{lead}{line}")?;
            line.clear();
            lead = rest.to_string();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        writeln!(out, "{lead}{line}")?;
    }
    Ok(())
}

fn closing_line(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let mut parts = Vec::new();
    for (severity, name) in [
        (Severity::Critical, "critical"),
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ] {
        let n = count(severity);
        if n > 0 {
            let plural =
                if n == 1 || severity == Severity::Info || severity == Severity::Critical { "" } else { "s" };
            parts.push(format!("{n} {name}{plural}"));
        }
    }
    let files = report.stats.files;
    let scanned = format!(
        "{} file{} ({} lines) against {} rules",
        files,
        if files == 1 { "" } else { "s" },
        report.stats.lines,
        report.stats.rules
    );
    if parts.is_empty() {
        writeln!(out, "{} no known problem found; scanned {scanned}", "summary:".bold())?;
    } else {
        let root = report
            .findings
            .iter()
            .find(|f| f.root_cause)
            .map(|f| format!("; root cause: {}", f.rule_id))
            .unwrap_or_default();
        writeln!(out, "{} {}{root}; scanned {scanned}", "summary:".bold(), parts.join(", "))?;
    }
    Ok(())
}
