//! The Markdown summary for CI (`GITHUB_STEP_SUMMARY`, `--step-summary FILE`): the verdict, the
//! mode, a per-check table, the baseline's known and fixed entries, and the failures grouped by
//! cause, each with its case ids and one case in full with its reproduction. Everything an
//! endpoint sent sits in code blocks (fenced longer than any backtick run in it) or is escaped.

use std::fmt::Write as _;

use crate::runner::{BaselineApplied, EntryState, RunResult, Status};

use super::summary::{outcome_details, terminal_safe};
use super::{groups, repro, RenderOptions, RunVerdict};

/// The check's primary statement id, and how many more it enforces (`rotcheck spec --check ID`
/// lists them): the table stays one line per check.
fn statement_cell(id: crate::checks::CheckId) -> String {
    match id.statements() {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [first, rest @ ..] => format!("`{first}` +{}", rest.len()),
    }
}

/// Case ids listed per group (the reports list every case).
const CASE_IDS_LISTED: usize = 100;

pub fn render(result: &RunResult, opts: &RenderOptions) -> String {
    let mut out = String::new();
    heading(&mut out, result);
    table(&mut out, result);
    problems(&mut out, result);
    if let Some(b) = &result.baseline {
        baseline(&mut out, result, b);
    }
    failures(&mut out, result, opts);
    out.push('\n');
    terminal_safe(&out)
}

/// The verdict, what ran against what, and the summary's verdict line.
fn heading(out: &mut String, result: &RunResult) {
    let meta = &result.meta;
    let verdict = RunVerdict::of(result);
    let target = if meta.embedded {
        "the built-in reference implementation".to_owned()
    } else {
        crate::redact::endpoint(&meta.endpoint)
    };
    let _ = writeln!(
        out,
        "## rotcheck: {} (exit {})\n",
        verdict.as_str().to_uppercase(),
        verdict.exit_code()
    );
    let _ = writeln!(
        out,
        "{} case(s) against {} · seed {} · mode {} · live {}\n",
        result.cases.len(),
        inline(&target),
        meta.seed,
        meta.mode.as_str(),
        if meta.live { "on" } else { "off" }
    );
    let _ = writeln!(out, "{}\n", inline(&super::summary::verdict_line(result)));
}

/// Per check, how its outcomes went (with a known column when a baseline gated the run).
fn table(out: &mut String, result: &RunResult) {
    let with_known = result.baseline.is_some();
    out.push_str("| check | spec statement | pass | fail | error | skip | advisory |");
    out.push_str(if with_known { " known |\n" } else { "\n" });
    out.push_str("|---|---|---:|---:|---:|---:|---:|");
    out.push_str(if with_known { "---:|\n" } else { "\n" });
    for (id, t) in result.tally() {
        let mark = if t.fail > 0 { " ❌" } else { "" };
        let _ = write!(
            out,
            "| `{id}`{mark} | {} | {} | {} | {} | {} | {} |",
            statement_cell(id),
            t.pass,
            t.fail,
            t.error,
            t.skip,
            t.advisory
        );
        if with_known {
            let _ = write!(out, " {} |", t.known);
        }
        out.push('\n');
    }
}

/// Skipped checks with their reasons, and harness errors.
fn problems(out: &mut String, result: &RunResult) {
    let r = &result.redactor;
    if !result.skipped_checks.is_empty() {
        out.push_str("\n**Skipped checks**\n\n");
        for (checks, reason) in super::skipped_by_reason(&result.skipped_checks) {
            let _ = writeln!(
                out,
                "- {}: {}",
                super::join_checks(&checks, "`"),
                inline(&r.scrub(reason))
            );
        }
    }
    if !result.harness_errors.is_empty() {
        let _ = writeln!(out, "\n**Harness errors ({})**\n", result.harness_errors.len());
        out.push_str(&fenced(
            &result
                .harness_errors
                .iter()
                .map(|e| r.scrub(e))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
}

/// The baseline's known and fixed entries.
fn baseline(out: &mut String, result: &RunResult, b: &BaselineApplied) {
    let r = &result.redactor;
    let known: usize = b.entries.iter().map(|e| e.known_cases.len()).sum();
    let _ = writeln!(
        out,
        "\n**Baseline** {}: {known} known failure(s) (not failing the run), {} fixed entr(ies)\n",
        inline(&r.scrub(&b.path)),
        b.fixed().count()
    );
    for e in b.entries.iter().filter(|e| e.state == EntryState::Known) {
        let _ = writeln!(
            out,
            "- known: `{}` {}: {} case(s): {}",
            e.check,
            inline(&r.scrub(&e.case)),
            e.known_cases.len(),
            inline(&r.scrub(&e.reason))
        );
    }
    for e in b.fixed() {
        let _ = writeln!(
            out,
            "- **fixed: remove it from the baseline**: `{}` {}{}",
            e.check,
            inline(&r.scrub(&e.case)),
            if b.strict {
                " (fails the run: --baseline-strict)"
            } else {
                ""
            }
        );
    }
}

/// The failures grouped by cause: case ids, and the first in full with its reproduction.
fn failures(out: &mut String, result: &RunResult, opts: &RenderOptions) {
    let r = &result.redactor;
    let groups = groups::groups(result, Status::Fail);
    if !groups.is_empty() {
        let total: usize = groups.iter().map(|g| g.items.len()).sum();
        let _ = writeln!(out, "\n### Failures ({total} in {} group(s) by cause)\n", groups.len());
        for g in &groups {
            let (case, o) = g.first();
            let ids: Vec<&str> = g.case_ids().collect();
            let _ = writeln!(
                out,
                "<details><summary><code>{}</code> {} case(s): {}</summary>\n",
                g.check,
                ids.len(),
                html(&r.scrub(&o.message))
            );
            let mut listed = ids.iter().take(CASE_IDS_LISTED).copied().collect::<Vec<_>>().join("\n");
            if ids.len() > CASE_IDS_LISTED {
                listed.push_str(&format!(
                    "\n... and {} more (the reports list them all)",
                    ids.len() - CASE_IDS_LISTED
                ));
            }
            out.push_str("Cases:\n\n");
            out.push_str(&fenced(&listed));
            out.push_str("\nThe first in full, with its reproduction:\n\n");
            let rp = repro::for_case(result, case, opts);
            out.push_str(&fenced(&outcome_details(result, case, o, Some(&rp))));
            out.push_str("\n</details>\n");
        }
    }
}

/// A code block whose fence is longer than any backtick run inside it.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}\n", text.trim_end())
}

/// Text in a Markdown line: characters that would start markup or HTML escaped.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside HTML (the `<summary>` line).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_and_markup_is_escaped() {
        let f = fenced("a ``` b");
        assert!(f.starts_with("````text\n") && f.ends_with("\n````\n"), "{f}");
        assert_eq!(inline("<script> | *x*"), "&lt;script&gt; \\| \\*x\\*");
        assert_eq!(html("a<b>&"), "a&lt;b&gt;&amp;");
    }
}
