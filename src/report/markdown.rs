//! The Markdown renderer: a report to paste into a ticket, a bug or a code review. It reads well both
//! rendered (GitHub, Launchpad, Gerrit) and as plain text: a verdict line, the failing line and call
//! trace, the root cause in full, the other findings briefly, the environment as a table and a footer
//! naming the tool and its inputs.
//!
//! Boundary: it reads a [`Report`] and an [`Environment`] the caller filled in, and writes to the
//! `Write` it is given. It collects nothing and redacts nothing (redaction happens when evidence is
//! captured); it only warns, on the first line, when the caller says the report is not redacted.
//! Output is deterministic and stays under [`MarkdownOptions::max_bytes`]: when it would not, the
//! evidence of the lowest-ranked findings goes first, then those findings, and the report says so.

use std::io::{self, Write};

use super::{Finding, Location, Report};
use crate::run::RunStatus;

/// Default for [`MarkdownOptions::max_evidence_lines`].
pub const DEFAULT_MAX_EVIDENCE_LINES: usize = 8;
/// Default for [`MarkdownOptions::max_bytes`]; comfortably below the comment limits of common trackers.
pub const DEFAULT_MAX_BYTES: usize = 60_000;

/// Paragraphs are wrapped at about this many columns so that the plain text reads well too.
const WRAP: usize = 100;

/// Facts about the machine, shown as a two-column table; the caller fills it in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// Label and value, in the order to show them, e.g. `("OS", "Ubuntu 24.04.1 LTS")`.
    pub rows: Vec<(String, String)>,
}

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// The evidence went through the redactor. When false, the report opens with a warning that it may
    /// hold passwords.
    pub redacted: bool,
    /// Evidence lines shown per finding at most.
    pub max_evidence_lines: usize,
    /// Upper bound on the size of the whole report, in bytes.
    pub max_bytes: usize,
}

impl Default for MarkdownOptions {
    /// Not redacted (so the warning shows unless the caller knows better), 8 evidence lines, 60 000 bytes.
    fn default() -> MarkdownOptions {
        MarkdownOptions {
            redacted: false,
            max_evidence_lines: DEFAULT_MAX_EVIDENCE_LINES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Writes the report as Markdown.
pub fn render(
    report: &Report,
    env: &Environment,
    options: MarkdownOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    out.write_all(compose(report, env, &options).as_bytes())
}

/// What to leave out to stay under the size limit.
#[derive(Debug, Clone)]
struct Plan {
    /// Per finding (in report order): whether its evidence is shown.
    evidence: Vec<bool>,
    /// How many findings (from the top) are shown.
    shown: usize,
}

/// The whole document, cut to size: first the evidence of the lowest-ranked findings (the root
/// cause's last), then whole findings from the bottom (never the first), and as a last resort the
/// text itself.
fn compose(report: &Report, env: &Environment, options: &MarkdownOptions) -> String {
    let count = report.findings.len();
    let mut plan = Plan { evidence: vec![true; count], shown: count };
    let mut doc = document(report, env, options, &plan);
    let mut next = count;
    while doc.len() > options.max_bytes && next > 0 {
        next -= 1;
        if report.findings[next].evidence.is_empty() {
            continue;
        }
        plan.evidence[next] = false;
        doc = document(report, env, options, &plan);
    }
    while doc.len() > options.max_bytes && plan.shown > 1 {
        plan.shown -= 1;
        doc = document(report, env, options, &plan);
    }
    if doc.len() > options.max_bytes {
        doc = cut(&doc, options.max_bytes);
    }
    doc
}

/// Cuts `doc` at a line boundary so that it fits in `max` bytes with a closing note, and closes a
/// code fence left open by the cut.
fn cut(doc: &str, max: usize) -> String {
    let note = format!("\n_The report was cut here to stay under {max} bytes._\n");
    // Room for the note and a closing fence of any sensible length.
    let budget = max.saturating_sub(note.len() + 32);
    let mut end = budget.min(doc.len());
    while !doc.is_char_boundary(end) {
        end -= 1;
    }
    let mut text = doc[..end].to_string();
    match text.rfind('\n') {
        Some(at) => text.truncate(at + 1),
        None => text.clear(),
    }
    if let Some(fence) = open_fence(&text) {
        text.push_str(&fence);
        text.push('\n');
    }
    text.push_str(&note);
    // Only a limit smaller than the note itself gets here with too much text.
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// The fence that closes a code block still open at the end of `text`, if any.
fn open_fence(text: &str) -> Option<String> {
    let mut open: Option<usize> = None;
    for line in text.lines() {
        let ticks = line.bytes().take_while(|&b| b == b'`').count();
        match open {
            None if ticks >= 3 => open = Some(ticks),
            Some(len) if ticks >= len && line.trim_end().len() == ticks => open = None,
            _ => {}
        }
    }
    open.map(|len| "`".repeat(len))
}

/// The whole document under a plan.
fn document(report: &Report, env: &Environment, options: &MarkdownOptions, plan: &Plan) -> String {
    let mut doc = Doc::default();
    if !options.redacted {
        doc.line(
            "> **Warning: this report is NOT redacted.** It may contain passwords, tokens or keys from the \
             logs. Read it before you share it.",
        );
        doc.blank();
    }
    doc.line("# devstack-doctor report");
    doc.blank();
    verdict(report, &mut doc);
    cut_note(report, options, plan, &mut doc);
    findings(report, options, plan, &mut doc);
    environment(env, &mut doc);
    footer(report, &mut doc);
    doc.text
}

/// A document under construction, line by line.
#[derive(Default)]
struct Doc {
    text: String,
}

impl Doc {
    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    /// A paragraph of prose: escaped, wrapped, `lead` (already Markdown) before its first word.
    fn paragraph(&mut self, lead: &str, prose: &str) {
        for line in wrap(lead, "", &atoms(prose), WRAP) {
            self.line(&line);
        }
        self.blank();
    }

    /// A fenced block of verbatim lines, with a fence longer than any run of backticks inside.
    fn fenced(&mut self, lines: &[String]) {
        let fence = fence_for(lines);
        self.line(&format!("{fence}text"));
        for line in lines {
            self.line(line);
        }
        self.line(&fence);
        self.blank();
    }
}

fn verdict(report: &Report, doc: &mut Doc) {
    let run = &report.run;
    let phase = run.phase.as_deref().map(|p| format!(" in phase \"{}\"", inline(p))).unwrap_or_default();
    let verdict = match run.status {
        RunStatus::Failed => {
            let at = run
                .failed_at
                .as_ref()
                .map(|l| format!(" at {}", code(&format!("{}:{}", l.path, l.line))))
                .unwrap_or_default();
            format!("stack.sh **failed**{phase}{at}.")
        }
        RunStatus::Succeeded => format!("stack.sh **succeeded**{phase}."),
        RunStatus::Unknown => {
            let why = if run.log.is_some() {
                "the log does not show how the run ended"
            } else {
                "no stack.sh log was scanned"
            };
            let phase = run
                .phase
                .as_deref()
                .map(|p| format!("; the last phase reached was \"{}\"", inline(p)))
                .unwrap_or_default();
            format!("**unknown**: {why}{phase}.")
        }
    };
    doc.line(&format!("**Verdict:** {verdict}"));
    doc.blank();

    let mut lines = Vec::new();
    if let Some(at) = &run.failed_at {
        lines.push(evidence_line(at));
    }
    if !run.call_trace.is_empty() {
        lines.push("Call trace (outermost first):".to_string());
        lines.extend(run.call_trace.iter().map(|frame| format!("  {frame}")));
    }
    if let Some(command) = &run.failing_command {
        if run.failed_at.as_ref() != Some(command) {
            lines.push(format!("Last command ({}:{}):", command.path, command.line));
            lines.push(format!("  {}", command.text));
        }
    }
    if !lines.is_empty() {
        doc.fenced(&lines);
    }
}

/// Says what was left out to stay under the size limit, right under the verdict where it is seen.
fn cut_note(report: &Report, options: &MarkdownOptions, plan: &Plan, doc: &mut Doc) {
    let shown = &report.findings[..plan.shown];
    let no_evidence: Vec<String> = shown
        .iter()
        .zip(&plan.evidence)
        .filter(|(_, kept)| !**kept)
        .map(|(finding, _)| code(&finding.rule_id))
        .collect();
    let dropped: Vec<String> = report.findings[plan.shown..].iter().map(|f| code(&f.rule_id)).collect();
    if no_evidence.is_empty() && dropped.is_empty() {
        return;
    }
    let mut parts = Vec::new();
    if !no_evidence.is_empty() {
        parts.push(format!("the evidence of {}", no_evidence.join(", ")));
    }
    if !dropped.is_empty() {
        parts.push(format!("the lower-ranked findings {}", dropped.join(", ")));
    }
    doc.line(&format!(
        "> **Note:** to stay under {} bytes, this report leaves out {}. Run `devstack-doctor diagnose` \
         for everything.",
        options.max_bytes,
        parts.join(" and ")
    ));
    doc.blank();
}

fn findings(report: &Report, options: &MarkdownOptions, plan: &Plan, doc: &mut Doc) {
    let shown = &report.findings[..plan.shown];
    let Some(first) = shown.first() else {
        let files = report.stats.files;
        doc.line(&format!(
            "No known problem found in {files} file{} ({} lines) against {} rules.",
            if files == 1 { "" } else { "s" },
            report.stats.lines,
            report.stats.rules
        ));
        doc.blank();
        return;
    };
    if first.root_cause {
        doc.line("## Root cause");
        doc.blank();
        finding(first, plan.evidence[0], true, options, doc);
        if shown.len() > 1 {
            doc.line("## Other findings");
            doc.blank();
            for (index, other) in shown.iter().enumerate().skip(1) {
                finding(other, plan.evidence[index], false, options, doc);
            }
        }
    } else {
        doc.line("## Findings");
        doc.blank();
        for (index, each) in shown.iter().enumerate() {
            finding(each, plan.evidence[index], false, options, doc);
        }
    }
}

/// One finding. The root cause gets everything; the others are compact, and one explained by another
/// finding shows only which one and its evidence.
fn finding(finding: &Finding, with_evidence: bool, full: bool, options: &MarkdownOptions, doc: &mut Doc) {
    doc.line(&format!("### {}: {}", code(&finding.rule_id), heading_text(&finding.title)));
    doc.blank();

    let mut meta = vec![
        format!("**Severity:** {}", finding.severity.as_str()),
        format!("**Area:** {}", inline(&finding.area)),
    ];
    if let Some(by) = &finding.explained_by {
        meta.push(format!("**Explained by:** {} (probably fallout of it)", code(by)));
    }
    if !finding.explains.is_empty() {
        let ids: Vec<String> = finding.explains.iter().map(|id| code(id)).collect();
        meta.push(format!("**Also explains:** {}", ids.join(", ")));
    }
    doc.line(&meta.join(" · "));
    doc.blank();

    // The run facts are already in the verdict at the top.
    let facts: Vec<String> = finding
        .facts
        .iter()
        .filter(|(key, _)| !key.starts_with("run."))
        .map(|(key, value)| format!("{} = {}", code(key), inline(&value.display())))
        .collect();
    if !facts.is_empty() {
        doc.line(&format!("**Facts:** {}", facts.join("; ")));
        doc.blank();
    }

    let explained = finding.explained_by.is_some();
    if (full || !explained) && !finding.summary.trim().is_empty() {
        doc.paragraph("**Why:** ", &finding.summary);
    }
    evidence(finding, with_evidence, options, doc);
    if explained && !full {
        return;
    }

    if !finding.fix.summary.trim().is_empty() {
        doc.paragraph("**Fix:** ", &finding.fix.summary);
    }
    if !finding.fix.steps.is_empty() {
        for (index, step) in finding.fix.steps.iter().enumerate() {
            let marker = format!("{}. ", index + 1);
            let indent = " ".repeat(marker.len());
            for line in wrap(&marker, &indent, &atoms(step), WRAP) {
                doc.line(&line);
            }
        }
        doc.blank();
    }
    if !finding.references.is_empty() {
        doc.line("**References:**");
        doc.blank();
        for reference in &finding.references {
            doc.line(&format!("- [{}]({})", inline(&reference.title), link_target(&reference.url)));
        }
        doc.blank();
    }
}

fn evidence(finding: &Finding, with_evidence: bool, options: &MarkdownOptions, doc: &mut Doc) {
    let total = finding.hits.max(finding.evidence.len() as u64);
    if total == 0 {
        return;
    }
    let plural = |n: u64| if n == 1 { "line" } else { "lines" };
    if !with_evidence {
        doc.line(&format!(
            "_Evidence: {total} matching {}, left out to keep this report short._",
            plural(total)
        ));
        doc.blank();
        return;
    }
    let shown: Vec<String> =
        finding.evidence.iter().take(options.max_evidence_lines).map(evidence_line).collect();
    doc.line(&format!("**Evidence** ({total} matching {}):", plural(total)));
    doc.blank();
    if !shown.is_empty() {
        doc.fenced(&shown);
    }
    let hidden = total - shown.len() as u64;
    if hidden > 0 {
        doc.line(&format!("_{hidden} more matching {} not shown._", plural(hidden)));
        doc.blank();
    }
}

/// `path:line: text`, or `path: text` for evidence that is not a line (facts).
fn evidence_line(location: &Location) -> String {
    if location.line == 0 {
        format!("{}: {}", location.path, location.text)
    } else {
        format!("{}:{}: {}", location.path, location.line, location.text)
    }
}

fn environment(env: &Environment, doc: &mut Doc) {
    if env.rows.is_empty() {
        return;
    }
    doc.line("## Environment");
    doc.blank();
    doc.line("| Item | Value |");
    doc.line("| --- | --- |");
    for (label, value) in &env.rows {
        doc.line(&format!("| {} | {} |", cell(label), cell(value)));
    }
    doc.blank();
}

fn footer(report: &Report, doc: &mut Doc) {
    doc.line("---");
    doc.blank();
    let files = report.stats.files;
    doc.line(&format!(
        "Generated by {} {} with a knowledge base of {} rules; scanned {} file{} ({} lines).",
        report.tool.name,
        report.tool.version,
        report.stats.rules,
        files,
        if files == 1 { "" } else { "s" },
        report.stats.lines
    ));
    for (label, problems) in [("Input errors", &report.errors), ("Input warnings", &report.warnings)] {
        if problems.is_empty() {
            continue;
        }
        doc.blank();
        doc.line(&format!("**{label}:**"));
        doc.blank();
        for problem in problems {
            doc.line(&format!("- {}: {}", code(&problem.path), inline(&problem.message)));
        }
    }
}

/// A fence of backticks longer than any run of backticks in `lines`, and at least three.
fn fence_for(lines: &[String]) -> String {
    let longest = lines.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// An inline code span holding `text` verbatim (on one line), whatever backticks it contains.
fn code(text: &str) -> String {
    let text = one_line(text);
    let ticks = "`".repeat(longest_run(&text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table cell: inline text with `|` escaped, also inside code spans (GFM splits cells first).
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Heading text: inline text whose trailing `#` would otherwise be taken for a closing sequence.
fn heading_text(text: &str) -> String {
    let mut text = inline(text);
    if text.ends_with('#') {
        text.insert(text.len() - 1, '\\');
    }
    text
}

/// A link destination: characters that would end it or break it are percent-encoded.
fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text from rules and logs made safe for one line of Markdown: code spans (in backticks) kept as
/// they are, everything else escaped where it would change the layout.
fn inline(text: &str) -> String {
    wrap("", "", &atoms(text), usize::MAX).join(" ")
}

/// A word of prose, or a code span kept whole.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Atom {
    /// Escaped Markdown.
    text: String,
    /// A space separates it from the atom before (so a line may break there).
    space_before: bool,
    /// A code span (never escaped, never broken).
    code: bool,
}

/// Splits prose into words and code spans, escaping the words. Whitespace runs become single spaces.
///
/// Escaped: `\` before punctuation, `*`, `[`, `]`, `<` (an HTML tag would vanish), `_` at the edge of
/// a word (inside `HOST_IP` it is literal and stays readable), `$` when there are two (GitHub math),
/// and backticks that do not form a code span. Line-start markers are handled by [`wrap`].
fn atoms(text: &str) -> Vec<Atom> {
    let chars: Vec<char> = one_line(text).chars().collect();
    let dollars = chars.iter().filter(|&&c| c == '$').count() >= 2;
    let mut out: Vec<Atom> = Vec::new();
    let mut word = String::new();
    let mut space = false;
    let mut i = 0;
    let flush = |word: &mut String, out: &mut Vec<Atom>, space: &mut bool| {
        if !word.is_empty() {
            out.push(Atom { text: std::mem::take(word), space_before: *space, code: false });
            *space = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' {
            flush(&mut word, &mut out, &mut space);
            space = true;
            i += 1;
            continue;
        }
        if c == '`' {
            let run = chars[i..].iter().take_while(|&&c| c == '`').count();
            if let Some(end) = closing_run(&chars, i + run, run) {
                flush(&mut word, &mut out, &mut space);
                let span: String = chars[i..end + run].iter().collect();
                out.push(Atom { text: span, space_before: space, code: true });
                space = false;
                i = end + run;
            } else {
                for _ in 0..run {
                    word.push_str("\\`");
                }
                i += run;
            }
            continue;
        }
        let before = if i > 0 { chars[i - 1] } else { ' ' };
        let after = chars.get(i + 1).copied().unwrap_or(' ');
        let escape = match c {
            '*' | '[' | ']' | '<' => true,
            '\\' => after.is_ascii_punctuation(),
            '_' => !before.is_alphanumeric() || !after.is_alphanumeric(),
            '$' => dollars,
            _ => false,
        };
        if escape {
            word.push('\\');
        }
        word.push(c);
        i += 1;
    }
    flush(&mut word, &mut out, &mut space);
    out
}

/// Where a run of exactly `len` backticks starts at or after `from`.
fn closing_run(chars: &[char], from: usize, len: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '`' {
            let run = chars[i..].iter().take_while(|&&c| c == '`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// Lays atoms out in lines of about `width` columns, breaking only at spaces. The first line starts
/// with `first`, the others with `rest`. A line that would start with something Markdown reads as a
/// block marker has it escaped (see [`line_start`]); a code span opening with a fence never starts one.
fn wrap(first: &str, rest: &str, atoms: &[Atom], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for atom in atoms {
        let starts_fence = atom.code && atom.text.starts_with("```");
        let fits = line.chars().count() + 1 + atom.text.chars().count() <= width;
        if !empty && atom.space_before && !fits && !starts_fence {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            empty = true;
        }
        if empty {
            line.push_str(&line_start(atom));
            empty = false;
        } else {
            if atom.space_before {
                line.push(' ');
            }
            line.push_str(&atom.text);
        }
    }
    if !empty || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// An atom that begins a line, with a leading block marker escaped: a blockquote (`>`), a heading
/// (`#` alone), a list item (`-`, `+` or `1.` alone), a thematic break or setext underline (`---`,
/// `===`), or a `~~~` fence. Words that merely start with these characters (`-foo`, `7.6`) are left alone.
fn line_start(atom: &Atom) -> String {
    let text = &atom.text;
    if atom.code {
        return text.clone();
    }
    let all = |c: char| text.chars().all(|x| x == c);
    if text.starts_with('>') || text.starts_with("~~~") || all('#') || all('-') || all('=') || text == "+" {
        return format!("\\{text}");
    }
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && matches!(&text[digits..], "." | ")") {
        return format!("{}\\{}", &text[..digits], &text[digits..]);
    }
    text.clone()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{
        facts::FactValue,
        report::{InputProblem, RunReport, Stats, Tool},
        rules::{Fix, Reference, Severity},
    };

    fn location(line: u64, text: &str) -> Location {
        Location { path: "stack.sh.log".to_string(), line, text: text.to_string() }
    }

    fn finding(id: &str, rank: usize) -> Finding {
        Finding {
            rule_id: id.to_string(),
            title: format!("title of {id}"),
            severity: Severity::Error,
            area: "git".to_string(),
            rank,
            root_cause: rank == 1,
            explains: Vec::new(),
            explained_by: None,
            summary: format!("Summary of {id}."),
            evidence: vec![location(4, &format!("evidence of {id}"))],
            hits: 1,
            facts: BTreeMap::new(),
            fix: Fix { summary: format!("Fix {id}."), steps: vec!["Run `./stack.sh` again.".to_string()] },
            references: vec![Reference {
                title: "A page".to_string(),
                url: "https://example.org/a_(b)".to_string(),
            }],
        }
    }

    fn report() -> Report {
        let mut root = finding("git-tls-ca-missing", 1);
        root.title = "git cannot verify the server's TLS certificate".to_string();
        root.explains = vec!["git-clone-failed".to_string()];
        root.fix.steps = vec![
            "Debian/Ubuntu: `sudo apt-get install --reinstall ca-certificates`".to_string(),
            "Remove the partial clone (`rm -rf /opt/stack/<project>`) and run `./unstack.sh && ./stack.sh`."
                .to_string(),
        ];
        root.evidence = (1..=12).map(|n| location(n, &format!("fatal: unable to access {n}"))).collect();
        root.hits = 20;
        root.facts.insert("host.mem_available_mib".to_string(), FactValue::Int(812));
        let mut fallout = finding("git-clone-failed", 2);
        fallout.explained_by = Some("git-tls-ca-missing".to_string());
        let mut warning = finding("low-memory", 3);
        warning.severity = Severity::Warning;
        warning.title = "Less than 4 GiB of *free* memory <for nova>".to_string();
        Report {
            schema_version: 1,
            tool: Tool::default(),
            redacted: true,
            run: RunReport {
                status: RunStatus::Failed,
                phase: Some("Installing OpenStack project source".to_string()),
                failed_at: Some(location(
                    10,
                    "[ERROR] /opt/stack/devstack/functions-common:709 git call failed",
                )),
                call_trace: vec!["./stack.sh:930:install_nova".to_string()],
                failing_command: Some(location(2, "+ functions-common:git_clone:640 : git_timed clone")),
                log: Some("stack.sh.log".to_string()),
            },
            findings: vec![root, fallout, warning],
            errors: vec![InputProblem::new("missing.log", "no such file")],
            warnings: Vec::new(),
            stats: Stats { files: 1, bytes: 1000, lines: 11, rules: 181 },
        }
    }

    fn env() -> Environment {
        Environment {
            rows: vec![
                ("OS".to_string(), "Ubuntu 24.04.1 LTS".to_string()),
                ("Enabled services".to_string(), "key|mysql|n-api".to_string()),
            ],
        }
    }

    fn render_with(report: &Report, options: MarkdownOptions) -> String {
        let mut out = Vec::new();
        render(report, &env(), options, &mut out).expect("render");
        String::from_utf8(out).expect("utf8")
    }

    fn section<'a>(text: &'a str, heading: &str) -> &'a str {
        let start = text.find(heading).expect("section");
        let rest = &text[start + heading.len()..];
        let end = rest.find("\n## ").map_or(rest.len(), |e| e + 1);
        &rest[..end]
    }

    #[test]
    fn warns_on_the_first_line_unless_redacted() {
        let text = render_with(&report(), MarkdownOptions::default());
        let first = text.lines().next().expect("a line");
        assert!(first.starts_with("> **Warning: this report is NOT redacted.**"), "{first}");
        assert!(first.contains("passwords"));

        let redacted =
            render_with(&report(), MarkdownOptions { redacted: true, ..MarkdownOptions::default() });
        assert_eq!(redacted.lines().next(), Some("# devstack-doctor report"));
        assert!(!redacted.contains("NOT redacted"));
    }

    #[test]
    fn verdict_names_the_phase_and_the_failing_line() {
        let text = render_with(&report(), MarkdownOptions::default());
        assert!(text.contains(
            "\n**Verdict:** stack.sh **failed** in phase \"Installing OpenStack project source\" at \
             `stack.sh.log:10`.\n"
        ));
        assert!(text.contains(
            "```text\nstack.sh.log:10: [ERROR] /opt/stack/devstack/functions-common:709 git call failed\n\
             Call trace (outermost first):\n  ./stack.sh:930:install_nova\n\
             Last command (stack.sh.log:2):\n  + functions-common:git_clone:640 : git_timed clone\n```\n"
        ));

        let mut ok = report();
        ok.run = RunReport { status: RunStatus::Succeeded, ..RunReport::default() };
        ok.findings.clear();
        let text = render_with(&ok, MarkdownOptions::default());
        assert!(text.contains("\n**Verdict:** stack.sh **succeeded**.\n"));
        assert!(text.contains("No known problem found in 1 file (11 lines) against 181 rules."));
        assert!(!text.contains("## Root cause"));

        let mut unknown = report();
        unknown.run = RunReport::default();
        let text = render_with(&unknown, MarkdownOptions::default());
        assert!(text.contains("\n**Verdict:** **unknown**: no stack.sh log was scanned.\n"));
    }

    #[test]
    fn root_cause_comes_first_in_full_and_the_others_briefly() {
        let text = render_with(&report(), MarkdownOptions::default());
        let root = section(&text, "## Root cause\n");
        assert!(
            root.starts_with("\n### `git-tls-ca-missing`: git cannot verify the server's TLS certificate\n")
        );
        assert!(root.contains("**Severity:** error · **Area:** git · **Also explains:** `git-clone-failed`"));
        assert!(root.contains("**Facts:** `host.mem_available_mib` = 812\n"));
        assert!(root.contains("**Why:** Summary of git-tls-ca-missing.\n"));
        assert!(root.contains("**Fix:** Fix git-tls-ca-missing.\n"));
        assert!(root.contains("1. Debian/Ubuntu: `sudo apt-get install --reinstall ca-certificates`\n"));
        // `<project>` outside a code span would be swallowed as an HTML tag; inside it is literal.
        assert!(root.contains("2. Remove the partial clone (`rm -rf /opt/stack/<project>`) and run"));
        assert!(root.contains("- [A page](https://example.org/a_%28b%29)\n"));

        let others = section(&text, "## Other findings\n");
        let fallout = &others[..others.find("### `low-memory`").expect("third finding")];
        assert!(fallout.contains("**Explained by:** `git-tls-ca-missing` (probably fallout of it)"));
        assert!(fallout.contains("stack.sh.log:4: evidence of git-clone-failed"));
        assert!(!fallout.contains("**Fix:**"), "{fallout}");
        assert!(!fallout.contains("**Why:**"), "{fallout}");
        // Markdown in a title is escaped, so it cannot turn into emphasis or a tag.
        assert!(others.contains("### `low-memory`: Less than 4 GiB of \\*free\\* memory \\<for nova>\n"));
        assert!(others.contains("**Fix:** Fix low-memory."));
    }

    #[test]
    fn evidence_is_capped_and_says_how_much_is_hidden() {
        let options = MarkdownOptions { max_evidence_lines: 3, ..MarkdownOptions::default() };
        let text = render_with(&report(), options);
        assert!(text.contains(
            "**Evidence** (20 matching lines):\n\n```text\nstack.sh.log:1: fatal: unable to access 1\n\
             stack.sh.log:2: fatal: unable to access 2\nstack.sh.log:3: fatal: unable to access 3\n```\n\n\
             _17 more matching lines not shown._\n"
        ));
        assert!(!text.contains("unable to access 4"));
    }

    #[test]
    fn a_fence_in_the_evidence_does_not_end_the_block() {
        let mut report = report();
        report.findings[1].evidence = vec![location(7, "```"), location(8, "echo ````")];
        let text = render_with(&report, MarkdownOptions::default());
        assert!(text.contains("`````text\nstack.sh.log:7: ```\nstack.sh.log:8: echo ````\n`````\n"));
    }

    #[test]
    fn table_cells_escape_pipes() {
        let mut env = env();
        env.rows.push(("Disk `a|b`".to_string(), "12 GiB free\n(88% used)".to_string()));
        let mut out = Vec::new();
        render(&report(), &env, MarkdownOptions::default(), &mut out).expect("render");
        let text = String::from_utf8(out).expect("utf8");
        let table = section(&text, "## Environment\n");
        assert!(table.contains("| Item | Value |\n| --- | --- |\n| OS | Ubuntu 24.04.1 LTS |\n"));
        assert!(table.contains("| Enabled services | key\\|mysql\\|n-api |\n"));
        assert!(table.contains("| Disk `a\\|b` | 12 GiB free (88% used) |\n"));
    }

    #[test]
    fn footer_names_the_tool_and_the_input_errors() {
        let text = render_with(&report(), MarkdownOptions::default());
        let footer = &text[text.rfind("\n---\n").expect("footer")..];
        assert!(footer.contains(&format!(
            "Generated by devstack-doctor {} with a knowledge base of 181 rules; scanned 1 file (11 lines).",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(footer.contains("**Input errors:**\n\n- `missing.log`: no such file\n"));
        assert!(!footer.contains("Input warnings"));
    }

    #[test]
    fn size_cap_drops_evidence_of_lower_ranked_findings_first() {
        let mut report = report();
        report.findings[2].evidence =
            (1..=200).map(|n| location(n, &format!("{n} {}", "x".repeat(200)))).collect();
        report.findings[2].hits = 200;
        let options = MarkdownOptions { max_bytes: 10_000, max_evidence_lines: 200, ..Default::default() };
        let text = render_with(&report, options);
        assert!(text.len() <= 10_000, "{}", text.len());
        assert!(text.contains("leaves out the evidence of `low-memory`"));
        assert!(text.contains("_Evidence: 200 matching lines, left out to keep this report short._"));
        // The root cause keeps its evidence.
        assert!(text.contains("stack.sh.log:12: fatal: unable to access 12"));

        // Tiny limits still give a bounded, well-formed document.
        for max in [300, 1500, 2500] {
            let options = MarkdownOptions { max_bytes: max, ..options };
            let text = render_with(&report, options);
            assert!(text.len() <= max, "{max}: {}", text.len());
            assert!(open_fence(&text).is_none(), "{text}");
        }
    }

    #[test]
    fn inline_escapes_only_what_would_break_the_layout() {
        assert_eq!(inline("set HOST_IP in local.conf"), "set HOST_IP in local.conf");
        assert_eq!(inline("_private_ *bold* [x](y)"), "\\_private\\_ \\*bold\\* \\[x\\](y)");
        assert_eq!(inline("use `a_b *c*` here"), "use `a_b *c*` here");
        assert_eq!(inline("an odd ` tick"), "an odd \\` tick");
        assert_eq!(inline("# not a heading"), "\\# not a heading");
        assert_eq!(inline("1. not a list"), "1\\. not a list");
        assert_eq!(inline("7.6 GiB (1.2 GiB available)"), "7.6 GiB (1.2 GiB available)");
        assert_eq!(inline("-foo and #bar"), "-foo and #bar");
        assert_eq!(inline("> quoted"), "\\> quoted");
        assert_eq!(inline("$HOST_IP and $SERVICE_HOST"), "\\$HOST_IP and \\$SERVICE_HOST");
        assert_eq!(inline("costs $5"), "costs $5");
        assert_eq!(code("a ` b"), "``a ` b``");
        assert_eq!(code("`x"), "`` `x ``");
    }

    #[test]
    fn wrapped_prose_never_starts_a_line_with_a_block_marker() {
        let prose = format!("{} - not a list item, # not a heading, 2. not a list", "word ".repeat(19));
        let lines = wrap("", "", &atoms(&prose), 100);
        assert!(lines.len() > 1);
        for line in &lines[1..] {
            assert!(!line.starts_with(['-', '#']) && !line.starts_with("2."), "{line}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(
            render_with(&report(), MarkdownOptions::default()),
            render_with(&report(), MarkdownOptions::default())
        );
    }
}
