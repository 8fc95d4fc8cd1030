//! The JUnit XML report (`--junit PATH`), for CI systems that display test results.
//!
//! Layout: one `<testsuite>` per check (name = check id, in report order ([`CheckId::rank`])), holding one
//! `<testcase>` per case the check judged (name = case id, classname = `rotcheck.<check-id>`).
//! Fail -> `<failure>`, Error -> `<error>`, Skip -> `<skipped/>`, Advisory -> a passing testcase
//! with the advisory in `<system-out>`. A check skipped for the whole run (e.g. duration-live
//! without `--live`) is one testcase named `(check skipped)` with `<skipped message=REASON/>`;
//! harness errors are `<error>` testcases in a final `harness` suite. `time` attributes are seconds.
//! A known failure (listed in the `--baseline`) is `<skipped message="KNOWN FAILURE ...">`, so CI
//! does not fail on it; fixed baseline entries are testcases of a `baseline` suite (a `<failure>`
//! with `--baseline-strict`, else passing with a `<system-out>` note).

use std::io::Cursor;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::writer::ElementWriter;
use quick_xml::Writer;

use crate::checks::CheckId;
use crate::runner::{BaselineEntryResult, CaseResult, CheckOutcome, RunResult, Status};

use super::{repro, summary, RenderOptions, ReportError};

type Xml = Writer<Cursor<Vec<u8>>>;

pub fn render(result: &RunResult, opts: &RenderOptions) -> Result<String, ReportError> {
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    write_report(&mut w, result, opts).map_err(ReportError::Xml)?;
    let mut s = String::from_utf8_lossy(&w.into_inner().into_inner()).into_owned();
    s.push('\n');
    Ok(s)
}

struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn counts<'a>(statuses: impl Iterator<Item = Status> + 'a) -> Counts {
    let mut c = Counts {
        tests: 0,
        failures: 0,
        errors: 0,
        skipped: 0,
    };
    for s in statuses {
        c.tests += 1;
        match s {
            Status::Fail => c.failures += 1,
            Status::Error => c.errors += 1,
            Status::Skip | Status::Known => c.skipped += 1,
            Status::Pass | Status::Advisory => {}
        }
    }
    c
}

fn seconds(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// A `testsuites` or `testsuite` element named `name`, with its counts and time (`ms`).
fn suite<'w>(
    w: &'w mut Xml,
    element: &'static str,
    name: &str,
    c: &Counts,
    ms: u64,
) -> ElementWriter<'w, Cursor<Vec<u8>>> {
    w.create_element(element)
        .with_attribute(("name", name))
        .with_attribute(("tests", c.tests.to_string().as_str()))
        .with_attribute(("failures", c.failures.to_string().as_str()))
        .with_attribute(("errors", c.errors.to_string().as_str()))
        .with_attribute(("skipped", c.skipped.to_string().as_str()))
        .with_attribute(("time", seconds(ms).as_str()))
}

fn write_report(w: &mut Xml, result: &RunResult, opts: &RenderOptions) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let cases = super::sorted_cases(result);
    let per_check: Vec<(CheckId, Vec<(&CaseResult, &CheckOutcome)>)> = CheckId::all()
        .map(|id| {
            let items = cases
                .iter()
                .flat_map(|c| super::sorted_outcomes(c).into_iter().map(move |o| (*c, o)))
                .filter(|(_, o)| o.check == id)
                .collect();
            (id, items)
        })
        .collect();

    let mut all = counts(result.cases.iter().flat_map(|c| c.outcomes.iter().map(|o| o.status)));
    all.tests += result.skipped_checks.len() + result.harness_errors.len();
    all.skipped += result.skipped_checks.len();
    all.errors += result.harness_errors.len();
    let fixed: Vec<&BaselineEntryResult> = result.baseline.iter().flat_map(|b| b.fixed()).collect();
    let fixed_fail = result.baseline.as_ref().is_some_and(|b| b.strict);
    all.tests += fixed.len();
    if fixed_fail {
        all.failures += fixed.len();
    }
    suite(w, "testsuites", "rotcheck", &all, result.duration_ms).write_inner_content(|w| {
        for (id, items) in &per_check {
            let skipped_reason = result.skipped_checks.iter().find(|s| s.check == *id);
            if items.is_empty() && skipped_reason.is_none() {
                continue;
            }
            write_suite(w, result, opts, *id, items, skipped_reason.map(|s| s.reason.as_str()))?;
        }
        if !result.harness_errors.is_empty() {
            write_harness_suite(w, result)?;
        }
        if !fixed.is_empty() {
            write_baseline_suite(w, result, &fixed, fixed_fail)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_suite(
    w: &mut Xml,
    result: &RunResult,
    opts: &RenderOptions,
    id: CheckId,
    items: &[(&CaseResult, &CheckOutcome)],
    skipped_reason: Option<&str>,
) -> std::io::Result<()> {
    let mut c = counts(items.iter().map(|(_, o)| o.status));
    if skipped_reason.is_some() {
        c.tests += 1;
        c.skipped += 1;
    }
    let ms: u64 = items.iter().map(|(case, _)| case.duration_ms).sum();
    let classname = format!("rotcheck.{id}");
    suite(w, "testsuite", id.as_str(), &c, ms).write_inner_content(|w| {
        w.create_element("properties").write_inner_content(|w| {
            let cite = id.citation();
            let statements = id.statements().join(" ");
            for (name, value) in [
                ("description", id.description()),
                ("citation", cite.text),
                ("citation-source", cite.source),
                ("statements", statements.as_str()),
            ] {
                w.create_element("property")
                    .with_attribute(("name", name))
                    .with_attribute(("value", xml_safe(value).as_str()))
                    .write_empty()?;
            }
            Ok(())
        })?;
        if let Some(reason) = skipped_reason {
            let reason = xml_safe(&result.redactor.scrub(reason));
            w.create_element("testcase")
                .with_attribute(("name", "(check skipped)"))
                .with_attribute(("classname", classname.as_str()))
                .with_attribute(("time", "0.000"))
                .write_inner_content(|w| {
                    w.create_element("skipped")
                        .with_attribute(("message", reason.as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
        }
        for (case, outcome) in items {
            write_testcase(w, result, opts, &classname, case, outcome)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_testcase(
    w: &mut Xml,
    result: &RunResult,
    opts: &RenderOptions,
    classname: &str,
    case: &CaseResult,
    outcome: &CheckOutcome,
) -> std::io::Result<()> {
    let r = &result.redactor;
    let name = xml_safe(&case.id);
    let time = seconds(case.duration_ms);
    let message = xml_safe(&r.scrub(&outcome.message));
    let el = w
        .create_element("testcase")
        .with_attribute(("name", name.as_str()))
        .with_attribute(("classname", classname))
        .with_attribute(("time", time.as_str()));
    match outcome.status {
        Status::Pass => {
            el.write_empty()?;
        }
        Status::Advisory => {
            let text = xml_safe(&format!("ADVISORY (not a failure): {}", r.scrub(&outcome.message)));
            el.write_inner_content(|w| {
                w.create_element("system-out").write_text_content(text_node(&text))?;
                Ok(())
            })?;
        }
        Status::Known => {
            let baseline = result.baseline.as_ref();
            let text = xml_safe(&format!(
                "KNOWN FAILURE (baseline {}: {}): {}",
                baseline.map_or("?", |b| b.path.as_str()),
                r.scrub(
                    baseline
                        .and_then(|b| b.reason_for(&case.id, outcome.check))
                        .unwrap_or("?")
                ),
                r.scrub(&outcome.message)
            ));
            el.write_inner_content(|w| {
                w.create_element("skipped")
                    .with_attribute(("message", text.as_str()))
                    .write_empty()?;
                Ok(())
            })?;
        }
        Status::Skip => {
            el.write_inner_content(|w| {
                w.create_element("skipped")
                    .with_attribute(("message", message.as_str()))
                    .write_empty()?;
                Ok(())
            })?;
        }
        Status::Fail | Status::Error => {
            let tag = if outcome.status == Status::Fail {
                "failure"
            } else {
                "error"
            };
            let repro = (outcome.status == Status::Fail).then(|| repro::for_case(result, case, opts));
            let details = xml_safe(&summary::outcome_details(result, case, outcome, repro.as_ref()));
            let kind = outcome.check.as_str();
            el.write_inner_content(|w| {
                w.create_element(tag)
                    .with_attribute(("message", message.as_str()))
                    .with_attribute(("type", kind))
                    .write_text_content(text_node(&details))?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

fn write_harness_suite(w: &mut Xml, result: &RunResult) -> std::io::Result<()> {
    let n = result.harness_errors.len();
    let c = Counts {
        tests: n,
        failures: 0,
        errors: n,
        skipped: 0,
    };
    suite(w, "testsuite", "harness", &c, 0).write_inner_content(|w| {
        for (i, e) in result.harness_errors.iter().enumerate() {
            let name = format!("harness-error-{}", i + 1);
            let msg = xml_safe(&result.redactor.scrub(e));
            w.create_element("testcase")
                .with_attribute(("name", name.as_str()))
                .with_attribute(("classname", "rotcheck.harness"))
                .with_attribute(("time", "0.000"))
                .write_inner_content(|w| {
                    w.create_element("error")
                        .with_attribute(("message", msg.as_str()))
                        .with_attribute(("type", "harness"))
                        .write_text_content(text_node(&msg))?;
                    Ok(())
                })?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_baseline_suite(
    w: &mut Xml,
    result: &RunResult,
    fixed: &[&BaselineEntryResult],
    fail: bool,
) -> std::io::Result<()> {
    let c = Counts {
        tests: fixed.len(),
        failures: if fail { fixed.len() } else { 0 },
        errors: 0,
        skipped: 0,
    };
    suite(w, "testsuite", "baseline", &c, 0).write_inner_content(|w| {
        for e in fixed {
            let r = &result.redactor;
            let name = xml_safe(&format!("{} [{}]", e.case, e.check));
            let msg = xml_safe(&format!(
                "fixed: remove it from the baseline (it no longer fails; reason was: {})",
                r.scrub(&e.reason)
            ));
            let el = w
                .create_element("testcase")
                .with_attribute(("name", name.as_str()))
                .with_attribute(("classname", "rotcheck.baseline"))
                .with_attribute(("time", "0.000"));
            if fail {
                el.write_inner_content(|w| {
                    w.create_element("failure")
                        .with_attribute(("message", msg.as_str()))
                        .with_attribute(("type", "baseline-fixed"))
                        .write_text_content(text_node(&msg))?;
                    Ok(())
                })?;
            } else {
                el.write_inner_content(|w| {
                    w.create_element("system-out").write_text_content(text_node(&msg))?;
                    Ok(())
                })?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Element text escaped only where XML needs it (`<`, `>`, `&`), so failure details stay readable.
fn text_node(s: &str) -> BytesText<'_> {
    BytesText::from_escaped(quick_xml::escape::partial_escape(s))
}

/// XML 1.0 cannot carry most control characters even escaped (a hostile endpoint can send any
/// byte): replace them with a visible `\u{..}` form. quick-xml escapes `<`, `&`, quotes.
pub fn xml_safe(s: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || ('\u{10000}'..='\u{10FFFF}').contains(&c)
    };
    if s.chars().all(allowed) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if allowed(c) {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", c as u32)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(xml_safe("a\u{0}b\u{1b}c\n"), "a\\u{0}b\\u{1b}c\n");
        assert_eq!(xml_safe("<&>\"'"), "<&>\"'");
    }
}
