//! Shrinking a finding: one-step simplifications of a failing case's request (drop members,
//! shorten strings, simplify values, cut bytes, drop headers), and which of them still mean the
//! same to the spec, so that a shrunk request failing the same check is the same finding.
//!
//! The campaign sends the candidates and keeps the first that still fails (candidates come
//! largest reduction first), until none does or the budget is spent.

use serde_json::Value;

use super::oracles::{self, Validity};
use crate::cases::{Case, Expectation, TUNNEL_ID_PLACEHOLDER};
use crate::checks::CheckId;
use crate::wire::HttpRequest;

/// A valid stand-in for the tunnel id when judging a template.
const SAMPLE_ID: &str = "rotcheckSampleId1";
/// Candidates offered per step (the rest come in later steps, if still relevant).
const MAX_CANDIDATES: usize = 48;
/// Candidate bodies generated per step, before sorting (each is a whole body).
const MAX_BODIES: usize = 256;
/// Chunk removals offered per container and step (halves, quarters, eighths).
const MAX_CHUNKS: usize = 14;
/// Containers with more children shrink by chunks before their children are visited one by one.
const MAX_CHILDREN: usize = 32;

/// Headers that route or frame the request: dropping them changes what the request is, so they
/// stay (unless the finding is a 5xx, which no request may get).
const ESSENTIAL: [&str; 2] = ["Content-Type", "X-Amz-Target"];

/// One-step simplifications of `case`'s request, largest reduction first.
pub fn candidates(case: &Case, failing: CheckId) -> Vec<HttpRequest> {
    let req = &case.request;
    let mut out = Vec::new();
    for (name, _) in &req.headers {
        if failing == CheckId::NO_5XX || !ESSENTIAL.iter().any(|e| e.eq_ignore_ascii_case(name)) {
            let mut r = req.clone();
            r.headers.retain(|(k, _)| k != name);
            out.push(r);
        }
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) => {
            let compact = v.to_string().into_bytes();
            if compact != req.body {
                out.push(with_body(req, compact));
            }
            let mut bodies = Vec::new();
            simplify(&v, &mut Vec::new(), &v, &mut bodies);
            // Biggest reductions first.
            bodies.sort_by_key(|b: &Vec<u8>| b.len());
            bodies.dedup();
            out.extend(bodies.into_iter().map(|b| with_body(req, b)));
        }
        Err(_) => out.extend(cut_bytes(&req.body).into_iter().map(|b| with_body(req, b))),
    }
    // Judged lazily: the first admissible ones are all that is offered.
    let original = Original::of(case);
    out.into_iter()
        .filter(|r| r != req && original.admits(case, failing, r))
        .take(MAX_CANDIDATES)
        .collect()
}

fn with_body(req: &HttpRequest, body: Vec<u8>) -> HttpRequest {
    HttpRequest { body, ..req.clone() }
}

#[derive(Clone)]
enum PathSegment {
    Key(String),
    Index(usize),
}

fn get_mut<'a>(v: &'a mut Value, path: &[PathSegment]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, s| match s {
        PathSegment::Key(k) => v.get_mut(k.as_str()),
        PathSegment::Index(i) => v.get_mut(*i),
    })
}

/// The root with the value at `path` replaced (`None`: removed from its parent).
fn edited(root: &Value, path: &[PathSegment], new: Option<Value>) -> Option<Vec<u8>> {
    let mut v = root.clone();
    let (last, parent) = path.split_last()?;
    let parent = get_mut(&mut v, parent)?;
    match (last, parent, new) {
        (PathSegment::Key(k), Value::Object(m), None) => {
            m.shift_remove(k.as_str());
        }
        (PathSegment::Index(i), Value::Array(a), None) => {
            if *i < a.len() {
                a.remove(*i);
            }
        }
        (PathSegment::Key(k), Value::Object(m), Some(n)) => {
            m.insert(k.clone(), n);
        }
        (PathSegment::Index(i), Value::Array(a), Some(n)) => {
            *a.get_mut(*i)? = n;
        }
        _ => return None,
    }
    Some(v.to_string().into_bytes())
}

/// One-step simplifications of the value at `path` and below, shallow ones first: the node
/// removed or simplified, then chunks of its children removed (halves, quarters, ...), then each
/// child's own. Bounded: a body with thousands of members yields at most [`MAX_BODIES`].
fn simplify(root: &Value, path: &mut Vec<PathSegment>, v: &Value, out: &mut Vec<Vec<u8>>) {
    if out.len() >= MAX_BODIES {
        return;
    }
    if !path.is_empty() {
        out.extend(edited(root, path, None));
        for simpler in simpler_values(v) {
            out.extend(edited(root, path, Some(simpler)));
        }
    }
    let children: Vec<(PathSegment, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, c)| (PathSegment::Key(k.clone()), c)).collect(),
        Value::Array(a) => a.iter().enumerate().map(|(i, c)| (PathSegment::Index(i), c)).collect(),
        _ => return,
    };
    let n = children.len();
    let mut size = n / 2;
    let mut chunks = 0;
    while size > 1 && out.len() < MAX_BODIES && chunks < MAX_CHUNKS {
        for start in (0..n).step_by(size) {
            if out.len() >= MAX_BODIES || chunks >= MAX_CHUNKS {
                break;
            }
            chunks += 1;
            if let Some(b) = without_children(root, path, start..(start + size).min(n)) {
                out.push(b);
            }
        }
        size /= 2;
    }
    // Children one by one only when there are few: a large container shrinks by chunks first.
    if n <= MAX_CHILDREN {
        for (step, child) in children {
            path.push(step);
            simplify(root, path, child, out);
            path.pop();
        }
    }
}

/// The root with the children `range` of the container at `path` removed.
fn without_children(root: &Value, path: &[PathSegment], range: std::ops::Range<usize>) -> Option<Vec<u8>> {
    let mut v = root.clone();
    match get_mut(&mut v, path)? {
        Value::Object(m) => {
            // One pass: removing keys one by one from an ordered map is quadratic.
            *m = std::mem::take(m)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !range.contains(i))
                .map(|(_, kv)| kv)
                .collect();
        }
        Value::Array(a) => {
            a.drain(range.start.min(a.len())..range.end.min(a.len()));
        }
        _ => return None,
    }
    Some(v.to_string().into_bytes())
}

/// Simpler values of the same kind: a string cut to half (the tunnel id placeholder kept whole),
/// 0, a list of its first item, an empty object.
fn simpler_values(v: &Value) -> Vec<Value> {
    match v {
        Value::String(s) => shorter(s).into_iter().map(Value::String).collect(),
        Value::Number(n) if n.as_f64() != Some(0.0) => vec![Value::from(0)],
        Value::Array(a) if a.len() > 1 => vec![Value::Array(vec![a[0].clone()])],
        Value::Object(m) if !m.is_empty() => vec![Value::Object(Default::default())],
        _ => Vec::new(),
    }
}

fn shorter(s: &str) -> Vec<String> {
    if let Some((before, after)) = s.split_once(TUNNEL_ID_PLACEHOLDER) {
        let mut out = Vec::new();
        for b in halves(before) {
            out.push(format!("{b}{TUNNEL_ID_PLACEHOLDER}{after}"));
        }
        for a in halves(after) {
            out.push(format!("{before}{TUNNEL_ID_PLACEHOLDER}{a}"));
        }
        return out;
    }
    halves(s)
}

/// `s` cut to its first half, and to its first character.
fn halves(s: &str) -> Vec<String> {
    let n = s.chars().count();
    let mut out = Vec::new();
    if n > 1 {
        out.push(s.chars().take(n / 2).collect());
        out.push(s.chars().take(1).collect());
    }
    if n == 1 {
        out.push(String::new());
    }
    out
}

/// Byte bodies with a chunk removed (halves, quarters, ... of the body).
fn cut_bytes(body: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut size = body.len() / 2;
    while size >= 1 && out.len() < MAX_CANDIDATES {
        let mut start = 0;
        while start < body.len() && out.len() < MAX_CANDIDATES {
            let end = (start + size).min(body.len());
            let mut b = body[..start].to_vec();
            b.extend_from_slice(&body[end..]);
            out.push(b);
            start = end;
        }
        size /= 2;
    }
    if body.len() == 1 {
        out.push(Vec::new());
    }
    out
}

fn member<'a>(body: &'a Option<Value>, name: &str) -> Option<&'a Value> {
    body.as_ref().and_then(|b| b.get(name))
}

/// Whether `cand` still stands for the same expectation as `case`'s request: a 5xx is a finding
/// for any request; otherwise the candidate must keep the tunnel id, the clientMode and the
/// request's standing with the spec (invalid stays invalid, valid stays valid).
pub fn admissible(case: &Case, failing: CheckId, cand: &HttpRequest) -> bool {
    Original::of(case).admits(case, failing, cand)
}

/// What is compared of the original request (parsed once per step, not once per candidate).
struct Original {
    placeholders: usize,
    body: Option<Value>,
}

fn placeholders(body: &[u8]) -> usize {
    String::from_utf8_lossy(body).matches(TUNNEL_ID_PLACEHOLDER).count()
}

fn with_sample_id(r: &HttpRequest) -> HttpRequest {
    HttpRequest {
        body: String::from_utf8_lossy(&r.body)
            .replace(TUNNEL_ID_PLACEHOLDER, SAMPLE_ID)
            .into_bytes(),
        ..r.clone()
    }
}

impl Original {
    fn of(case: &Case) -> Original {
        Original {
            placeholders: placeholders(&case.request.body),
            body: oracles::parse_body(&with_sample_id(&case.request).body),
        }
    }

    fn admits(&self, case: &Case, failing: CheckId, cand: &HttpRequest) -> bool {
        if failing == CheckId::NO_5XX {
            return true;
        }
        if placeholders(&cand.body) != self.placeholders {
            return false;
        }
        let new = with_sample_id(cand);
        let nb = oracles::parse_body(&new.body);
        let same = |name: &str| member(&self.body, name) == member(&nb, name);
        let validity = oracles::validity(&new, usize::MAX);
        match &case.expect {
            Expectation::Invalid => matches!(validity, Validity::Invalid(_)),
            Expectation::Success { .. } | Expectation::ClosedTunnel => {
                validity == Validity::Valid && same("clientMode") && same("tunnelId")
            }
            Expectation::NotFound => validity == Validity::Valid && same("tunnelId") && same("clientMode"),
            Expectation::SourceWithDestinationConfig => {
                matches!(&validity, Validity::Invalid(why) if why.starts_with("SOURCE mode"))
                    && same("tunnelId")
                    && member(&nb, "destinationConfig").is_some_and(|d| !d.is_null())
            }
            Expectation::AnyNon5xx { .. } => same("clientMode") && same("tunnelId"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{CaseKind, TunnelState};
    use crate::spec::facts;
    use serde_json::json;

    fn case(body: Value, expect: Expectation) -> Case {
        Case {
            id: "t".into(),
            kind: CaseKind::Mutated,
            description: String::new(),
            tunnel: TunnelState::Open {
                destination_config: None,
            },
            request: HttpRequest::json(facts::ROTATE, &body),
            expect,
            operator: None,
        }
    }

    #[test]
    fn invalid_cases_shrink_to_invalid_requests_only() {
        let c = case(
            json!({"tunnelId": TUNNEL_ID_PLACEHOLDER, "clientMode": "source", "rotcheckUnknown": "x".repeat(40)}),
            Expectation::Invalid,
        );
        let cands = candidates(&c, CheckId::INVALID_REJECTED);
        assert!(!cands.is_empty());
        for r in &cands {
            let body = r.body_json().unwrap();
            assert!(body.get("clientMode") != Some(&json!("SOURCE")));
            assert!(r.header("X-Amz-Target").is_some(), "routing headers stay");
        }
        // The unknown member goes first (largest reduction that keeps the request invalid).
        assert!(cands
            .iter()
            .any(|r| r.body_json().unwrap().get("rotcheckUnknown").is_none()));
    }

    #[test]
    fn valid_cases_keep_mode_and_id() {
        let c = case(
            json!({"tunnelId": TUNNEL_ID_PLACEHOLDER, "clientMode": "ALL", "destinationConfig": {"services": ["SSH", "RDP"]}}),
            Expectation::Success {
                mode: facts::ClientMode::All,
            },
        );
        let cands = candidates(&c, CheckId::TOKEN_SET);
        assert!(cands
            .iter()
            .any(|r| r.body_json().unwrap().get("destinationConfig").is_none()));
        for r in &cands {
            let b = r.body_json().unwrap();
            assert_eq!(b["clientMode"], "ALL");
            assert_eq!(b["tunnelId"], TUNNEL_ID_PLACEHOLDER);
        }
    }

    #[test]
    fn server_errors_shrink_anything_including_bytes() {
        let mut c = case(json!({}), Expectation::Invalid);
        c.request.body = b"{\"tunnelId\": \"abc\", oops".to_vec();
        let cands = candidates(&c, CheckId::NO_5XX);
        assert!(cands.iter().any(|r| r.headers.is_empty() || r.headers.len() == 1));
        assert!(cands.iter().any(|r| r.body.len() < c.request.body.len() / 2 + 1));
    }
}
