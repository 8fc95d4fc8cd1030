//! The fuzz oracles: what must hold for any input. The cargo-fuzz targets are one call each
//! (`request_bytes`, `raw_bytes`, `response_bytes`, `sigv4_bytes`), and `tests/fuzz_regressions.rs`
//! replays every committed crash file through the same calls.
//!
//! Requests go in-process through the reference implementation's router (`tower` `oneshot`, no
//! sockets), each input against a fresh server, so inputs cannot influence each other.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use axum::body::Body;
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::input::{self, Prepared, RequestInput, ResponseInput, SigV4Input, Tamper};
use crate::cases::{Case, CaseKind, Expectation, TunnelState};
use crate::checks::{self, CheckId};
use crate::client::sigv4 as signer;
use crate::runner::judge::{self, Evidence};
use crate::runner::{Exchange, Status};
use crate::server::{self, ServerConfig, SigV4Keys, Verifier};
use crate::spec::facts::{self, ClientMode, TOKEN_MEMBERS};
use crate::spec::{model, schema, validate_input};
use crate::wire::{HttpRequest, HttpResponse};

/// An oracle that does not hold: what was expected and what happened (no secrets: the fuzz
/// server's tokens are throwaway, and none is quoted anyway).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Violation(pub String);

fn violation(msg: impl Into<String>) -> Result<(), Violation> {
    Err(Violation(msg.into()))
}

/// Runs a future on this thread's runtime (the router is in-process; nothing needs more).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime can always be built");
    }
    RT.with(|rt| rt.block_on(f))
}

/// Structured request target: decode, build, send, judge.
pub fn request_bytes(data: &[u8]) -> Result<(), Violation> {
    match RequestInput::decode(data) {
        Some(input) => check_prepared(&input.prepare()),
        None => Ok(()),
    }
}

pub use super::dataplane::dataplane_bytes;

/// Raw-bytes target: the bytes are the body (after an operation selector byte).
pub fn raw_bytes(data: &[u8]) -> Result<(), Violation> {
    check_prepared(&input::raw_request(data))
}

/// Sends `prepared` to a fresh reference server (preparing its tunnel first) and judges it.
pub fn check_prepared(prepared: &Prepared) -> Result<(), Violation> {
    block_on(async {
        let config = ServerConfig::default();
        let max_body = config.max_body_bytes;
        let app = server::router(config);
        let (sent, opened) = exchange(&app, prepared).await?;
        match sent {
            Some((req, resp)) => judge_exchange(&prepared.tunnel, opened.as_deref(), &req, &resp, max_body),
            None => Ok(()),
        }
    })
}

/// The request as sent and its response (`None` when it cannot be sent: an invalid method), and
/// the id of the tunnel prepared for it.
pub type Sent = (Option<(HttpRequest, HttpResponse)>, Option<String>);

/// Prepares the tunnel of `prepared` on `app`, materializes the request and sends it.
pub async fn exchange(app: &Router, prepared: &Prepared) -> Result<Sent, Violation> {
    let opened = prepare_tunnel(app, &prepared.tunnel).await?;
    let request = match (&prepared.tunnel, &opened) {
        (_, Some(id)) => materialize(&prepared.request, id),
        (TunnelState::Unknown { id }, None) => materialize(&prepared.request, id),
        _ => prepared.request.clone(),
    };
    Ok((send(app, &request).await, opened))
}

fn materialize(req: &HttpRequest, id: &str) -> HttpRequest {
    Case {
        id: String::new(),
        kind: CaseKind::Mutated,
        description: String::new(),
        tunnel: TunnelState::None,
        request: req.clone(),
        expect: Expectation::Invalid,
        operator: None,
    }
    .materialize(id)
}

/// Opens (and for `Closed`, closes) the tunnel a request runs against; its id.
async fn prepare_tunnel(app: &Router, tunnel: &TunnelState) -> Result<Option<String>, Violation> {
    let config = match tunnel {
        TunnelState::Open { destination_config } => destination_config.clone(),
        TunnelState::Closed => None,
        TunnelState::Unknown { .. } | TunnelState::None => return Ok(None),
    };
    let mut body = json!({"timeoutConfig": {"maxLifetimeTimeoutMinutes": 720}});
    if let Some(c) = config {
        body["destinationConfig"] = c;
    }
    let open = HttpRequest::json("OpenTunnel", &body);
    let resp = send(app, &open).await.map(|(_, r)| r);
    let id = resp
        .as_ref()
        .filter(|r| r.status == 200)
        .and_then(HttpResponse::body_json)
        .and_then(|b| b.get("tunnelId").and_then(Value::as_str).map(str::to_owned));
    let Some(id) = id else {
        return Err(Violation(format!(
            "setup: OpenTunnel failed: {}",
            resp.as_ref().map_or("no response".into(), checks::summary)
        )));
    };
    if matches!(tunnel, TunnelState::Closed) {
        let close = HttpRequest::json("CloseTunnel", &json!({ "tunnelId": id }));
        let closed = send(app, &close).await.is_some_and(|(_, r)| r.status == 200);
        if !closed {
            return Err(Violation("setup: CloseTunnel failed".into()));
        }
    }
    Ok(Some(id))
}

/// Sends `req` through the router. Headers that are not valid HTTP are left out (no client could
/// send them); the request as actually sent is returned with the response. `None` when the
/// method is not a valid HTTP token.
pub async fn send(app: &Router, req: &HttpRequest) -> Option<(HttpRequest, HttpResponse)> {
    let method = http::Method::from_bytes(req.method.as_bytes()).ok()?;
    let mut sent = HttpRequest {
        method: req.method.clone(),
        headers: Vec::new(),
        body: req.body.clone(),
    };
    let mut builder = http::Request::builder().method(method).uri("/");
    for (k, v) in &req.headers {
        let name = http::HeaderName::from_bytes(k.as_bytes());
        let value = http::HeaderValue::from_str(v);
        if let (Ok(name), Ok(value), false) = (name, value, input::is_transport_header(k)) {
            builder = builder.header(name, value);
            sent.headers.push((k.clone(), v.clone()));
        }
    }
    let request = builder.body(Body::from(req.body.clone())).ok()?;
    let resp = match app.clone().oneshot(request).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = resp.status().as_u16();
    let headers = crate::wire::header_pairs(resp.headers());
    let body = resp.into_body().collect().await.ok()?.to_bytes().to_vec();
    Some((
        sent,
        HttpResponse {
            status,
            headers,
            body,
            truncated: false,
        },
    ))
}

/// What the spec says of a request's input, decided independently of any server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    /// The spec forbids it: the reason.
    Invalid(String),
    /// Valid input for the operation.
    Valid,
    /// Not decided here (oversized bodies, repeated routing headers).
    Undecided,
}

/// The body as the AWS JSON protocol reads it: an empty body is an empty input.
pub fn parse_body(body: &[u8]) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(json!({}));
    }
    serde_json::from_slice(body).ok()
}

pub fn validity(req: &HttpRequest, max_body: usize) -> Validity {
    let targets = req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Target"))
        .count();
    if req.body.len() > max_body || targets > 1 {
        return Validity::Undecided;
    }
    if req.method != "POST" {
        return Validity::Invalid(format!("method {:?} (only POST / is served)", req.method));
    }
    let Some(op) = req.operation().filter(|op| model().operation(op).is_some()) else {
        return Validity::Invalid("no operation of the service in X-Amz-Target".into());
    };
    let Some(body) = parse_body(&req.body) else {
        return Validity::Invalid("the body is not JSON".into());
    };
    if let Err(e) = validate_input(model(), op, &body) {
        return Validity::Invalid(format!("{op} input: {e}"));
    }
    let source = body.get("clientMode").and_then(Value::as_str) == Some(ClientMode::Source.as_str());
    let config = body.get("destinationConfig").is_some_and(|v| !v.is_null());
    if op == facts::ROTATE && source && config {
        return Validity::Invalid("SOURCE mode with a destinationConfig".into());
    }
    Validity::Valid
}

/// The request oracles, for one exchange with the reference implementation:
/// - never a 5xx;
/// - every response valid against its schema (success body of the operation, or the error
///   schema), and a 200 rotation carries its mode's token set;
/// - input the spec forbids never gets 200;
/// - valid rotation input for the OPEN tunnel always gets 200, and for an id no tunnel has
///   exactly 400 ResourceNotFoundException.
pub fn judge_exchange(
    tunnel: &TunnelState,
    opened: Option<&str>,
    sent: &HttpRequest,
    resp: &HttpResponse,
    max_body: usize,
) -> Result<(), Violation> {
    if resp.status >= 500 {
        return violation(format!("server error: {}", checks::summary(resp)));
    }
    let op = sent.operation();
    if resp.status == 200 {
        let Some(op) = op else {
            return violation("HTTP 200 for a request without an operation");
        };
        let Some(body) = resp.body_json() else {
            return violation(format!("{op}: the 200 body is not JSON"));
        };
        if let Err(e) = schema::validate_response(op, &body) {
            return violation(format!("{op}: the 200 body violates its schema: {}", e.join("; ")));
        }
        let mode = parse_body(&sent.body)
            .and_then(|b| b.get("clientMode").and_then(Value::as_str).and_then(ClientMode::parse));
        if let (facts::ROTATE, Some(mode)) = (op, mode) {
            let o = checks::token_set::check(&body, mode);
            if o.status != Status::Pass {
                return violation(format!("{op}: {}", o.message));
            }
        }
    } else {
        let Some(body) = resp.body_json() else {
            return violation(format!("the error body ({}) is not JSON", checks::summary(resp)));
        };
        if let Err(e) = schema::validate_error(&body) {
            return violation(format!("the error body violates the error schema: {}", e.join("; ")));
        }
        if crate::wire::parse_error(resp).is_none() {
            return violation(format!("HTTP {} without an error type", resp.status));
        }
    }
    match validity(sent, max_body) {
        Validity::Invalid(why) if resp.status == 200 => violation(format!("invalid input accepted with 200: {why}")),
        Validity::Valid if op == Some(facts::ROTATE) => {
            let id = parse_body(&sent.body)
                .and_then(|b| b.get("tunnelId").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            let open = matches!(tunnel, TunnelState::Open { .. });
            if open && opened == Some(id.as_str()) && resp.status != 200 {
                return violation(format!(
                    "valid rotation of the OPEN tunnel refused: {}",
                    checks::summary(resp)
                ));
            }
            if opened != Some(id.as_str()) {
                let o = checks::not_found::check(resp);
                if o.status != Status::Pass {
                    return violation(format!("unknown tunnel id: {}", o.message));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Response checking

/// Response-checking target: an arbitrary response to a rotation, judged as `run` judges it.
pub fn response_bytes(data: &[u8]) -> Result<(), Violation> {
    match ResponseInput::decode(data) {
        Some(input) => check_response(input.mode(), &input.response()),
        None => Ok(()),
    }
}

/// Judges `resp` as the answer to a valid rotation in `mode` (the runner's judge, every check
/// selected) and holds the verdicts to an independent reading of the response:
/// - a body that is not schema-valid never passes response-schema;
/// - a body without exactly the mode's token set (and tunnelArn) never passes token-set;
/// - anything but 200 fails valid-accepted;
/// - a 200 with a JSON content type, a schema-valid body and the exact token set passes all three.
pub fn check_response(mode: ClientMode, resp: &HttpResponse) -> Result<(), Violation> {
    let request = HttpRequest::json(
        facts::ROTATE,
        &json!({"tunnelId": crate::cases::TUNNEL_ID_PLACEHOLDER, "clientMode": mode.as_str()}),
    );
    let case = Case {
        id: "fuzz/response".into(),
        kind: CaseKind::Mutated,
        description: String::new(),
        tunnel: TunnelState::Open {
            destination_config: None,
        },
        request: request.clone(),
        expect: Expectation::Success { mode },
        operator: None,
    };
    let exchanges = [Exchange {
        role: "request".into(),
        request: request.clone(),
        response: Some(resp.clone()),
        transport_error: None,
        elapsed_ms: 0,
    }];
    let evidence = Evidence {
        case: &case,
        request: &request,
        response: Some(Ok(resp)),
        setup_error: None,
        tunnel_arn: None,
        earlier_tokens: &[],
        before: None,
        after: None,
        exchanges: &exchanges,
    };
    let outcomes = judge::judge(&evidence, &CheckId::all().collect());
    // Paths no check should panic on either.
    let _ = checks::error_shape::check(&request, resp);
    let _ = checks::summary(resp);

    let status_of = |id: CheckId| outcomes.iter().find(|o| o.check == id).map(|o| o.status);
    let body = resp.body_json();
    let schema_valid = body
        .as_ref()
        .is_some_and(|b| schema::validate_response(facts::ROTATE, b).is_ok());
    let tokens_exact = body.as_ref().is_some_and(|b| exact_token_set(b, mode));
    let media = checks::response_schema::media_type(resp);
    let json_type = media
        .as_deref()
        .is_some_and(|m| m == facts::CONTENT_TYPE || m == "application/json");

    if (!schema_valid || resp.truncated) && status_of(CheckId::RESPONSE_SCHEMA) == Some(Status::Pass) {
        return violation("response-schema passed a body that is not schema-valid");
    }
    if !tokens_exact && status_of(CheckId::TOKEN_SET) == Some(Status::Pass) {
        return violation(format!("token-set passed a body without exactly the {mode} token set"));
    }
    if resp.status != 200 && status_of(CheckId::VALID_ACCEPTED) != Some(Status::Fail) {
        return violation(format!("valid-accepted did not fail HTTP {}", resp.status));
    }
    let well_formed = resp.status == 200 && json_type && !resp.truncated && schema_valid && tokens_exact;
    if well_formed {
        for id in [CheckId::VALID_ACCEPTED, CheckId::RESPONSE_SCHEMA, CheckId::TOKEN_SET] {
            if status_of(id) != Some(Status::Pass) {
                return violation(format!("{id} did not pass a well-formed {mode} rotation"));
            }
        }
    }
    Ok(())
}

/// `tunnelArn` and the mode's tokens are strings; the other mode's token is absent or null.
fn exact_token_set(body: &Value, mode: ClientMode) -> bool {
    let Some(obj) = body.as_object() else {
        return false;
    };
    let is_string = |k: &str| obj.get(k).is_some_and(Value::is_string);
    let absent = |k: &str| obj.get(k).is_none_or(Value::is_null);
    is_string("tunnelArn")
        && TOKEN_MEMBERS.iter().all(|m| {
            if mode.token_members().contains(m) {
                is_string(m)
            } else {
                absent(m)
            }
        })
}

// ---------------------------------------------------------------------------------------------
// SigV4 verification

const KEY_ID: &str = "AKIDROTCHECKFUZZ";
const SECRET: &str = "rotcheck-fuzz-secret-key";
const REGION: &str = "us-east-1";
const HOST: &str = "127.0.0.1:8080";
/// The verifier's allowed clock skew, in seconds.
const MAX_SKEW: i64 = 300;

/// 2015-08-30T12:36:00Z, the AWS test suite's date: the verifier's fixed "now".
fn signing_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// A request as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wire {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn set(&mut self, name: &str, value: String) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value));
    }

    fn remove(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// Only headers that are valid HTTP (what a client can actually send).
    fn sendable(mut self) -> Wire {
        self.headers.retain(|(k, v)| {
            http::HeaderName::from_bytes(k.as_bytes()).is_ok() && http::HeaderValue::from_str(v).is_ok()
        });
        self
    }
}

/// The last correctly signed state of the request, and whether its signature should verify.
struct Signed {
    wire: Wire,
    signature: String,
    /// Signed with the right keys, inside the allowed clock skew.
    valid: bool,
}

/// Signs `wire` (its Authorization and X-Amz-Date replaced) at `time`.
fn sign(wire: &Wire, time: SystemTime, key_id: &str, secret: &str) -> Option<Signed> {
    let host = wire.values("host").first().copied().unwrap_or(HOST).to_owned();
    let req = HttpRequest {
        method: wire.method.clone(),
        headers: wire
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
            .cloned()
            .collect(),
        body: wire.body.clone(),
    };
    let url = format!("http://{host}{}", wire.path);
    let credentials = Credentials::new(key_id, secret, None, None, "rotcheck-fuzz");
    let added = signer::signed_headers(&req, &url, REGION, &credentials, time).ok()?;
    let mut signed = wire.clone();
    // An HTTP/1.1 client always sends the Host it signed (even if a tampering removed it).
    if signed.values("host").is_empty() {
        signed.set("host", host);
    }
    for (k, v) in added {
        signed.set(&k, v);
    }
    let auth = signed.values("authorization").first()?.to_string();
    let signature = auth.rsplit_once("Signature=")?.1.trim().to_owned();
    Some(Signed {
        wire: signed,
        signature,
        valid: true,
    })
}

/// SigV4 target: a case's request, correctly signed, then tampered with. The verifier must accept
/// the untouched request (and one with only unsigned headers added), and must refuse every request
/// whose signed parts changed or whose Authorization lacks the correct signature.
pub fn sigv4_bytes(data: &[u8]) -> Result<(), Violation> {
    let Some(input) = SigV4Input::decode(data) else {
        return Ok(());
    };
    check_sigv4(&input)
}

pub fn check_sigv4(input: &SigV4Input) -> Result<(), Violation> {
    let cases = input::start_cases();
    let Some(case) = cases.get(usize::from(input.case) % cases.len().max(1)) else {
        return Ok(());
    };
    let req = materialize(&case.request, "rotcheckFuzzTunnel1");
    let mut wire = Wire {
        method: req.method.clone(),
        path: "/".into(),
        headers: signer::sendable_headers(&req),
        body: req.body.clone(),
    };
    wire.set("host", HOST.into());
    let Some(mut base) = sign(&wire.sendable(), signing_time(), KEY_ID, SECRET) else {
        return Ok(());
    };
    let mut current = base.wire.clone();
    for t in input.tampering.iter().take(16) {
        tamper(t, &mut current, &mut base);
    }
    let current = current.sendable();
    let signed_names: Vec<String> = base
        .wire
        .values("authorization")
        .first()
        .and_then(|a| a.split("SignedHeaders=").nth(1))
        .map(|s| {
            s.split(',')
                .next()
                .unwrap_or("")
                .split(';')
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();

    let verifier = Verifier::new(SigV4Keys::new(KEY_ID, SECRET), REGION).with_fixed_time(signing_time());
    let Ok(uri) = current.path.parse::<http::Uri>() else {
        return Ok(());
    };
    let mut headers = http::HeaderMap::new();
    for (k, v) in &current.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            headers.append(k, v);
        }
    }
    let verdict = verifier.verify(&current.method, &uri, &headers, &current.body);

    let canon = |vals: Vec<&str>| -> Vec<String> {
        vals.iter()
            .map(|v| v.split_ascii_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let signed_parts_same = current.method.eq_ignore_ascii_case(&base.wire.method)
        && current.path == base.wire.path
        && current.body == base.wire.body
        && signed_names
            .iter()
            .all(|n| canon(current.values(n)) == canon(base.wire.values(n)));
    let auth = current.values("authorization");
    let carries_signature = auth.len() == 1 && auth[0].contains(&base.signature);
    if verdict.is_ok() && !(base.valid && signed_parts_same && carries_signature) {
        return violation(format!(
            "a request that is not correctly signed was verified (signed with the right keys in time: {}, signed parts unchanged: {signed_parts_same}, carries the signature: {carries_signature})",
            base.valid
        ));
    }
    let mut untouched = current.clone();
    untouched
        .headers
        .retain(|(k, _)| !k.to_ascii_lowercase().starts_with("x-fuzz-"));
    if let (Err(e), true) = (&verdict, base.valid && untouched == base.wire) {
        return violation(format!("a correctly signed request was refused: {e}"));
    }
    Ok(())
}

fn tamper(t: &Tamper, w: &mut Wire, base: &mut Signed) {
    const SIGNED: [&str; 4] = ["content-type", "x-amz-target", "host", "x-amz-date"];
    match t {
        Tamper::Authorization(s) => w.set("authorization", s.clone()),
        Tamper::AuthorizationByte { at, byte } => {
            if let Some(a) = w.values("authorization").first() {
                let mut bytes = a.as_bytes().to_vec();
                if !bytes.is_empty() {
                    let i = usize::from(*at) % bytes.len();
                    bytes[i] = *byte;
                }
                let s = String::from_utf8_lossy(&bytes).into_owned();
                w.set("authorization", s);
            }
        }
        Tamper::ExtraAuthorization(s) => w.headers.push(("authorization".into(), s.clone())),
        Tamper::RemoveAuthorization => w.remove("authorization"),
        Tamper::Date(s) => w.set("x-amz-date", s.clone()),
        Tamper::Resign { secs } => resign(w, base, i64::from(*secs), KEY_ID, SECRET),
        Tamper::ResignWithSecret(s) => resign(w, base, 0, KEY_ID, s),
        Tamper::ResignWithKey(k) => resign(w, base, 0, k, SECRET),
        Tamper::Body(b) => w.body = b.clone(),
        Tamper::BodyByte { at, byte } => {
            if !w.body.is_empty() {
                let i = usize::from(*at) % w.body.len();
                w.body[i] = *byte;
            }
        }
        Tamper::SignedHeader { which, value } => w.set(SIGNED[usize::from(*which) % SIGNED.len()], value.clone()),
        Tamper::RemoveSignedHeader(which) => w.remove(SIGNED[usize::from(*which) % SIGNED.len()]),
        Tamper::UnsignedHeader { name, value } => {
            let name: String = name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            w.headers.push((format!("x-fuzz-{name}"), value.clone()));
        }
        Tamper::Method(m) => w.method = m.method(),
        Tamper::Path(s) => {
            let extra: String = s.chars().filter(char::is_ascii_alphanumeric).collect();
            if !extra.is_empty() {
                w.path = format!("{}{extra}", w.path);
            }
        }
    }
}

/// Signs the current request again (a new baseline): valid when signed with the right keys at
/// most the allowed skew away from the verifier's clock.
fn resign(w: &mut Wire, base: &mut Signed, secs: i64, key_id: &str, secret: &str) {
    let Some(time) = UNIX_EPOCH.checked_add(Duration::from_secs((1_440_938_160 + secs).max(0) as u64)) else {
        return;
    };
    if key_id.is_empty() || secret.is_empty() {
        return;
    }
    let Some(mut signed) = sign(&w.clone().sendable(), time, key_id, secret) else {
        return;
    };
    // Exactly at the skew limit is left to the verifier either way.
    if secs.abs() == MAX_SKEW {
        return;
    }
    signed.valid = secs.abs() < MAX_SKEW && key_id == KEY_ID && secret == SECRET;
    *w = signed.wire.clone();
    *base = signed;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::input::{encode_case_start, encode_sigv4_case, Json, Mutation, Path, Start};

    #[test]
    fn every_start_case_passes_the_request_oracles() {
        for i in 0..input::start_cases().len() {
            let i = u16::try_from(i).unwrap();
            assert_eq!(request_bytes(&encode_case_start(i)), Ok(()), "case {i}");
        }
    }

    #[test]
    fn invalid_input_is_classified_invalid() {
        let req = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "x", "clientMode": "source"}));
        assert!(matches!(validity(&req, 1 << 20), Validity::Invalid(_)));
        let req = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "x", "clientMode": "SOURCE"}));
        assert_eq!(validity(&req, 1 << 20), Validity::Valid);
        let req = HttpRequest::json(
            facts::ROTATE,
            &json!({"tunnelId": "x", "clientMode": "SOURCE", "destinationConfig": {"services": ["SSH"]}}),
        );
        assert!(matches!(validity(&req, 1 << 20), Validity::Invalid(_)));
    }

    #[test]
    fn the_request_oracle_catches_a_5xx_and_an_accepted_invalid_input() {
        let tunnel = TunnelState::Open {
            destination_config: None,
        };
        let req = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "t1", "clientMode": "source"}));
        let ok = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), facts::CONTENT_TYPE.into())],
            body: br#"{"tunnelArn":"arn:aws:iot:us-east-1:123456789012:tunnel/t1","sourceAccessToken":"s"}"#.to_vec(),
            truncated: false,
        };
        let e = judge_exchange(&tunnel, Some("t1"), &req, &ok, 1 << 20).unwrap_err();
        assert!(e.0.contains("invalid input accepted"), "{e}");
        let err = HttpResponse {
            status: 500,
            body: br#"{"__type":"InternalFailure"}"#.to_vec(),
            ..ok
        };
        assert!(judge_exchange(&tunnel, Some("t1"), &req, &err, 1 << 20).is_err());
    }

    #[test]
    fn mutated_skeletons_pass() {
        let input = RequestInput {
            start: Start::Skeleton(input::Skeleton {
                mode: input::Mode::All,
                services: 1,
                thing_name: false,
                tunnel: input::TunnelChoice::Open,
            }),
            mutations: vec![
                Mutation::Set {
                    at: Path::ClientMode,
                    value: Json::Mode(input::ModeText::Lower(input::Mode::All)),
                },
                Mutation::Remove { at: Path::Services },
            ],
        };
        assert_eq!(check_prepared(&input.prepare()), Ok(()));
    }

    #[test]
    fn the_response_oracle_holds_for_good_and_bad_responses() {
        let good = ResponseInput {
            status: 200,
            mode: 2,
            content_type: 0,
            error_type_header: 0,
            truncated: false,
            body: br#"{"tunnelArn":"arn:aws:iot:us-east-1:1:tunnel/x","sourceAccessToken":"s","destinationAccessToken":"d"}"#
                .to_vec(),
        };
        assert_eq!(response_bytes(&good.encode()), Ok(()));
        for body in [
            &br#"{"tunnelArn":"a","sourceAccessToken":"s"}"#[..],
            b"[]",
            b"{",
            b"null",
        ] {
            let bad = ResponseInput {
                body: body.to_vec(),
                ..good.clone()
            };
            assert_eq!(response_bytes(&bad.encode()), Ok(()));
        }
    }

    #[test]
    fn signed_requests_verify_and_tampered_ones_do_not() {
        for i in 0..20u16 {
            assert_eq!(sigv4_bytes(&encode_sigv4_case(i)), Ok(()), "case {i}");
            for t in [
                Tamper::Body(b"{}".to_vec()),
                Tamper::Resign { secs: 1000 },
                Tamper::ResignWithSecret("other".into()),
                Tamper::Method(input::MethodChoice::Put),
                Tamper::UnsignedHeader {
                    name: "a".into(),
                    value: "b".into(),
                },
                Tamper::Resign { secs: 10 },
            ] {
                let input = SigV4Input {
                    case: i,
                    tampering: vec![t],
                };
                assert_eq!(check_sigv4(&input), Ok(()), "case {i}");
            }
        }
    }
}
