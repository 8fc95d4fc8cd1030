//! The snapshot view of a run (reviewed with `cargo insta review`, committed under snapshots/)
//! and the ONE place the standard snapshot redactions are applied.
//!
//! Per case it keeps what conformance is about and what is stable for a given seed: the case's
//! status, HTTP status, error type, the response's shape (member names and JSON types, never
//! values) and each check's outcome. Messages and bodies are left out: they carry values the
//! target generates. Every remaining string then goes through [`redact`]: tokens, tunnel ids,
//! ARNs, UUIDs (request ids) and timestamps become fixed placeholders.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use crate::redact::{redact_json, REDACTED};
use crate::runner::RunResult;
use crate::spec::validate::json_type_name;

use super::RenderOptions;

pub const TUNNEL_ID: &str = "[tunnel-id]";
pub const ARN: &str = "[arn]";
pub const UUID: &str = "[uuid]";
pub const TIMESTAMP: &str = "[timestamp]";

/// The snapshot of a run.
pub fn snapshot(result: &RunResult) -> Value {
    from_report(&super::json::to_value(result, &RenderOptions::default()))
}

/// The snapshot of a JSON report (`--report-json`), so a snapshot can be taken of a run made by
/// the `rotcheck` binary.
pub fn from_report(report: &Value) -> Value {
    let ids = tunnel_ids(report);
    let run = &report["run"];
    let mut summary = Map::new();
    for c in report["summary"]["checks"].as_array().into_iter().flatten() {
        let counts: Map<String, Value> = ["pass", "fail", "error", "skip", "advisory", "known"]
            .iter()
            .filter(|k| c[**k].as_u64().unwrap_or(0) > 0)
            .map(|k| ((*k).to_owned(), c[*k].clone()))
            .collect();
        if let Some(id) = c["id"].as_str() {
            summary.insert(id.to_owned(), Value::Object(counts));
        }
    }
    let cases: Vec<Value> = report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(case_snapshot)
        .collect();
    let mut snap = json!({
        "seed": run["seed"],
        "embedded": run["embedded"],
        "live": run["live"],
        "only": run["only"],
        "checks": run["checks"],
        "verdict": report["verdict"],
        "exit_code": report["exit_code"],
        "summary": summary,
        "skipped_checks": report["skipped_checks"],
        "harness_errors": report["harness_errors"],
        "cases": cases,
    });
    redact(&mut snap, &ids);
    snap
}

fn case_snapshot(case: &Value) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), case["id"].clone());
    m.insert("status".into(), case["status"].clone());
    let response = &case["response"];
    m.insert("http_status".into(), response["status"].clone());
    if let Some(t) = case.get("error_type") {
        m.insert("error_type".into(), t.clone());
    }
    if let Some(e) = case.get("transport_error") {
        // The error kind only: messages name ports and durations.
        let kind = e
            .as_str()
            .and_then(|s| s.split(':').next())
            .unwrap_or("transport error");
        m.insert("transport_error".into(), json!(kind));
    }
    m.insert("response_shape".into(), response_shape(response));
    let outcomes: Map<String, Value> = case["outcomes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| Some((o["check"].as_str()?.to_owned(), o["status"].clone())))
        .collect();
    m.insert("outcomes".into(), Value::Object(outcomes));
    Value::Object(m)
}

/// Member names and JSON types of a response body (`null` when there was no response).
fn response_shape(response: &Value) -> Value {
    let Some(body) = response.get("body").and_then(Value::as_str) else {
        return Value::Null;
    };
    if body.is_empty() {
        return json!("empty");
    }
    match serde_json::from_str::<Value>(body) {
        // `member: type` strings rather than an object, so that token member names keep their
        // type instead of being redacted as members.
        Ok(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| json!(format!("{k}: {}", json_type_name(v))))
            .collect(),
        Ok(other) => json!(json_type_name(&other)),
        Err(_) => json!("not json"),
    }
}

/// Tunnel ids the target generated: every `tunnelId` (at any depth) in the bodies of the run's
/// responses.
fn tunnel_ids(report: &Value) -> BTreeSet<String> {
    fn collect(v: &Value, ids: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, val) in m {
                    match (k.as_str(), val.as_str()) {
                        ("tunnelId", Some(id)) if !id.is_empty() => {
                            ids.insert(id.to_owned());
                        }
                        _ => collect(val, ids),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, ids)),
            _ => {}
        }
    }
    let mut ids = BTreeSet::new();
    let exchanges = report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["exchanges"].as_array().into_iter().flatten());
    for e in exchanges {
        if let Ok(body) = serde_json::from_str::<Value>(e["response"]["body"].as_str().unwrap_or("")) {
            collect(&body, &mut ids);
        }
    }
    ids
}

fn regexes() -> &'static [(Regex, &'static str)] {
    static RES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    RES.get_or_init(|| {
        [
            (r"arn:aws[a-zA-Z-]*:[^\s\x22',;)\]}]*", ARN),
            (
                r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
                UUID,
            ),
            (
                r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
                TIMESTAMP,
            ),
            // Ports of loopback targets are picked by the OS.
            (r"\b(127\.0\.0\.1|localhost|\[::1\]):\d+", "${1}:[port]"),
            // Epoch seconds (2001..2286) or milliseconds, possibly fractional.
            (r"\b1\d{9}(?:\d{3})?(?:\.\d+)?\b", TIMESTAMP),
        ]
        .into_iter()
        .filter_map(|(re, with)| Regex::new(re).ok().map(|re| (re, with)))
        .collect()
    })
}

/// The standard snapshot redactions, applied to every string of `v` (and to token members):
/// `tunnel_ids` -> `[tunnel-id]`, ARNs -> `[arn]`, UUIDs -> `[uuid]`, timestamps -> `[timestamp]`,
/// access tokens -> `<redacted>`.
pub fn redact(v: &mut Value, tunnel_ids: &BTreeSet<String>) {
    redact_json(v);
    redact_strings(v, tunnel_ids);
}

fn redact_strings(v: &mut Value, ids: &BTreeSet<String>) {
    match v {
        Value::String(s) => *s = redact_text(s, ids),
        Value::Array(a) => a.iter_mut().for_each(|x| redact_strings(x, ids)),
        Value::Object(m) => m.values_mut().for_each(|x| redact_strings(x, ids)),
        _ => {}
    }
}

pub fn redact_text(s: &str, tunnel_ids: &BTreeSet<String>) -> String {
    let mut out = s.to_owned();
    for (re, with) in regexes() {
        out = re.replace_all(&out, *with).into_owned();
    }
    // Longest first so an id that contains another is replaced whole.
    let mut ids: Vec<&String> = tunnel_ids
        .iter()
        .filter(|i| i.len() >= 4 && i.as_str() != REDACTED)
        .collect();
    ids.sort_by_key(|i| std::cmp::Reverse(i.len()));
    for id in ids {
        out = out.replace(id.as_str(), TUNNEL_ID);
    }
    out
}

/// The snapshot name for a target: `embedded`, or `endpoint-<host>-<port>` with every
/// character outside `[A-Za-z0-9_-]` replaced by `_` (a file name on any system).
pub fn snapshot_name(endpoint: Option<&str>) -> String {
    let Some(endpoint) = endpoint else {
        return "embedded".to_owned();
    };
    let host_port = match reqwest::Url::parse(endpoint) {
        Ok(url) => match (url.host_str(), url.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}-{p}"),
            (Some(h), None) => h.to_owned(),
            _ => endpoint.to_owned(),
        },
        Err(_) => endpoint.to_owned(),
    };
    let safe: String = host_port
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("endpoint-{safe}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_redactions() {
        let ids: BTreeSet<String> = ["a1b2c3d4".to_owned()].into();
        let s = redact_text(
            "tunnel a1b2c3d4 arn:aws:iot:us-east-1:123456789012:tunnel/a1b2c3d4 req \
             0f8fad5b-d9cb-469f-a165-70867728950e at 2026-11-27T18:32:03Z / 1795890723.25",
            &ids,
        );
        assert_eq!(s, "tunnel [tunnel-id] [arn] req [uuid] at [timestamp] / [timestamp]");
    }

    #[test]
    fn names_are_file_safe() {
        assert_eq!(snapshot_name(None), "embedded");
        assert_eq!(snapshot_name(Some("http://127.0.0.1:8080")), "endpoint-127_0_0_1-8080");
        assert_eq!(
            snapshot_name(Some("https://api.tunneling.iot.eu-west-1.amazonaws.com")),
            "endpoint-api_tunneling_iot_eu-west-1_amazonaws_com-443"
        );
    }
}
