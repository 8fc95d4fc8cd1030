//! The JSON report (`--report-json PATH`). Its schema is docs/report.schema.json (see
//! [`SCHEMA`]); bump [`REPORT_VERSION`] on any incompatible change.
//!
//! Stable by construction: cases sorted by id, checks and outcomes in report order ([`CheckId::rank`]),
//! object members in a fixed order. Everything that depends on time is in members named
//! `duration_ms` or `elapsed_ms`, so two runs with the same seed can be compared after removing
//! those members (server-generated values such as tunnel ids and tokens still differ between
//! runs against a live target; [`super::snapshot`] redacts those).

use serde_json::{json, Map, Value};

use crate::checks::CheckId;
use crate::redact::Redactor;
use crate::runner::{BaselineApplied, CaseResult, CheckOutcome, Exchange, RunResult, Status};
use crate::wire::{HttpRequest, HttpResponse};

use super::{repro, status_str, RenderOptions, RunVerdict};

pub const REPORT_VERSION: u32 = 1;

/// The report's JSON Schema (draft 2020-12).
pub const SCHEMA: &str = include_str!("../../docs/report.schema.json");

/// The report as a JSON value.
// Long: one JSON literal laid out member by member as docs/report.schema.json is.
pub fn to_value(result: &RunResult, opts: &RenderOptions) -> Value {
    let r = &result.redactor;
    let meta = &result.meta;
    let verdict = RunVerdict::of(result);
    let mut checks: Vec<CheckId> = meta.checks.clone();
    checks.sort_by_key(|c| super::check_rank(*c));
    checks.dedup();

    let tally: Vec<Value> = result
        .tally()
        .into_iter()
        .map(|(id, t)| {
            let cite = id.citation();
            json!({
                "id": id.as_str(),
                "description": id.description(),
                "citation": {"source": cite.source, "text": cite.text},
                "statements": super::check_statements(id).into_iter().map(|s| json!({
                    "id": s.id,
                    "kind": s.kind.as_str(),
                    "source": s.location(),
                    "quote": s.quote(),
                })).collect::<Vec<_>>(),
                "selected": meta.checks.contains(&id),
                "pass": t.pass,
                "fail": t.fail,
                "error": t.error,
                "skip": t.skip,
                "advisory": t.advisory,
                "known": t.known,
            })
        })
        .collect();

    let cases: Vec<Value> = super::sorted_cases(result)
        .into_iter()
        .map(|c| case_value(result, c, opts))
        .collect();

    let mut report = json!({
        "report_version": REPORT_VERSION,
        "tool": {"name": "rotcheck", "version": meta.tool_version},
        "run": {
            "seed": meta.seed,
            "endpoint": crate::redact::endpoint(&meta.endpoint),
            "embedded": meta.embedded,
            "region": r.scrub(&meta.region),
            "time_scale": meta.time_scale,
            "live": meta.live,
            "only": meta.only.as_deref().map(|o| r.scrub(o)),
            "checks": checks.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "concurrency": meta.concurrency,
            "endpoint_source": meta.endpoint_source,
            "mode": meta.mode.as_str(),
        },
        "verdict": verdict.as_str(),
        "exit_code": verdict.exit_code(),
        "interrupted": result.interrupted,
        "summary": {
            "cases": result.cases.len(),
            "failed_checks": result.failed_checks().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "checks": tally,
        },
        "skipped_checks": result.skipped_checks.iter().map(|s| json!({
            "check": s.check.as_str(),
            "reason": r.scrub(&s.reason),
        })).collect::<Vec<_>>(),
        "harness_errors": result.harness_errors.iter().map(|e| r.scrub(e)).collect::<Vec<_>>(),
        "setup_failure": result.setup_failure.as_deref().map(|e| r.scrub(e)),
        "tunnels": result.tunnels,
        "requests": result.requests,
        "cases": cases,
        "duration_ms": result.duration_ms,
    });
    if let (Some(b), Value::Object(m)) = (&result.baseline, &mut report) {
        // Placed before `cases`, beside the other run-level lists.
        let mut ordered = Map::new();
        for (k, v) in std::mem::take(m) {
            if k == "cases" {
                ordered.insert("baseline".into(), baseline_value(r, b));
            }
            ordered.insert(k, v);
        }
        *m = ordered;
    }
    report
}

fn baseline_value(r: &Redactor, b: &BaselineApplied) -> Value {
    let known: usize = b.entries.iter().map(|e| e.known_cases.len()).sum();
    json!({
        "path": r.scrub(&b.path),
        "strict": b.strict,
        "known": known,
        "fixed": b.fixed().count(),
        "entries": b.entries.iter().map(|e| json!({
            "case": r.scrub(&e.case),
            "check": e.check.as_str(),
            "reason": r.scrub(&e.reason),
            "state": e.state.as_str(),
            "known_cases": e.known_cases,
        })).collect::<Vec<_>>(),
    })
}

/// The report as pretty-printed JSON with a trailing newline.
pub fn render(result: &RunResult, opts: &RenderOptions) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(result, opts)).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn case_value(result: &RunResult, case: &CaseResult, opts: &RenderOptions) -> Value {
    let r = &result.redactor;
    let mut m = Map::new();
    m.insert("id".into(), json!(case.id));
    m.insert("kind".into(), json!(case.kind));
    m.insert("description".into(), json!(r.scrub(&case.description)));
    if let Some(op) = &case.operator {
        m.insert("operator".into(), json!(op));
    }
    m.insert("status".into(), json!(status_str(case.worst())));
    m.insert("tunnel".into(), r.json(&json!(case.tunnel)));
    m.insert("expect".into(), json!(case.expect));
    m.insert("request".into(), request_value(r, &case.request));
    if let Some(resp) = &case.response {
        m.insert("response".into(), response_value(r, resp));
    }
    if let Some(t) = &case.error_type {
        m.insert("error_type".into(), json!(r.scrub(t)));
    }
    if let Some(e) = &case.transport_error {
        m.insert("transport_error".into(), json!(r.scrub(e)));
    }
    let outcomes: Vec<Value> = super::sorted_outcomes(case)
        .into_iter()
        .map(|o| {
            let reason = (o.status == Status::Known)
                .then(|| result.baseline.as_ref()?.reason_for(&case.id, o.check))
                .flatten();
            outcome_value(r, o, reason)
        })
        .collect();
    m.insert("outcomes".into(), Value::Array(outcomes));
    // Known failures keep their reproduction: the baseline hides nothing from the report.
    if case
        .outcomes
        .iter()
        .any(|o| matches!(o.status, Status::Fail | Status::Known))
    {
        let rp = repro::for_case(result, case, opts);
        m.insert("repro".into(), json!({"curl": rp.curl, "rerun": rp.rerun}));
    }
    let exchanges: Vec<Value> = case.exchanges.iter().map(|e| exchange_value(r, e)).collect();
    m.insert("exchanges".into(), Value::Array(exchanges));
    m.insert("duration_ms".into(), json!(case.duration_ms));
    Value::Object(m)
}

fn outcome_value(r: &Redactor, o: &CheckOutcome, baseline_reason: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("check".into(), json!(o.check.as_str()));
    m.insert("status".into(), json!(status_str(o.status)));
    m.insert("message".into(), json!(r.scrub(&o.message)));
    if let Some(e) = &o.expected {
        m.insert("expected".into(), json!(r.scrub(e)));
    }
    if let Some(a) = &o.actual {
        m.insert("actual".into(), json!(r.scrub(a)));
    }
    if let Some(reason) = baseline_reason {
        m.insert("baseline_reason".into(), json!(r.scrub(reason)));
    }
    Value::Object(m)
}

fn exchange_value(r: &Redactor, e: &Exchange) -> Value {
    let mut m = Map::new();
    m.insert("role".into(), json!(e.role));
    m.insert("request".into(), request_value(r, &e.request));
    if let Some(resp) = &e.response {
        m.insert("response".into(), response_value(r, resp));
    }
    if let Some(t) = &e.transport_error {
        m.insert("transport_error".into(), json!(r.scrub(t)));
    }
    m.insert("attempts".into(), json!(e.attempts));
    if !e.retried.is_empty() {
        let retried: Vec<String> = e.retried.iter().map(|x| r.scrub(x)).collect();
        m.insert("retried".into(), json!(retried));
    }
    m.insert("elapsed_ms".into(), json!(e.elapsed_ms));
    Value::Object(m)
}

fn headers_value(r: &Redactor, headers: &[(String, String)]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|(k, v)| json!([r.scrub(k), r.header_value(k, v)]))
            .collect(),
    )
}

/// A body as text: redacted, and lossy when the bytes are not UTF-8 (`body_utf8` says so).
fn body_members(r: &Redactor, m: &mut Map<String, Value>, body: &[u8]) {
    m.insert("body".into(), json!(r.body(body)));
    m.insert("body_bytes".into(), json!(body.len()));
    m.insert("body_utf8".into(), json!(std::str::from_utf8(body).is_ok()));
}

fn request_value(r: &Redactor, req: &HttpRequest) -> Value {
    let mut m = Map::new();
    m.insert("method".into(), json!(r.scrub(&req.method)));
    m.insert("headers".into(), headers_value(r, &req.headers));
    body_members(r, &mut m, &req.body);
    Value::Object(m)
}

fn response_value(r: &Redactor, resp: &HttpResponse) -> Value {
    let mut m = Map::new();
    m.insert("status".into(), json!(resp.status));
    m.insert("headers".into(), headers_value(r, &resp.headers));
    body_members(r, &mut m, &resp.body);
    m.insert("truncated".into(), json!(resp.truncated));
    Value::Object(m)
}

/// Remove every timing member (`duration_ms`, `elapsed_ms`) at any depth: what is left is the
/// same for two runs with the same seed and the same target behaviour.
pub fn strip_timings(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("duration_ms");
            m.remove("elapsed_ms");
            m.values_mut().for_each(strip_timings);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_timings),
        _ => {}
    }
}
