//! Comparing two recordings, per case and per JSON path.
//!
//! Exchanges are matched by position within a case. References are compared as a bijection per
//! case: `<tunnel-id:3>` in the reference may be `<tunnel-id:5>` in the candidate (numbering
//! follows the order things happened), as long as the same reference always maps to the same
//! one; a tunnel that should be the same but is not is a `reference` difference. Keeping the
//! bijection per case stops one early divergence from shifting every later case.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ignore::IgnoreRule;
use super::recording::{Body, Provenance, RecordedCase, RecordedExchange, RecordedResponse, Recording};

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A case only one side has.
    Case,
    /// The exchanges of a case diverge (another operation, more or fewer calls).
    Exchanges,
    /// The request the harness sent differs (the recording may come from another rotcheck).
    Request,
    /// A response on one side, a transport failure on the other.
    Transport,
    Status,
    /// The error type (as parsed, or as written in `__type`, `code` or the header).
    ErrorType,
    /// A member or header one side lacks.
    Missing,
    /// A member or header only the candidate has.
    Extra,
    /// Another JSON type (string vs number, object vs text body, ...).
    ValueKind,
    Value,
    /// A timestamp relation (createdAt unchanged, lastUpdatedAt >= createdAt).
    Relation,
    /// Identity across exchanges: the same tunnel, token or ARN where the reference had it.
    Reference,
    /// The error message: its text or the member's name. Soft: texts differ between any two
    /// implementations, so it is reported in a class of its own.
    Message,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Case,
        Kind::Exchanges,
        Kind::Request,
        Kind::Transport,
        Kind::Status,
        Kind::ErrorType,
        Kind::Missing,
        Kind::Extra,
        Kind::ValueKind,
        Kind::Value,
        Kind::Relation,
        Kind::Reference,
        Kind::Message,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Case => "case",
            Kind::Exchanges => "exchanges",
            Kind::Request => "request",
            Kind::Transport => "transport",
            Kind::Status => "status",
            Kind::ErrorType => "error-type",
            Kind::Missing => "missing",
            Kind::Extra => "extra",
            Kind::ValueKind => "value-kind",
            Kind::Value => "value",
            Kind::Relation => "relation",
            Kind::Reference => "reference",
            Kind::Message => "message",
        }
    }

    pub fn is_soft(self) -> bool {
        self == Kind::Message
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which exchange of the case a difference is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeRef {
    /// 1-based position in the case.
    pub index: usize,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeRef>,
    /// JSON path in the exchange: `$.response.status`, `$.response.body.message`,
    /// `$.response.headers.content-type`, `$.request.body.tunnelId`; `$` for the case itself.
    pub path: String,
    pub kind: Kind,
    /// In the reference (normalized, free of secrets).
    pub expected: String,
    /// At the endpoint.
    pub actual: String,
    /// The reason of the ignore entry that covers it, if one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    pub id: String,
    pub differences: Vec<Difference>,
}

impl CaseComparison {
    /// No difference that an ignore entry does not cover.
    pub fn identical(&self) -> bool {
        self.differences.iter().all(|d| d.ignored.is_some())
    }
}

/// The result of comparing an endpoint with a reference.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub reference: Provenance,
    pub candidate: Provenance,
    pub cases: Vec<CaseComparison>,
    /// Ignore entries that matched no difference: the divergence they name is gone (or the
    /// pattern is wrong).
    pub unused_ignores: Vec<IgnoreRule>,
}

/// A kind and path with how often it differs (the summary's rows).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub kind: Kind,
    pub path: String,
    pub count: usize,
    pub cases: usize,
    /// The first case with it.
    pub example: String,
}

impl Comparison {
    pub fn total(&self) -> usize {
        self.cases.len()
    }

    pub fn identical(&self) -> usize {
        self.cases.iter().filter(|c| c.identical()).count()
    }

    /// Differences no ignore entry covers.
    pub fn open(&self) -> impl Iterator<Item = (&CaseComparison, &Difference)> {
        self.cases
            .iter()
            .flat_map(|c| c.differences.iter().map(move |d| (c, d)))
            .filter(|(_, d)| d.ignored.is_none())
    }

    pub fn ignored_count(&self) -> usize {
        self.cases
            .iter()
            .flat_map(|c| &c.differences)
            .filter(|d| d.ignored.is_some())
            .count()
    }

    /// 0: parity within the ignores; 1: a difference.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.open().next().is_some())
    }

    /// Open differences grouped by kind and path, in [`Kind`] order then by path.
    pub fn groups(&self) -> Vec<Group> {
        let mut groups: BTreeMap<(Kind, String), Group> = BTreeMap::new();
        let mut last_case: HashMap<(Kind, String), String> = HashMap::new();
        for (case, d) in self.open() {
            let key = (d.kind, d.path.clone());
            let g = groups.entry(key.clone()).or_insert_with(|| Group {
                kind: d.kind,
                path: d.path.clone(),
                count: 0,
                cases: 0,
                example: case.id.clone(),
            });
            g.count += 1;
            if last_case.get(&key) != Some(&case.id) {
                g.cases += 1;
                last_case.insert(key, case.id.clone());
            }
        }
        groups.into_values().collect()
    }
}

/// Compare `candidate` with `reference`, then apply the ignore entries.
pub fn compare(reference: &Recording, candidate: &Recording, ignores: &[IgnoreRule]) -> Comparison {
    let mut by_id: BTreeMap<&str, (Option<&RecordedCase>, Option<&RecordedCase>)> = BTreeMap::new();
    for c in &reference.cases {
        by_id.entry(&c.id).or_default().0 = Some(c);
    }
    for c in &candidate.cases {
        by_id.entry(&c.id).or_default().1 = Some(c);
    }
    let mut used = vec![false; ignores.len()];
    let cases = by_id
        .into_iter()
        .map(|(id, pair)| {
            let mut differences = match pair {
                (Some(r), Some(c)) => compare_case(r, c),
                (Some(_), None) => vec![case_difference("the case", "no such case")],
                (None, _) => vec![case_difference("no such case", "the case")],
            };
            for d in &mut differences {
                if let Some((i, rule)) = ignores.iter().enumerate().find(|(_, r)| r.matches(id, &d.path)) {
                    used[i] = true;
                    d.ignored = Some(rule.reason.clone());
                }
            }
            CaseComparison {
                id: id.to_owned(),
                differences,
            }
        })
        .collect();
    Comparison {
        reference: reference.provenance.clone(),
        candidate: candidate.provenance.clone(),
        cases,
        unused_ignores: ignores
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(r, _)| r.clone())
            .collect(),
    }
}

fn case_difference(expected: &str, actual: &str) -> Difference {
    Difference {
        exchange: None,
        path: "$".into(),
        kind: Kind::Case,
        expected: expected.into(),
        actual: actual.into(),
        ignored: None,
    }
}

fn operation(e: &RecordedExchange) -> Option<String> {
    e.request
        .target
        .as_deref()
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_owned())
}

/// Diff of one case.
struct CaseDiff {
    out: Vec<Difference>,
    at: Option<ExchangeRef>,
    forward: HashMap<String, String>,
    backward: HashMap<String, String>,
}

fn compare_case(reference: &RecordedCase, candidate: &RecordedCase) -> Vec<Difference> {
    let mut d = CaseDiff {
        out: Vec::new(),
        at: None,
        forward: HashMap::new(),
        backward: HashMap::new(),
    };
    for (i, (r, c)) in reference.exchanges.iter().zip(&candidate.exchanges).enumerate() {
        d.at = Some(ExchangeRef {
            index: i + 1,
            role: r.role.clone(),
            operation: operation(r),
        });
        let (rs, cs) = (describe_exchange(r), describe_exchange(c));
        if r.channel != c.channel
            || r.role != c.role
            || r.request.target != c.request.target
            || r.request.method != c.request.method
        {
            // Later exchanges answer other calls: comparing them would only repeat this one.
            d.push("$", Kind::Exchanges, rs, cs);
            return d.out;
        }
        d.exchange(r, c);
    }
    let (nr, nc) = (reference.exchanges.len(), candidate.exchanges.len());
    if nr != nc {
        let i = nr.min(nc);
        let next = reference.exchanges.get(i).or(candidate.exchanges.get(i));
        d.at = next.map(|e| ExchangeRef {
            index: i + 1,
            role: e.role.clone(),
            operation: operation(e),
        });
        let show = |ex: &[RecordedExchange]| {
            ex.get(i)
                .map(describe_exchange)
                .unwrap_or_else(|| format!("no exchange #{} ({} in all)", i + 1, ex.len()))
        };
        d.push(
            "$",
            Kind::Exchanges,
            show(&reference.exchanges),
            show(&candidate.exchanges),
        );
    }
    d.out
}

fn describe_exchange(e: &RecordedExchange) -> String {
    format!(
        "{} {} {}",
        e.role,
        e.request.method,
        operation(e).unwrap_or_else(|| "(no X-Amz-Target)".into())
    )
}

/// `<family:N>` references inside a string.
fn reference_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"<(tunnel-id|token|arn|request-id):(\d+)>").expect("valid regex"))
}

enum Same {
    Yes,
    No,
    /// The texts agree but a reference breaks the bijection: (expected, actual).
    Identity(String, String),
}

/// JSON type names, for value-kind differences.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(s)
            if s.starts_with("<timestamp") || s.starts_with("<created-at") || s.starts_with("<last-updated-at") =>
        {
            if s == "<timestamp:string>" {
                "string"
            } else {
                "number"
            }
        }
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_relation(s: &str) -> bool {
    s.starts_with("<created-at") || s.starts_with("<last-updated-at") || s.starts_with("<timestamp")
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// At most 120 characters of a rendered value.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 120 {
        return s.to_owned();
    }
    let head: String = s.chars().take(120).collect();
    format!("{head}...")
}

const MESSAGE_MEMBERS: [&str; 3] = ["message", "Message", "errorMessage"];
const ERROR_TYPE_MEMBERS: [&str; 2] = ["__type", "code"];

impl CaseDiff {
    fn push(&mut self, path: &str, kind: Kind, expected: impl Into<String>, actual: impl Into<String>) {
        self.out.push(Difference {
            exchange: self.at.clone(),
            path: path.to_owned(),
            kind,
            expected: expected.into(),
            actual: actual.into(),
            ignored: None,
        });
    }

    /// Whether two strings are the same up to the case's reference bijection (which it extends).
    fn same(&mut self, a: &str, b: &str) -> Same {
        let re = reference_re();
        let shape = |s: &str| re.replace_all(s, "<$1>").into_owned();
        if shape(a) != shape(b) {
            return Same::No;
        }
        let pairs: Vec<(String, String)> = re
            .find_iter(a)
            .zip(re.find_iter(b))
            .map(|(x, y)| (x.as_str().to_owned(), y.as_str().to_owned()))
            .collect();
        for (x, y) in pairs {
            let known_forward = self.forward.get(&x).cloned();
            let known_backward = self.backward.get(&y).cloned();
            match (known_forward, known_backward) {
                (None, None) => {
                    self.forward.insert(x.clone(), y.clone());
                    self.backward.insert(y, x);
                }
                (Some(f), Some(_)) if f == y => {}
                (Some(f), _) => {
                    return Same::Identity(
                        format!("{x} (seen earlier in the case as {f} here)"),
                        format!("{y}, another one"),
                    );
                }
                (None, Some(back)) => {
                    return Same::Identity(
                        format!("{x}, a new one"),
                        format!("{y}, which stood for {back} earlier in the case"),
                    );
                }
            }
        }
        Same::Yes
    }

    fn exchange(&mut self, r: &RecordedExchange, c: &RecordedExchange) {
        // The request: the harness sends the same one unless the cases or state differ.
        if let (Some(a), Some(b)) = (&r.request.target, &c.request.target) {
            self.string("$.request.target", a, b, Kind::Request);
        }
        self.headers(
            "$.request.headers",
            &r.request.headers,
            &c.request.headers,
            Kind::Request,
        );
        self.body("$.request", &r.request.body, &c.request.body, true);
        match (&r.response, &c.response) {
            (Some(a), Some(b)) => self.response(a, b),
            (Some(a), None) => self.push(
                "$.response",
                Kind::Transport,
                format!("HTTP {}", a.status),
                "no response (transport error)",
            ),
            (None, Some(b)) => self.push(
                "$.response",
                Kind::Transport,
                "no response (transport error)",
                format!("HTTP {}", b.status),
            ),
            (None, None) => {}
        }
    }

    fn string(&mut self, path: &str, a: &str, b: &str, kind: Kind) {
        match self.same(a, b) {
            Same::Yes => {}
            Same::No => self.push(path, kind, format!("{a:?}"), format!("{b:?}")),
            Same::Identity(x, y) => self.push(path, Kind::Reference, x, y),
        }
    }

    fn response(&mut self, a: &RecordedResponse, b: &RecordedResponse) {
        if a.status != b.status {
            self.push(
                "$.response.status",
                Kind::Status,
                a.status.to_string(),
                b.status.to_string(),
            );
        }
        match (&a.error_type, &b.error_type) {
            (Some(x), Some(y)) => self.string("$.response.error_type", x, y, Kind::ErrorType),
            (None, None) => {}
            (x, y) => {
                let show = |t: &Option<String>| t.clone().unwrap_or_else(|| "none".into());
                self.push("$.response.error_type", Kind::ErrorType, show(x), show(y));
            }
        }
        if (200..300).contains(&a.status) != (200..300).contains(&b.status) {
            // A success against an error: the status and error type say it all; listing the
            // tokens one lacks and the __type the other has would only repeat it.
            return;
        }
        self.headers("$.response.headers", &a.headers, &b.headers, Kind::Value);
        self.body("$.response", &a.body, &b.body, false);
        if a.truncated != b.truncated {
            self.push(
                "$.response.truncated",
                Kind::Value,
                a.truncated.to_string(),
                b.truncated.to_string(),
            );
        }
    }

    fn headers(&mut self, path: &str, a: &Map<String, Value>, b: &Map<String, Value>, kind: Kind) {
        let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let p = format!("{path}.{name}");
            let kind = if name == "x-amzn-errortype" {
                Kind::ErrorType
            } else {
                kind
            };
            match (a.get(name), b.get(name)) {
                (Some(x), Some(y)) => {
                    let (x, y) = (x.as_str().unwrap_or_default(), y.as_str().unwrap_or_default());
                    self.string(&p, x, y, kind);
                }
                (Some(x), None) => self.push(&p, Kind::Missing, show(x), "absent"),
                (None, Some(y)) => self.push(&p, Kind::Extra, "absent", show(y)),
                (None, None) => {}
            }
        }
    }

    fn body(&mut self, at: &str, a: &Body, b: &Body, request: bool) {
        let path = format!("{at}.body");
        let kind_of = |body: &Body| match (&body.body, &body.body_text) {
            (Some(_), _) => "JSON",
            (None, Some(_)) => "text",
            (None, None) => "empty",
        };
        let default_kind = if request { Kind::Request } else { Kind::Value };
        match ((&a.body, &a.body_text), (&b.body, &b.body_text)) {
            ((Some(x), _), (Some(y), _)) => self.json(&path, x, y, request),
            ((None, Some(x)), (None, Some(y))) => self.string(&path, x, y, default_kind),
            ((None, None), (None, None)) => {}
            _ => {
                let kind = if request { Kind::Request } else { Kind::ValueKind };
                self.push(&path, kind, kind_of(a), kind_of(b));
            }
        }
    }

    fn json(&mut self, path: &str, a: &Value, b: &Value, request: bool) {
        let plain = if request { Kind::Request } else { Kind::Value };
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => self.object(path, x, y, request),
            // Same length: item by item. Another length: one difference for the list, not one
            // per shifted item (a list of 100 services against 1 would otherwise be 99 lines).
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    self.json(&format!("{path}[{i}]"), p, q, request);
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                let items = |n: usize, v: &Value| format!("{n} item(s): {}", shorten(&show(v)));
                self.push(path, plain, items(x.len(), a), items(y.len(), b));
            }
            (Value::String(x), Value::String(y)) => {
                let kind = if type_name(a) != type_name(b) && !request {
                    Kind::ValueKind
                } else if is_relation(x) && is_relation(y) && !request {
                    Kind::Relation
                } else {
                    plain
                };
                self.string(path, x, y, kind);
            }
            _ if a == b => {}
            _ if type_name(a) != type_name(b) => {
                let kind = if request { Kind::Request } else { Kind::ValueKind };
                self.push(
                    path,
                    kind,
                    format!("{} {}", type_name(a), show(a)),
                    format!("{} {}", type_name(b), show(b)),
                );
            }
            _ => self.push(path, plain, show(a), show(b)),
        }
    }

    fn object(&mut self, path: &str, a: &Map<String, Value>, b: &Map<String, Value>, request: bool) {
        let member = |m: &Map<String, Value>| MESSAGE_MEMBERS.iter().find(|k| m.contains_key(**k)).copied();
        let (ma, mb) = if request { (None, None) } else { (member(a), member(b)) };
        // The message, whatever its member is called, is compared as one thing at `.message`.
        if ma.is_some() || mb.is_some() {
            let p = format!("{path}.message");
            match (ma, mb) {
                (Some(x), Some(y)) => {
                    if x != y {
                        self.push(&p, Kind::Message, format!("member {x:?}"), format!("member {y:?}"));
                    }
                    match (&a[x], &b[y]) {
                        (Value::String(s), Value::String(t)) => self.string(&p, s, t, Kind::Message),
                        (s, t) => self.json(&p, s, t, false),
                    }
                }
                (Some(x), None) => self.push(&p, Kind::Message, format!("member {x:?}: {}", show(&a[x])), "absent"),
                (None, Some(y)) => self.push(&p, Kind::Message, "absent", format!("member {y:?}: {}", show(&b[y]))),
                (None, None) => {}
            }
        }
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            if Some(k.as_str()) == ma || Some(k.as_str()) == mb {
                continue;
            }
            let p = format!("{path}.{k}");
            let error_type = !request && ERROR_TYPE_MEMBERS.contains(&k.as_str());
            match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) if error_type => match (x, y) {
                    (Value::String(s), Value::String(t)) => self.string(&p, s, t, Kind::ErrorType),
                    _ => self.json(&p, x, y, request),
                },
                (Some(x), Some(y)) => self.json(&p, x, y, request),
                (Some(x), None) => {
                    let kind = if request { Kind::Request } else { Kind::Missing };
                    self.push(&p, kind, show(x), "absent");
                }
                (None, Some(y)) => {
                    let kind = if request { Kind::Request } else { Kind::Extra };
                    self.push(&p, kind, "absent", show(y));
                }
                (None, None) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parity::recording::{RecordedRequest, CONTROL_PLANE, FORMAT, VERSION};
    use serde_json::json;

    fn provenance() -> Provenance {
        Provenance::for_tests()
    }

    fn ex(op: &str, req: Value, status: u16, body: Value) -> RecordedExchange {
        RecordedExchange {
            channel: CONTROL_PLANE.into(),
            role: "request".into(),
            request: RecordedRequest {
                method: "POST".into(),
                target: Some(format!("IoTSecuredTunneling.{op}")),
                headers: Map::new(),
                body: Body {
                    body: Some(req),
                    body_text: None,
                },
            },
            response: Some(RecordedResponse {
                status,
                error_type: body.get("__type").and_then(Value::as_str).map(str::to_owned),
                headers: Map::new(),
                body: Body {
                    body: Some(body),
                    body_text: None,
                },
                truncated: false,
            }),
            transport_error: false,
        }
    }

    fn rec(exchanges: Vec<RecordedExchange>) -> Recording {
        Recording {
            format: FORMAT.into(),
            version: VERSION,
            provenance: provenance(),
            cases: vec![RecordedCase {
                id: "c".into(),
                exchanges,
            }],
        }
    }

    fn kinds(c: &Comparison) -> Vec<(Kind, String)> {
        c.open().map(|(_, d)| (d.kind, d.path.clone())).collect()
    }

    #[test]
    fn renumbered_references_are_the_same_but_broken_identity_is_not() {
        let open = |id: &str| ex("OpenTunnel", json!({}), 200, json!({"tunnelId": id}));
        let describe = |id: &str, seen: &str| {
            ex(
                "DescribeTunnel",
                json!({"tunnelId": id}),
                200,
                json!({"tunnel": {"tunnelId": seen}}),
            )
        };
        let a = rec(vec![open("<tunnel-id:1>"), describe("<tunnel-id:1>", "<tunnel-id:1>")]);
        let b = rec(vec![open("<tunnel-id:7>"), describe("<tunnel-id:7>", "<tunnel-id:7>")]);
        assert!(kinds(&compare(&a, &b, &[])).is_empty());
        let broken = rec(vec![open("<tunnel-id:7>"), describe("<tunnel-id:7>", "<tunnel-id:8>")]);
        assert_eq!(
            kinds(&compare(&a, &broken, &[])),
            [(Kind::Reference, "$.response.body.tunnel.tunnelId".to_owned())]
        );
    }

    #[test]
    fn message_member_name_is_one_soft_difference_and_ignorable() {
        let a = rec(vec![ex(
            "RotateTunnelAccessToken",
            json!({}),
            400,
            json!({"__type": "X", "message": "m"}),
        )]);
        let b = rec(vec![ex(
            "RotateTunnelAccessToken",
            json!({}),
            400,
            json!({"__type": "ns#X", "Message": "m"}),
        )]);
        let c = compare(&a, &b, &[]);
        assert_eq!(
            kinds(&c),
            [
                (Kind::ErrorType, "$.response.error_type".to_owned()),
                (Kind::Message, "$.response.body.message".to_owned()),
                (Kind::ErrorType, "$.response.body.__type".to_owned()),
            ]
        );
        assert!(Kind::Message.is_soft());
        let rule = IgnoreRule::new("$.response.body.message", "known", "--ignore").unwrap();
        let unused = IgnoreRule::new("$.response.body.nothing", "stale", "--ignore").unwrap();
        let c = compare(&a, &b, &[rule, unused]);
        assert_eq!(c.ignored_count(), 1);
        assert_eq!(c.unused_ignores.len(), 1);
        assert_eq!(c.unused_ignores[0].pattern, "$.response.body.nothing");
    }

    #[test]
    fn statuses_kinds_relations_and_sequences() {
        let a = rec(vec![
            ex(
                "DescribeTunnel",
                json!({}),
                200,
                json!({"tunnel": {"createdAt": "<created-at:unchanged>", "n": 1}}),
            ),
            ex("RotateTunnelAccessToken", json!({}), 400, json!({})),
        ]);
        let b = rec(vec![
            ex(
                "DescribeTunnel",
                json!({}),
                200,
                json!({"tunnel": {"createdAt": "<created-at:changed>", "n": "1", "x": true}}),
            ),
            ex("CloseTunnel", json!({}), 409, json!({})),
        ]);
        assert_eq!(
            kinds(&compare(&a, &b, &[])),
            [
                (Kind::Relation, "$.response.body.tunnel.createdAt".to_owned()),
                (Kind::ValueKind, "$.response.body.tunnel.n".to_owned()),
                (Kind::Extra, "$.response.body.tunnel.x".to_owned()),
                (Kind::Exchanges, "$".to_owned()),
            ]
        );
        let c = compare(&a, &b, &[]);
        assert_eq!(c.exit_code(), 1);
        assert_eq!((c.identical(), c.total()), (0, 1));
    }
}
