//! The terminal summary printed after a run: the mode, a per-check table, skipped checks with
//! reasons, harness errors, the baseline's known and fixed entries, failures grouped by cause
//! (the cause once, the case ids, one case in full with its reproduction; `-v` shows every case
//! in full), and a verdict line.

use std::fmt::Write as _;

use crate::checks::CheckId;
use crate::runner::{
    BaselineApplied, BaselineEntryResult, CaseResult, CheckOutcome, EntryState, RunMode, RunResult, Status,
};

use super::groups;
use super::repro::{self, Repro};
use super::{RenderOptions, RunVerdict};

/// Distinct error messages listed without `-v` (the JSON report has every error).
const ERROR_GROUPS_LISTED: usize = 10;

/// Case ids listed per failure group without `-v` (the reports list every case).
const CASE_IDS_LISTED: usize = 40;

pub fn render(result: &RunResult, opts: &RenderOptions) -> String {
    let mut out = String::new();
    header(&mut out, result);
    out.push('\n');
    table(&mut out, result);
    problems(&mut out, result);
    let cases = super::sorted_cases(result);
    let with = |status: Status| -> Vec<(&CaseResult, &CheckOutcome)> {
        cases
            .iter()
            .flat_map(|c| super::sorted_outcomes(c).into_iter().map(move |o| (*c, o)))
            .filter(|(_, o)| o.status == status)
            .collect()
    };
    advisories_section(&mut out, result, &with(Status::Advisory), opts.verbose);
    errors_section(&mut out, result, &with(Status::Error), opts.verbose);
    if let Some(b) = &result.baseline {
        baseline_section(&mut out, result, b, opts.verbose);
    }
    failures_section(&mut out, result, &with(Status::Fail), opts);
    out.push('\n');
    out.push_str(&verdict_line(result));
    out.push('\n');
    terminal_safe(&out)
}

/// The target and run parameters, the footprint and the mode.
fn header(out: &mut String, result: &RunResult) {
    let r = &result.redactor;
    let meta = &result.meta;
    let target = if meta.embedded {
        "embedded reference implementation".to_owned()
    } else {
        match &meta.endpoint_source {
            Some(src) => format!("{} (from {src})", crate::redact::endpoint(&meta.endpoint)),
            None => crate::redact::endpoint(&meta.endpoint),
        }
    };
    let _ = writeln!(
        out,
        "rotcheck {}: {} case(s) against {target} (region {}, seed {}, time-scale {}, live {})",
        meta.tool_version,
        result.cases.len(),
        r.scrub(&meta.region),
        meta.seed,
        repro::fmt_num(meta.time_scale),
        if meta.live { "on" } else { "off" },
    );
    if result.tunnels.opened > 0 || result.requests > 0 {
        let t = &result.tunnels;
        let budget = match (t.max_opened, t.max) {
            (Some(all), Some(once)) => format!("; budget {all} in all, {once} at once"),
            (Some(all), None) => format!("; budget {all} in all"),
            (None, Some(once)) => format!("; budget {once} at once"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "footprint: {} tunnel(s) opened (at most {} at once{budget}), {} request(s), {}",
            t.opened,
            t.peak,
            result.requests,
            super::fmt_duration(std::time::Duration::from_millis(result.duration_ms)),
        );
    }
    let _ = writeln!(
        out,
        "mode: {}",
        match meta.mode {
            RunMode::Spec =>
                "spec (advisories: inferred points and differences from the real service; --strict makes them failures)",
            RunMode::Strict =>
                "strict (--strict: advisories fail too: inferred points and differences from the real service)",
        }
    );
}

/// What kept the run from judging everything: a setup error, skipped checks, harness errors.
fn problems(out: &mut String, result: &RunResult) {
    let r = &result.redactor;
    if let Some(why) = &result.setup_failure {
        let _ = writeln!(
            out,
            "\nSetup error: the run stopped; its answers say nothing about conformance.\n  {}",
            indent_rest(&r.scrub(why), "  ")
        );
    }
    if !result.skipped_checks.is_empty() {
        out.push_str("\nSkipped checks:\n");
        for (checks, reason) in super::skipped_by_reason(&result.skipped_checks) {
            let _ = writeln!(
                out,
                "  {} skipped: {}",
                super::join_checks(&checks, ""),
                r.scrub(reason)
            );
        }
    }
    if !result.harness_errors.is_empty() {
        let _ = writeln!(out, "\nHarness errors ({}):", result.harness_errors.len());
        for e in &result.harness_errors {
            let _ = writeln!(out, "  - {}", indent_rest(&r.scrub(e), "    "));
        }
    }
}

/// Advisories: counted, listed with `-v`.
fn advisories_section(
    out: &mut String,
    result: &RunResult,
    advisories: &[(&CaseResult, &CheckOutcome)],
    verbose: bool,
) {
    if advisories.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nAdvisories ({}, never failures: behaviour the spec only infers):",
        advisories.len()
    );
    if verbose {
        for (case, o) in advisories {
            let _ = writeln!(
                out,
                "  - {} [{}]: {}",
                case.id,
                o.check,
                result.redactor.scrub(&o.message)
            );
        }
    } else {
        out.push_str("  (pass -v to list them; the JSON and JUnit reports have them all)\n");
    }
}

/// Errors: every one with `-v`, else grouped by message.
fn errors_section(out: &mut String, result: &RunResult, errors: &[(&CaseResult, &CheckOutcome)], verbose: bool) {
    if errors.is_empty() {
        return;
    }
    let r = &result.redactor;
    let _ = writeln!(out, "\nErrors ({}, the harness could not judge):", errors.len());
    if verbose {
        for (case, o) in errors {
            let _ = writeln!(
                out,
                "  - {} [{}]: {}",
                case.id,
                o.check,
                indent_rest(&r.scrub(&o.message), "    ")
            );
        }
        return;
    }
    // One cause (an unreachable endpoint, say) often errs every case: group by message.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (case, o) in errors {
        let msg = r.scrub(&o.message);
        let label = format!("{} [{}]", case.id, o.check);
        match groups.iter_mut().find(|(m, _)| *m == msg) {
            Some((_, cases)) => cases.push(label),
            None => groups.push((msg, vec![label])),
        }
    }
    for (msg, cases) in groups.iter().take(ERROR_GROUPS_LISTED) {
        let _ = writeln!(out, "  - {} x {}", cases.len(), indent_rest(msg, "    "));
        let examples: Vec<&str> = cases.iter().take(3).map(String::as_str).collect();
        let more = if cases.len() > 3 { ", ..." } else { "" };
        let _ = writeln!(out, "    in {}{more}", examples.join(", "));
    }
    if groups.len() > ERROR_GROUPS_LISTED {
        let _ = writeln!(out, "  ... and {} other message(s)", groups.len() - ERROR_GROUPS_LISTED);
    }
    out.push_str("  (pass -v to list every error; the JSON report has them all)\n");
}

/// Failures: every case in full with `-v`, else grouped by cause with the first in full.
fn failures_section(
    out: &mut String,
    result: &RunResult,
    failures: &[(&CaseResult, &CheckOutcome)],
    opts: &RenderOptions,
) {
    if failures.is_empty() {
        return;
    }
    if opts.verbose {
        let _ = writeln!(out, "\nFailures ({}):", failures.len());
        for (i, (case, o)) in failures.iter().enumerate() {
            let rp = repro::for_case(result, case, opts);
            let _ = writeln!(out, "\n{}) {} [{}]", i + 1, case.id, o.check);
            out.push_str(&indent(&outcome_details(result, case, o, Some(&rp)), "   "));
        }
        return;
    }
    let groups = groups::groups(result, Status::Fail);
    let _ = writeln!(
        out,
        "\nFailures ({} in {} group(s) by cause; -v shows every case in full):",
        failures.len(),
        groups.len()
    );
    for (i, g) in groups.iter().enumerate() {
        let (case, o) = g.first();
        let rp = repro::for_case(result, case, opts);
        let n = g.items.len();
        if n == 1 {
            let _ = writeln!(out, "\n{}) {} [{}]", i + 1, case.id, o.check);
        } else {
            let _ = writeln!(
                out,
                "\n{}) [{}] {} case(s): {}",
                i + 1,
                g.check,
                n,
                result.redactor.scrub(&o.message)
            );
            let ids: Vec<&str> = g.case_ids().collect();
            let _ = writeln!(out, "   cases: {}", list_ids(&ids, CASE_IDS_LISTED));
            let _ = writeln!(out, "   the first in full:");
        }
        out.push_str(&indent(&outcome_details(result, case, o, Some(&rp)), "   "));
    }
}

/// Control characters (other than newline) made visible, so an endpoint cannot drive the
/// terminal with escape sequences echoed in its messages.
pub fn terminal_safe(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return s.to_owned();
    }
    s.chars()
        .map(|c| match c {
            '\n' => "\n".to_owned(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `a, b, c` with at most `max` ids, then how many more.
fn list_ids(ids: &[&str], max: usize) -> String {
    let mut s = ids.iter().take(max).copied().collect::<Vec<_>>().join(", ");
    if ids.len() > max {
        s.push_str(&format!(
            ", ... and {} more (-v, or the reports, list them all)",
            ids.len() - max
        ));
    }
    s
}

/// Known failures per entry, fixed entries (to remove), entries not judged in this run.
fn baseline_section(out: &mut String, result: &RunResult, b: &BaselineApplied, verbose: bool) {
    let r = &result.redactor;
    let known: usize = b.entries.iter().map(|e| e.known_cases.len()).sum();
    let with = |state: EntryState| b.entries.iter().filter(move |e| e.state == state);
    let _ = writeln!(
        out,
        "\nBaseline {}: {} entr(ies): {} known failure(s), {} fixed, {} not judged in this run",
        r.scrub(&b.path),
        b.entries.len(),
        known,
        with(EntryState::Fixed).count(),
        with(EntryState::NotRun).count(),
    );
    if known > 0 {
        known_failures(out, result, with(EntryState::Known), known, verbose);
    }
    let fixed: Vec<_> = with(EntryState::Fixed).collect();
    if !fixed.is_empty() {
        let consequence = if b.strict {
            "they fail the run (--baseline-strict)"
        } else {
            "--baseline-strict would fail the run"
        };
        let _ = writeln!(
            out,
            "\nFixed baseline entries ({}): they no longer fail: remove them from the baseline ({consequence}):",
            fixed.len()
        );
        for e in fixed {
            let _ = writeln!(
                out,
                "  - fixed: remove it from the baseline: [{}] {}",
                e.check,
                r.scrub(&e.case)
            );
            if verbose {
                let _ = writeln!(out, "    reason was: {}", indent_rest(&r.scrub(&e.reason), "    "));
            }
        }
    }
    if verbose {
        for e in with(EntryState::NotRun) {
            let _ = writeln!(
                out,
                "  - not judged in this run (kept): [{}] {}",
                e.check,
                r.scrub(&e.case)
            );
        }
    }
}

/// The baseline's known failures, entries with the same check and reason as one.
fn known_failures<'a>(
    out: &mut String,
    result: &RunResult,
    entries: impl Iterator<Item = &'a BaselineEntryResult>,
    known: usize,
    verbose: bool,
) {
    let r = &result.redactor;
    let _ = writeln!(
        out,
        "\nKnown failures ({known}, listed in the baseline: they do not fail the run):"
    );
    // Entries with the same check and reason (as --write-baseline writes them) read as one.
    let mut grouped: Vec<(CheckId, &str, Vec<&BaselineEntryResult>)> = Vec::new();
    for e in entries {
        match grouped
            .iter_mut()
            .find(|(c, reason, _)| *c == e.check && *reason == e.reason)
        {
            Some((_, _, entries)) => entries.push(e),
            None => grouped.push((e.check, &e.reason, vec![e])),
        }
    }
    for (check, reason, entries) in grouped {
        let cases: usize = entries.iter().map(|e| e.known_cases.len()).sum();
        let _ = writeln!(
            out,
            "  - [{check}] {cases} case(s): {}",
            indent_rest(&r.scrub(reason), "    ")
        );
        let patterns: Vec<String> = entries.iter().map(|e| r.scrub(&e.case)).collect();
        let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let _ = writeln!(out, "    entries: {}", list_ids(&patterns, CASE_IDS_LISTED));
        if verbose {
            let ids: Vec<&str> = entries
                .iter()
                .flat_map(|e| e.known_cases.iter().map(String::as_str))
                .collect();
            if ids != patterns {
                let _ = writeln!(out, "    cases: {}", ids.join(", "));
            }
        }
    }
}

/// The per-check table: id, pass, fail, error, skip, advisory (and known, with a baseline).
fn table(out: &mut String, result: &RunResult) {
    let width = CheckId::all().map(|c| c.as_str().len()).max().unwrap_or(10).max(5);
    let with_known = result.baseline.is_some();
    let known_col = |v: &dyn std::fmt::Display| {
        if with_known {
            format!("  {v:>5}")
        } else {
            String::new()
        }
    };
    let _ = writeln!(
        out,
        "{:<width$}  {:>5}  {:>5}  {:>5}  {:>5}  {:>8}{}",
        "check",
        "pass",
        "fail",
        "error",
        "skip",
        "advisory",
        known_col(&"known")
    );
    for (id, t) in result.tally() {
        let note = if result.skipped_checks.iter().any(|s| s.check == id) {
            "  (skipped)"
        } else if !result.meta.checks.contains(&id) {
            "  (not selected)"
        } else if t.fail > 0 {
            "  <- FAIL"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>5}  {:>5}  {:>5}  {:>5}  {:>8}{}{note}",
            id.as_str(),
            t.pass,
            t.fail,
            t.error,
            t.skip,
            t.advisory,
            known_col(&t.known)
        );
    }
}

/// The `spec:` line of a failure: the check's primary statement quoted from the map, then the ids
/// of the others it enforces (the check's citation if the map is not available).
fn spec_lines(check: crate::checks::CheckId) -> String {
    let statements = super::check_statements(check);
    let Some((first, rest)) = statements.split_first() else {
        let cite = check.citation();
        return format!("spec:     \"{}\" ({})\n", cite.text, cite.source);
    };
    let mut out = format!("spec:     {} \"{}\" ({})\n", first.id, first.quote(), first.location());
    // A long list would bury the failure: past a few ids, say where the rest are.
    const LISTED: usize = 4;
    if (1..=LISTED).contains(&rest.len()) {
        let ids: Vec<&str> = rest.iter().map(|s| s.id.as_str()).collect();
        let _ = writeln!(out, "          also: {}", ids.join(", "));
    } else if rest.len() > LISTED {
        let _ = writeln!(out, "          and {} more: rotcheck spec --check {check}", rest.len());
    }
    out
}

/// One outcome in full: spec sentence, message, expected vs actual, and (for failures) how to
/// reproduce it. Used by the summary and by the JUnit `<failure>`/`<error>` text.
pub fn outcome_details(result: &RunResult, case: &CaseResult, o: &CheckOutcome, repro: Option<&Repro>) -> String {
    let r = &result.redactor;
    let mut out = String::new();
    let _ = writeln!(out, "case:     {} ({})", case.id, r.scrub(&case.description));
    let _ = writeln!(out, "check:    {}: {}", o.check, o.check.description());
    out.push_str(&spec_lines(o.check));
    let _ = writeln!(out, "result:   {}", indent_rest(&r.scrub(&o.message), "          "));
    if let Some(e) = &o.expected {
        let _ = writeln!(out, "expected: {}", indent_rest(&r.scrub(e), "          "));
    }
    if let Some(a) = &o.actual {
        let _ = writeln!(out, "actual:   {}", indent_rest(&r.scrub(a), "          "));
    }
    match (&case.response, &case.transport_error) {
        (Some(resp), _) => {
            let ty = case
                .error_type
                .as_deref()
                .map(|t| format!(" {}", r.scrub(t)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "response: HTTP {}{ty}: {}",
                resp.status,
                clip(&r.body(&resp.body), 300)
            );
        }
        (None, Some(e)) => {
            let _ = writeln!(out, "response: none ({})", r.scrub(e));
        }
        (None, None) => {}
    }
    if let Some(rp) = repro {
        out.push_str("reproduce:\n");
        out.push_str(&indent(&rp.curl, "  "));
        out.push_str("rerun:\n");
        out.push_str(&indent(&rp.rerun, "  "));
    }
    out
}

pub fn verdict_line(result: &RunResult) -> String {
    let verdict = RunVerdict::of(result);
    let code = verdict.exit_code();
    let fails: usize = result.tally().iter().map(|(_, t)| t.fail).sum();
    let errors: usize = result.tally().iter().map(|(_, t)| t.error).sum();
    let failed: Vec<&str> = result.failed_checks().iter().map(|c| c.as_str()).collect();
    let known: usize = result.tally().iter().map(|(_, t)| t.known).sum();
    let known_note = if known > 0 {
        format!(", {known} known failure(s) from the baseline")
    } else {
        String::new()
    };
    let fixed_fails = result.baseline.as_ref().map_or(0, |b| b.failing_fixed());
    match verdict {
        RunVerdict::Conformant => {
            format!("verdict: CONFORMANT, every selected check passed{known_note} (exit {code})")
        }
        RunVerdict::Violation if fails == 0 => format!(
            "verdict: VIOLATION, {fixed_fails} fixed baseline entr(ies) to remove (--baseline-strict){known_note} (exit {code})"
        ),
        RunVerdict::Violation => format!(
            "verdict: VIOLATION, {fails} failure(s) in {} check(s): {}{known_note} (exit {code})",
            failed.len(),
            failed.join(", ")
        ),
        RunVerdict::Incomplete if result.setup_failure.is_some() => {
            format!("verdict: SETUP ERROR, the run stopped before it could judge the endpoint (exit {code})")
        }
        RunVerdict::Incomplete => format!(
            "verdict: INCOMPLETE, no violation found but the harness could not judge everything \
             ({} harness error(s), {errors} check error(s)) (exit {code})",
            result.harness_errors.len()
        ),
        RunVerdict::Interrupted => {
            let found = if fails > 0 {
                format!("{fails} failure(s) found before the interruption")
            } else {
                "no failure found before the interruption".to_owned()
            };
            format!("verdict: INTERRUPTED, results are incomplete; {found} (exit {code})")
        }
    }
}

fn indent(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(prefix);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Continuation lines of a multi-line message, indented under its first line.
fn indent_rest(text: &str, prefix: &str) -> String {
    text.trim_end().replace('\n', &format!("\n{prefix}"))
}

fn clip(s: &str, max_chars: usize) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.chars().count() <= max_chars {
        s
    } else {
        let head: String = s.chars().take(max_chars).collect();
        format!("{head}... ({} bytes in total)", s.len())
    }
}
