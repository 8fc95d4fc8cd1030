//! Rendering a [`Comparison`]: the terminal summary, the JSON report and the JUnit report. Every
//! value shown comes from the normalized recordings, so nothing here can reveal a secret.
//!
//! JUnit layout: one `<testsuite name="parity">` with one `<testcase>` per case (classname
//! `rotcheck.parity`); a case with open differences has one `<failure>` listing them, a case whose
//! differences are all ignored passes with them in `<system-out>`. Unused ignore entries are a
//! `<system-err>` of the suite.

use std::io::Cursor;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use serde_json::{json, Value};

use super::diff::{CaseComparison, Comparison, Difference, Kind};
use super::recording::Provenance;

/// The JSON Schema of the JSON report.
pub const REPORT_SCHEMA: &str = include_str!("../../docs/compare-report.schema.json");

/// Individual differences listed in the terminal summary (the JSON report has all of them).
pub const MAX_LISTED: usize = 40;

fn percent(c: &Comparison) -> String {
    if c.total() == 0 {
        return "n/a".into();
    }
    format!("{:.1} %", c.identical() as f64 * 100.0 / c.total() as f64)
}

pub fn describe(p: &Provenance) -> String {
    format!(
        "{} ({}), rotcheck {}, seed {}, {}",
        p.endpoint_host, p.region, p.tool_version, p.seed, p.date
    )
}

fn locate(case: &CaseComparison, d: &Difference) -> String {
    match &d.exchange {
        Some(e) => format!(
            "{} #{} {} {}",
            case.id,
            e.index,
            e.role,
            e.operation.as_deref().unwrap_or("(no X-Amz-Target)")
        ),
        None => case.id.clone(),
    }
}

/// The terminal summary. Its last line is the verdict.
pub fn text(c: &Comparison) -> String {
    let mut out = String::new();
    out.push_str(&format!("reference: {}\n", describe(&c.reference)));
    out.push_str(&format!("endpoint:  {}\n", describe(&c.candidate)));
    let open: Vec<_> = c.open().collect();
    if !open.is_empty() {
        out.push_str("\ndifferences by kind and path (message differences are the soft class):\n");
        for g in c.groups() {
            let soft = if g.kind.is_soft() { " (soft)" } else { "" };
            out.push_str(&format!(
                "  {:<11} {}{soft}: {} in {} case(s), e.g. {}\n",
                g.kind.as_str(),
                g.path,
                g.count,
                g.cases,
                g.example
            ));
        }
        out.push_str("\ndifferences:\n");
        // Hard ones first: a soft message difference rarely explains a failure.
        let mut listed: Vec<_> = open.iter().filter(|(_, d)| !d.kind.is_soft()).collect();
        listed.extend(open.iter().filter(|(_, d)| d.kind.is_soft()));
        for (case, d) in listed.iter().take(MAX_LISTED) {
            out.push_str(&format!(
                "  {}  {}  [{}]\n      expected: {}\n      actual:   {}\n",
                locate(case, d),
                d.path,
                d.kind,
                d.expected,
                d.actual
            ));
        }
        if listed.len() > MAX_LISTED {
            out.push_str(&format!(
                "  ... and {} more (all of them in --report-json)\n",
                listed.len() - MAX_LISTED
            ));
        }
    }
    let ignored = c.ignored_count();
    if ignored > 0 {
        out.push_str(&format!("\n{ignored} difference(s) covered by ignore entries\n"));
    }
    for rule in &c.unused_ignores {
        out.push_str(&format!(
            "unused ignore entry ({}): {} -- {}: it matches no difference any more\n",
            rule.source, rule.pattern, rule.reason
        ));
    }
    out.push_str(&format!(
        "\nparity: {} of {} cases identical ({}); {} open difference(s)\n",
        c.identical(),
        c.total(),
        percent(c),
        open.len()
    ));
    let code = c.exit_code();
    out.push_str(&format!(
        "verdict: {} (exit {code})\n",
        if code == 0 { "PARITY" } else { "DIFFERENT" }
    ));
    out
}

/// The JSON report (`--report-json`).
pub fn json_value(c: &Comparison) -> Value {
    let by_kind: serde_json::Map<String, Value> = Kind::ALL
        .into_iter()
        .filter_map(|k| {
            let n = c.open().filter(|(_, d)| d.kind == k).count();
            (n > 0).then(|| (k.as_str().to_owned(), json!(n)))
        })
        .collect();
    json!({
        "format": "rotcheck-compare-report",
        "version": 1,
        "reference": c.reference,
        "endpoint": c.candidate,
        "verdict": if c.exit_code() == 0 { "parity" } else { "different" },
        "exit_code": c.exit_code(),
        "parity": {
            "identical": c.identical(),
            "total": c.total(),
            "differences": c.open().count(),
            "ignored": c.ignored_count(),
        },
        "by_kind": by_kind,
        "groups": c.groups(),
        "unused_ignores": c.unused_ignores,
        "cases": c.cases.iter().map(|case| json!({
            "id": case.id,
            "identical": case.identical(),
            "differences": case.differences,
        })).collect::<Vec<_>>(),
    })
}

pub fn json_text(c: &Comparison) -> String {
    let mut s = serde_json::to_string_pretty(&json_value(c)).unwrap_or_default();
    s.push('\n');
    s
}

type Xml = Writer<Cursor<Vec<u8>>>;

/// The JUnit report (`--junit`).
pub fn junit(c: &Comparison) -> Result<String, std::io::Error> {
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    write_junit(&mut w, c)?;
    let mut s = String::from_utf8_lossy(&w.into_inner().into_inner()).into_owned();
    s.push('\n');
    Ok(s)
}

fn lines(case: &CaseComparison, ignored: bool) -> String {
    case.differences
        .iter()
        .filter(|d| d.ignored.is_some() == ignored)
        .map(|d| {
            let why = d
                .ignored
                .as_deref()
                .map(|r| format!(" (ignored: {r})"))
                .unwrap_or_default();
            format!(
                "{}  {}  [{}]{why}\n  expected: {}\n  actual:   {}\n",
                locate(case, d),
                d.path,
                d.kind,
                d.expected,
                d.actual
            )
        })
        .collect()
}

fn write_junit(w: &mut Xml, c: &Comparison) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests = c.total().to_string();
    let failures = (c.total() - c.identical()).to_string();
    w.create_element("testsuites")
        .with_attribute(("name", "rotcheck compare"))
        .with_attribute(("tests", tests.as_str()))
        .with_attribute(("failures", failures.as_str()))
        .with_attribute(("errors", "0"))
        .write_inner_content(|w| {
            w.create_element("testsuite")
                .with_attribute(("name", "parity"))
                .with_attribute(("tests", tests.as_str()))
                .with_attribute(("failures", failures.as_str()))
                .with_attribute(("errors", "0"))
                .write_inner_content(|w| {
                    for case in &c.cases {
                        let el = w
                            .create_element("testcase")
                            .with_attribute(("name", case.id.as_str()))
                            .with_attribute(("classname", "rotcheck.parity"));
                        let open = lines(case, false);
                        let ignored = lines(case, true);
                        if open.is_empty() && ignored.is_empty() {
                            el.write_empty()?;
                            continue;
                        }
                        el.write_inner_content(|w| {
                            if !open.is_empty() {
                                let n = case.differences.iter().filter(|d| d.ignored.is_none()).count();
                                let message = format!("{n} difference(s) from the reference");
                                w.create_element("failure")
                                    .with_attribute(("message", message.as_str()))
                                    .write_text_content(BytesText::new(&open))?;
                            }
                            if !ignored.is_empty() {
                                w.create_element("system-out")
                                    .write_text_content(BytesText::new(&ignored))?;
                            }
                            Ok(())
                        })?;
                    }
                    if !c.unused_ignores.is_empty() {
                        let text: String = c
                            .unused_ignores
                            .iter()
                            .map(|r| format!("unused ignore entry ({}): {} -- {}\n", r.source, r.pattern, r.reason))
                            .collect();
                        w.create_element("system-err")
                            .write_text_content(BytesText::new(&text))?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}
