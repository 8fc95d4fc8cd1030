//! Normalization: a run's exchanges become a [`Recording`] in which nothing the endpoint generates
//! appears as a value, and nothing secret appears at all.
//!
//! - Tunnel ids, tokens, opaque ARNs and request ids become stable references (`<tunnel-id:1>`,
//!   `<token:2>`, `<arn:1>`, `<request-id:7>`), numbered by first appearance in the file, so the
//!   same tunnel is the same reference everywhere ("DescribeTunnel returns the id OpenTunnel
//!   returned" survives). They are learnt from responses first, then replaced everywhere, inside
//!   messages and request bodies too.
//! - A tunnel ARN keeps its shape: `arn:aws:iot:<region>:<account>:tunnel/<tunnel-id:1>`
//!   (the region is replaced only when it is the run's region).
//! - Timestamps become relations: a tunnel's `createdAt` is `<created-at>` the first time it is
//!   read and `<created-at:unchanged>` / `<created-at:changed>` after; `lastUpdatedAt` is
//!   `<last-updated-at:not-before-created-at>` or `<last-updated-at:before-created-at>`. Whether
//!   lastUpdatedAt moves on rotation is left open by the spec and timing-dependent, so not kept.
//! - Tokens go through [`crate::redact`]: token members become references, and every token the
//!   run saw is scrubbed from any remaining text. Secret headers are `<redacted>`.
//! - Throttled attempts that were retried are dropped (their number depends on the moment).
//! - Long strings are cut at [`MAX_TEXT`] characters (mutated requests reach 300 KB).

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::recording::{
    Body, Provenance, RecordedCase, RecordedExchange, RecordedRequest, RecordedResponse, Recording, CONTROL_PLANE,
    FORMAT, VERSION,
};
use crate::redact::{self, Redactor};
use crate::runner::recorder::REQUEST;
use crate::runner::{CaseResult, Exchange, RunResult};
use crate::spec::facts::TOKEN_MEMBERS;
use crate::spec::model::{model, ShapeKind};
use crate::wire::parse_error;
use crate::wire::{HttpRequest, HttpResponse};

/// Response headers a recording keeps: the ones an SDK reads.
pub const RESPONSE_HEADERS: [&str; 3] = ["content-type", "x-amzn-errortype", "x-amzn-requestid"];
/// Request headers not kept: the transport's own.
const TRANSPORT_HEADERS: [&str; 2] = ["host", "content-length"];
/// Strings longer than this (in characters) are cut, with their length noted.
pub const MAX_TEXT: usize = 256;
/// Shorter identifiers are replaced only where they are a whole value, never inside text.
const MIN_NEEDLE: usize = 4;

const CREATED_AT: &str = "createdAt";
const LAST_UPDATED_AT: &str = "lastUpdatedAt";

/// Reference families, as they appear in `<family:N>`.
pub const FAMILIES: [&str; 4] = ["tunnel-id", "token", "arn", "request-id"];

/// Numbers values of one family by first appearance.
#[derive(Default)]
struct Refs {
    numbers: HashMap<String, usize>,
}

impl Refs {
    fn add(&mut self, raw: &str) {
        if !raw.is_empty() && !self.numbers.contains_key(raw) {
            let n = self.numbers.len() + 1;
            self.numbers.insert(raw.to_owned(), n);
        }
    }

    fn get(&self, family: &str, raw: &str) -> Option<String> {
        self.numbers.get(raw).map(|n| format!("<{family}:{n}>"))
    }
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
fn arn_parts(s: &str) -> Option<[&str; 5]> {
    let rest = s.strip_prefix("arn:")?;
    let mut it = rest.splitn(5, ':');
    let parts = [it.next()?, it.next()?, it.next()?, it.next()?, it.next()?];
    Some(parts)
}

/// Timestamp members of the model (createdAt, lastUpdatedAt, ...).
fn timestamp_members() -> BTreeSet<String> {
    let m = model();
    let mut out = BTreeSet::new();
    for shape in m.shapes.values() {
        if let ShapeKind::Structure { members, .. } = &shape.kind {
            for member in members {
                if matches!(m.shape(&member.shape).map(|s| &s.kind), Some(ShapeKind::Timestamp)) {
                    out.insert(member.name.clone());
                }
            }
        }
    }
    out
}

struct Normalizer<'a> {
    region: String,
    redactor: &'a Redactor,
    tunnels: Refs,
    tokens: Refs,
    arns: Refs,
    request_ids: Refs,
    timestamps: BTreeSet<String>,
    /// First createdAt read for each tunnel (raw id).
    created: HashMap<String, f64>,
    /// (raw, replacement), longest raw first.
    needles: Vec<(String, String)>,
    /// The run's id (the value of the tag on every tunnel it opened): new on every run.
    run_id: String,
}

/// The exchanges of a case that a recording keeps: all of them (the recorder folds retried
/// attempts into the exchange that finally answered, so throttling leaves no trace here).
fn kept(exchanges: &[Exchange]) -> Vec<&Exchange> {
    exchanges.iter().collect()
}

/// The recording of a run. `provenance` says where it was made.
pub fn recording(result: &RunResult, provenance: Provenance) -> Recording {
    let mut n = Normalizer {
        region: provenance.region.clone(),
        redactor: &result.redactor,
        tunnels: Refs::default(),
        tokens: Refs::default(),
        arns: Refs::default(),
        request_ids: Refs::default(),
        timestamps: timestamp_members(),
        created: HashMap::new(),
        needles: Vec::new(),
        run_id: result.tunnels.run_id.clone(),
    };
    let mut cases: Vec<&CaseResult> = result.cases.iter().collect();
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    // Pass 1: learn every generated value in file order, so numbering is stable.
    for case in &cases {
        for e in kept(&case.exchanges) {
            // The harness's own calls name only tunnels the endpoint issued (a case's request
            // may name a generated unknown id, which is kept as it is).
            if e.role != REQUEST {
                if let Some(body) = e.request.body_json() {
                    n.learn_json(&body);
                }
            }
            if let Some(resp) = &e.response {
                n.learn_response(resp);
            }
        }
    }
    n.build_needles();
    // Pass 2: rewrite.
    let cases = cases
        .into_iter()
        .map(|case| RecordedCase {
            id: case.id.clone(),
            exchanges: kept(&case.exchanges).into_iter().map(|e| n.exchange(e)).collect(),
        })
        .collect();
    Recording {
        format: FORMAT.into(),
        version: VERSION,
        provenance,
        cases,
    }
}

impl Normalizer<'_> {
    fn learn_response(&mut self, resp: &HttpResponse) {
        for (k, v) in &resp.headers {
            if k.eq_ignore_ascii_case("x-amzn-requestid") {
                self.request_ids.add(v);
            }
        }
        if let Some(body) = resp.body_json() {
            self.learn_json(&body);
        }
    }

    fn learn_json(&mut self, v: &Value) {
        match v {
            Value::Object(map) => {
                for (k, val) in map {
                    match (k.as_str(), val) {
                        ("tunnelId", Value::String(id)) => self.tunnels.add(id),
                        ("tunnelArn", Value::String(arn)) => match arn_parts(arn) {
                            Some([_, _, _, _, resource]) if resource.starts_with("tunnel/") => {
                                self.tunnels.add(&resource["tunnel/".len()..]);
                            }
                            _ => self.arns.add(arn),
                        },
                        (k, Value::String(tok)) if TOKEN_MEMBERS.contains(&k) => {
                            self.tokens.add(tok);
                            self.redactor.add(tok);
                        }
                        _ => self.learn_json(val),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.learn_json(i)),
            _ => {}
        }
    }

    /// Replacements for identifiers found inside text, longest first so that an ARN is replaced
    /// whole before the tunnel id inside it.
    fn build_needles(&mut self) {
        let mut needles = Vec::new();
        for (refs, family) in [
            (&self.tunnels, "tunnel-id"),
            (&self.tokens, "token"),
            (&self.arns, "arn"),
            (&self.request_ids, "request-id"),
        ] {
            for raw in refs.numbers.keys() {
                needles.push((raw.clone(), refs.get(family, raw).unwrap_or_default()));
            }
        }
        if !self.run_id.is_empty() {
            needles.push((self.run_id.clone(), "<run-id>".to_owned()));
        }
        needles.retain(|(raw, _)| raw.chars().count() >= MIN_NEEDLE);
        needles.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        self.needles = needles;
    }

    /// A string value: whole-value identifiers and ARNs first, then identifiers inside text, then
    /// the redactor, then the length cap.
    fn text(&self, s: &str) -> String {
        let whole = self
            .tunnels
            .get("tunnel-id", s)
            .or_else(|| self.tokens.get("token", s))
            .or_else(|| self.arns.get("arn", s))
            .or_else(|| self.request_ids.get("request-id", s));
        if let Some(r) = whole {
            return r;
        }
        let mut out = s.to_owned();
        if s.contains("arn:") {
            out = self.arns_in(&out);
        }
        for (raw, replacement) in &self.needles {
            if out.contains(raw.as_str()) {
                out = out.replace(raw.as_str(), replacement);
            }
        }
        cap(&self.redactor.scrub(&out))
    }

    /// Tunnel ARNs inside text, in their structured form.
    fn arns_in(&self, s: &str) -> String {
        // An ARN runs until whitespace or a quote; a tunnel ARN's id is a known tunnel id.
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(at) = rest.find("arn:") {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ')' | ']' | '}'))
                .unwrap_or(tail.len());
            let candidate = &tail[..end];
            out.push_str(&self.tunnel_arn(candidate).unwrap_or_else(|| candidate.to_owned()));
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }

    /// `arn:aws:service:<region>:<account>:tunnel/<tunnel-id:N>` for an ARN of a known tunnel.
    fn tunnel_arn(&self, s: &str) -> Option<String> {
        let [partition, service, region, account, resource] = arn_parts(s)?;
        let id = self.tunnels.get("tunnel-id", resource.strip_prefix("tunnel/")?)?;
        let region = if region == self.region { "<region>" } else { region };
        let account = if !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()) {
            "<account>"
        } else {
            account
        };
        Some(format!("arn:{partition}:{service}:{region}:{account}:tunnel/{id}"))
    }

    fn json(&mut self, v: &Value) -> Value {
        match v {
            Value::Object(map) => self.object(map),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.json(i)).collect()),
            Value::String(s) => Value::String(self.tunnel_arn(s).unwrap_or_else(|| self.text(s))),
            other => other.clone(),
        }
    }

    fn object(&mut self, map: &Map<String, Value>) -> Value {
        let tunnel = map.get("tunnelId").and_then(Value::as_str).map(str::to_owned);
        let created = map.get(CREATED_AT).and_then(Value::as_f64);
        let mut out = Map::new();
        for (k, val) in map {
            let normalized = if TOKEN_MEMBERS.contains(&k.as_str()) {
                let mut wrapped = Value::Object(Map::from_iter([(k.clone(), val.clone())]));
                redact::replace_token_members(&mut wrapped, &mut |tok| {
                    if tok.is_empty() {
                        // An empty token is a finding worth seeing, and holds no secret.
                        String::new()
                    } else {
                        self.tokens.get("token", tok).unwrap_or_else(|| redact::REDACTED.into())
                    }
                });
                wrapped[k].take()
            } else if self.timestamps.contains(k) {
                self.timestamp(k, val, tunnel.as_deref(), created)
            } else {
                self.json(val)
            };
            out.insert(self.text(k), normalized);
        }
        Value::Object(out)
    }

    fn timestamp(&mut self, member: &str, v: &Value, tunnel: Option<&str>, created: Option<f64>) -> Value {
        let Some(t) = v.as_f64() else {
            return match v {
                // Kept apart from numbers: a string timestamp is a different value kind.
                Value::String(_) => Value::String("<timestamp:string>".into()),
                other => self.json(other),
            };
        };
        let placeholder = match (member, tunnel) {
            (CREATED_AT, Some(id)) => match self.created.get(id) {
                None => {
                    self.created.insert(id.to_owned(), t);
                    "<created-at>"
                }
                Some(first) if *first == t => "<created-at:unchanged>",
                Some(_) => "<created-at:changed>",
            },
            (LAST_UPDATED_AT, _) => match created {
                Some(c) if t >= c => "<last-updated-at:not-before-created-at>",
                Some(_) => "<last-updated-at:before-created-at>",
                None => "<timestamp>",
            },
            _ => "<timestamp>",
        };
        Value::String(placeholder.into())
    }

    fn exchange(&mut self, e: &Exchange) -> RecordedExchange {
        RecordedExchange {
            channel: CONTROL_PLANE.into(),
            role: e.role.clone(),
            request: self.request(&e.request),
            response: e.response.as_ref().map(|r| self.response(r)),
            transport_error: e.transport_error.is_some(),
        }
    }

    fn request(&mut self, r: &HttpRequest) -> RecordedRequest {
        let mut headers = Map::new();
        let mut target = None;
        for (k, v) in &r.headers {
            let name = k.to_ascii_lowercase();
            if name == "x-amz-target" && target.is_none() {
                target = Some(self.text(v));
            } else if !TRANSPORT_HEADERS.contains(&name.as_str()) {
                let value = self.text(&self.redactor.header_value(k, v));
                append_header(&mut headers, name, value);
            }
        }
        RecordedRequest {
            method: cap(&r.method),
            target,
            headers,
            body: self.request_body(&r.body),
        }
    }

    /// JSON when the bytes are exactly the compact rendering of their JSON (so nothing such as a
    /// duplicate key or odd spacing is lost); otherwise the text.
    fn request_body(&mut self, bytes: &[u8]) -> Body {
        if bytes.is_empty() {
            return Body::default();
        }
        if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
            if serde_json::to_vec(&v).is_ok_and(|re| re == bytes) {
                return Body {
                    body: Some(self.json(&v)),
                    body_text: None,
                };
            }
        }
        Body {
            body: None,
            body_text: Some(self.text(&String::from_utf8_lossy(bytes))),
        }
    }

    fn response(&mut self, r: &HttpResponse) -> RecordedResponse {
        let mut headers = Map::new();
        for (k, v) in &r.headers {
            let name = k.to_ascii_lowercase();
            if RESPONSE_HEADERS.contains(&name.as_str()) {
                let value = self.text(&self.redactor.header_value(k, v));
                append_header(&mut headers, name, value);
            }
        }
        let body = if r.body.is_empty() {
            Body::default()
        } else if let Some(v) = r.body_json() {
            Body {
                body: Some(self.json(&v)),
                body_text: None,
            }
        } else {
            Body {
                body: None,
                body_text: Some(self.text(&r.body_text())),
            }
        };
        RecordedResponse {
            status: r.status,
            error_type: (!r.is_success())
                .then(|| parse_error(r))
                .flatten()
                .map(|e| self.text(&e.type_name)),
            headers,
            body,
            truncated: r.truncated,
        }
    }
}

fn append_header(headers: &mut Map<String, Value>, name: String, value: String) {
    match headers.get_mut(&name) {
        Some(Value::String(existing)) => {
            existing.push_str(", ");
            existing.push_str(&value);
        }
        _ => {
            headers.insert(name, Value::String(value));
        }
    }
}

/// At most [`MAX_TEXT`] characters, with the full length noted when cut.
fn cap(s: &str) -> String {
    let count = s.chars().count();
    if count <= MAX_TEXT {
        return s.to_owned();
    }
    let head: String = s.chars().take(MAX_TEXT).collect();
    format!("{head}…<{count} chars>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use serde_json::json;

    fn provenance() -> Provenance {
        Provenance::for_tests()
    }

    fn exchange(role: &str, req: HttpRequest, resp: HttpResponse) -> Exchange {
        Exchange {
            role: role.into(),
            request: req,
            response: Some(resp),
            transport_error: None,
            attempts: 1,
            retried: Vec::new(),
            elapsed_ms: 3,
        }
    }

    fn run_of(exchanges: Vec<Exchange>) -> RunResult {
        let case = CaseResult {
            id: "valid/all".into(),
            kind: crate::cases::CaseKind::Valid,
            description: String::new(),
            operator: None,
            tunnel: crate::cases::TunnelState::None,
            expect: crate::cases::Expectation::NotFound,
            request: HttpRequest::json("RotateTunnelAccessToken", &json!({})),
            response: None,
            error_type: None,
            transport_error: None,
            outcomes: Vec::new(),
            exchanges,
            duration_ms: 0,
        };
        RunResult::of_cases(vec![case])
    }

    #[test]
    fn generated_values_become_references_and_relations() {
        let id = "0123456789abcdef0123456789abcdef";
        let arn = format!("arn:aws:iot:us-east-1:123456789012:tunnel/{id}");
        let open = json_response(
            200,
            &json!({"tunnelId": id, "tunnelArn": arn, "sourceAccessToken": "AQGsecret-src-1", "destinationAccessToken": "AQGsecret-dst-1"}).to_string(),
        );
        let describe = |created: f64, updated: f64| {
            json_response(
                200,
                &json!({"tunnel": {"tunnelId": id, "tunnelArn": arn, "status": "OPEN", "createdAt": created, "lastUpdatedAt": updated}}).to_string(),
            )
        };
        let mut rotate = json_response(
            400,
            &json!({"__type": "InvalidRequestException", "message": format!("tunnel {id} has token AQGsecret-src-1")})
                .to_string(),
        );
        rotate.headers.push(("x-amzn-RequestId".into(), "req-abcdef".into()));
        let body = |op: &str| HttpRequest::json(op, &json!({"tunnelId": id}));
        let run = run_of(vec![
            exchange("setup", HttpRequest::json("OpenTunnel", &json!({})), open),
            exchange("setup", body("DescribeTunnel"), describe(100.0, 100.0)),
            exchange("request", body("RotateTunnelAccessToken"), rotate),
            exchange("verify", body("DescribeTunnel"), describe(100.0, 99.0)),
            exchange("verify", body("DescribeTunnel"), describe(101.0, 101.0)),
        ]);
        let rec = recording(&run, provenance());
        let text = rec.to_text();
        for secret in [id, "AQGsecret", "123456789012", "req-abcdef"] {
            assert!(!text.contains(secret), "{secret} in\n{text}");
        }
        let ex = &rec.cases[0].exchanges;
        let open_body = ex[0].response.as_ref().unwrap().body.body.as_ref().unwrap();
        assert_eq!(open_body["tunnelId"], "<tunnel-id:1>");
        assert_eq!(
            open_body["tunnelArn"],
            "arn:aws:iot:<region>:<account>:tunnel/<tunnel-id:1>"
        );
        assert_eq!(open_body["sourceAccessToken"], "<token:1>");
        assert_eq!(open_body["destinationAccessToken"], "<token:2>");
        let tunnel = |i: usize| ex[i].response.as_ref().unwrap().body.body.as_ref().unwrap()["tunnel"].clone();
        assert_eq!(tunnel(1)["createdAt"], "<created-at>");
        assert_eq!(tunnel(1)["lastUpdatedAt"], "<last-updated-at:not-before-created-at>");
        assert_eq!(tunnel(3)["createdAt"], "<created-at:unchanged>");
        assert_eq!(tunnel(3)["lastUpdatedAt"], "<last-updated-at:before-created-at>");
        assert_eq!(tunnel(4)["createdAt"], "<created-at:changed>");
        let err = ex[2].response.as_ref().unwrap();
        assert_eq!(
            err.body.body.as_ref().unwrap()["message"],
            "tunnel <tunnel-id:1> has token <token:1>"
        );
        assert_eq!(err.headers["x-amzn-requestid"], "<request-id:1>");
        assert_eq!(err.error_type.as_deref(), Some("InvalidRequestException"));
        assert_eq!(ex[2].request.body.body.as_ref().unwrap()["tunnelId"], "<tunnel-id:1>");
        // Stable: the same run normalizes to the same bytes.
        assert_eq!(recording(&run, provenance()).to_text(), text);
    }

    #[test]
    fn retries_leave_no_trace_and_long_text_is_cut() {
        let req = HttpRequest::raw("DescribeTunnel", "x".repeat(1000).into_bytes());
        // The recorder folds a throttled attempt into the exchange that finally answered.
        let mut retried = exchange("request", req, json_response(200, "{}"));
        retried.attempts = 2;
        retried.retried = vec!["ThrottlingException".into()];
        let rec = recording(&run_of(vec![retried]), provenance());
        let ex = &rec.cases[0].exchanges;
        assert_eq!(ex.len(), 1);
        let text = ex[0].request.body.body_text.as_deref().unwrap();
        assert!(text.ends_with("…<1000 chars>"), "{text}");
        let json = serde_json::to_string(&rec).unwrap();
        assert!(!json.contains("Throttling") && !json.contains("attempts"), "{json}");
    }
}
