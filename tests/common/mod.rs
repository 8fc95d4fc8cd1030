//! Shared by the runner integration tests: a small in-memory secure-tunneling server with fault
//! knobs (axum on 127.0.0.1:0), a plain reqwest transport, and a hand-built set of cases.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use rotcheck::cases::{Case, CaseKind, Expectation, TunnelState, TUNNEL_ID_PLACEHOLDER};
use rotcheck::client::TransportError;
use rotcheck::fuzzing::oracles::schema_validity;
use rotcheck::runner::Transport;
use rotcheck::spec::facts::ClientMode;
use rotcheck::spec::model;
use rotcheck::wire::{HttpRequest, HttpResponse};

/// One deviation from the spec the server can be built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// Unknown tunnels get HTTP 404 (with the right type).
    NotFound404,
    /// SOURCE + destinationConfig is accepted (and the config stored).
    AcceptSourceWithConfig,
    /// Rotation resets createdAt (and with it the expiry).
    ResetCreatedAtOnRotation,
    /// Rotation quietly pushes the expiry to rotation + lifetime; createdAt is reported unchanged.
    ExtendExpiryOnRotation,
    /// Rotating a CLOSED tunnel reopens it.
    ReopenClosedOnRotation,
    /// SOURCE rotation also returns the destination token.
    BothTokensForSource,
    /// Rotation hands back the previous token.
    ReuseSourceToken,
    /// Rotation answers with another tunnel's ARN.
    WrongArn,
    /// Errors come as plain text without a type.
    TextErrors,
    /// Invalid clientMode values are accepted.
    AcceptBadClientMode,
    /// DescribeTunnel reports createdAt as an ISO string.
    IsoTimestamps,
    /// Malformed JSON gets a 500.
    CrashOnMalformedJson,
    /// Rotation succeeds with a text/plain content type.
    TextContentType,
    /// OpenTunnel answers 500.
    OpenFails500,
}

struct Tunnel {
    arn: String,
    created_at: f64,
    expires: Instant,
    lifetime_minutes: u64,
    closed: bool,
    destination_config: Option<Value>,
    source_token: String,
    destination_token: String,
    last_updated: f64,
}

pub struct ServerState {
    fault: Fault,
    time_scale: f64,
    tunnels: Mutex<BTreeMap<String, Tunnel>>,
    counter: AtomicU64,
    /// Every token the server handed out (to prove the run's redactor knows them).
    pub issued: Mutex<Vec<String>>,
    /// maxLifetimeTimeoutMinutes of every tunnel opened, in order.
    pub lifetimes: Mutex<Vec<u64>>,
}

pub struct TestServer {
    pub url: String,
    pub state: Arc<ServerState>,
}

impl TestServer {
    pub async fn start(fault: Fault, time_scale: f64) -> TestServer {
        let state = Arc::new(ServerState {
            fault,
            time_scale,
            tunnels: Mutex::new(BTreeMap::new()),
            counter: AtomicU64::new(0),
            issued: Mutex::new(Vec::new()),
            lifetimes: Mutex::new(Vec::new()),
        });
        let s = state.clone();
        let app = Router::new().route("/", post(move |h: HeaderMap, b: Bytes| handle(s.clone(), h, b)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            url: format!("http://{addr}/"),
            state,
        }
    }

    /// Tunnels the server still holds (cleanup deletes them all).
    pub fn tunnel_count(&self) -> usize {
        self.state.tunnels.lock().unwrap().len()
    }

    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.issued.lock().unwrap().clone()
    }
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

fn reply(fault: Fault, status: StatusCode, body: Value) -> Response {
    let ct = if fault == Fault::TextContentType && status.is_success() {
        "text/plain"
    } else {
        "application/x-amz-json-1.1"
    };
    (
        status,
        [("content-type", ct), ("x-amzn-requestid", "req-1")],
        body.to_string(),
    )
        .into_response()
}

fn error(fault: Fault, status: u16, ty: &str, msg: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    if fault == Fault::TextErrors {
        return (status, [("content-type", "text/plain")], msg.to_owned()).into_response();
    }
    reply(fault, status, json!({"__type": ty, "message": msg}))
}

impl ServerState {
    fn token(&self, kind: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let t = format!("AQG{kind}tok{n:06}secret");
        self.issued.lock().unwrap().push(t.clone());
        t
    }

    fn lifetime(&self, minutes: u64) -> Duration {
        Duration::from_secs_f64(minutes as f64 * 60.0 / self.time_scale)
    }
}

async fn handle(s: Arc<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = s.fault;
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(op) = target
        .strip_prefix("IoTSecuredTunneling.")
        .filter(|op| model().operation(op).is_some())
    else {
        return error(f, 400, "UnknownOperationException", "unknown operation");
    };
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        if f == Fault::CrashOnMalformedJson {
            return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
        }
        return error(f, 400, "SerializationException", "malformed JSON");
    };
    let bad_mode_ok = f == Fault::AcceptBadClientMode
        && op == "RotateTunnelAccessToken"
        && input.get("clientMode").is_some_and(Value::is_string);
    // Validity from the committed JSON Schemas, not the reference server's validator: a bug there
    // must not hide in this server too. (SOURCE + destinationConfig is handled below.)
    if let Err(why) = schema_validity(op, &input) {
        if !bad_mode_ok {
            return error(f, 400, "ValidationException", &why);
        }
    }
    let id = input.get("tunnelId").and_then(Value::as_str).unwrap_or("").to_owned();
    let not_found = || {
        let status = if f == Fault::NotFound404 { 404 } else { 400 };
        error(f, status, "ResourceNotFoundException", "no such tunnel")
    };
    match op {
        "OpenTunnel" if f == Fault::OpenFails500 => error(f, 500, "InternalFailure", "no tunnels today"),
        "OpenTunnel" => {
            let n = s.counter.fetch_add(1, Ordering::Relaxed);
            let id = format!("tunnel-{n:04}");
            let arn = format!("arn:aws:iot:us-east-1:123456789012:tunnel/{id}");
            let minutes = input["timeoutConfig"]["maxLifetimeTimeoutMinutes"]
                .as_u64()
                .unwrap_or(720);
            s.lifetimes.lock().unwrap().push(minutes);
            let (src, dst) = (s.token("src"), s.token("dst"));
            let now = now_epoch();
            let tunnel = Tunnel {
                arn: arn.clone(),
                created_at: now,
                expires: Instant::now() + s.lifetime(minutes),
                lifetime_minutes: minutes,
                closed: false,
                destination_config: input.get("destinationConfig").cloned(),
                source_token: src.clone(),
                destination_token: dst.clone(),
                last_updated: now,
            };
            s.tunnels.lock().unwrap().insert(id.clone(), tunnel);
            reply(
                f,
                StatusCode::OK,
                json!({"tunnelId": id, "tunnelArn": arn, "sourceAccessToken": src, "destinationAccessToken": dst}),
            )
        }
        "DescribeTunnel" => {
            let tunnels = s.tunnels.lock().unwrap();
            let Some(t) = tunnels.get(&id) else { return not_found() };
            let open = !t.closed && Instant::now() < t.expires;
            let created: Value = if f == Fault::IsoTimestamps {
                json!("2024-01-01T00:00:00Z")
            } else {
                json!(t.created_at)
            };
            let mut tunnel = json!({
                "tunnelId": id, "tunnelArn": t.arn, "status": if open { "OPEN" } else { "CLOSED" },
                "sourceConnectionState": {"status": "DISCONNECTED", "lastUpdatedAt": t.created_at},
                "destinationConnectionState": {"status": "DISCONNECTED", "lastUpdatedAt": t.created_at},
                "timeoutConfig": {"maxLifetimeTimeoutMinutes": t.lifetime_minutes},
                "createdAt": created, "lastUpdatedAt": t.last_updated,
            });
            if let Some(dc) = &t.destination_config {
                tunnel["destinationConfig"] = dc.clone();
            }
            reply(f, StatusCode::OK, json!({ "tunnel": tunnel }))
        }
        "CloseTunnel" => {
            let mut tunnels = s.tunnels.lock().unwrap();
            if !tunnels.contains_key(&id) {
                return not_found();
            }
            if input.get("delete").and_then(Value::as_bool) == Some(true) {
                tunnels.remove(&id);
            } else if let Some(t) = tunnels.get_mut(&id) {
                t.closed = true;
            }
            reply(f, StatusCode::OK, json!({}))
        }
        "RotateTunnelAccessToken" => rotate(&s, &id, &input),
        _ => error(f, 400, "UnknownOperationException", "not implemented here"),
    }
}

fn rotate(s: &ServerState, id: &str, input: &Value) -> Response {
    let f = s.fault;
    let mode = input
        .get("clientMode")
        .and_then(Value::as_str)
        .and_then(ClientMode::parse);
    let mode = mode.unwrap_or(ClientMode::All);
    let mut tunnels = s.tunnels.lock().unwrap();
    let Some(t) = tunnels.get_mut(id) else {
        let status = if f == Fault::NotFound404 { 404 } else { 400 };
        return error(f, status, "ResourceNotFoundException", "no such tunnel");
    };
    let now = Instant::now();
    let open = !t.closed && now < t.expires;
    if !open {
        if f != Fault::ReopenClosedOnRotation {
            return error(f, 400, "InvalidRequestException", "tunnel is closed");
        }
        t.closed = false;
        t.expires = now + s.lifetime(t.lifetime_minutes);
    }
    let dc = input.get("destinationConfig").filter(|v| !v.is_null());
    if mode == ClientMode::Source && dc.is_some() && f != Fault::AcceptSourceWithConfig {
        return error(
            f,
            400,
            "InvalidRequestException",
            "You can not use DestinationConfig with source clientMode",
        );
    }
    if let Some(dc) = dc {
        t.destination_config = Some(dc.clone());
    }
    match f {
        Fault::ResetCreatedAtOnRotation => {
            t.created_at = now_epoch();
            t.expires = now + s.lifetime(t.lifetime_minutes);
        }
        Fault::ExtendExpiryOnRotation => t.expires = now + s.lifetime(t.lifetime_minutes),
        _ => {}
    }
    t.last_updated = now_epoch();
    let mut body = json!({ "tunnelArn": if f == Fault::WrongArn { "arn:aws:iot:us-east-1:1:tunnel/other" } else { t.arn.as_str() } });
    if matches!(mode, ClientMode::Source | ClientMode::All) {
        if f != Fault::ReuseSourceToken {
            t.source_token = s.token("src");
        }
        body["sourceAccessToken"] = json!(t.source_token);
    }
    if matches!(mode, ClientMode::Destination | ClientMode::All) {
        t.destination_token = s.token("dst");
        body["destinationAccessToken"] = json!(t.destination_token);
    }
    if f == Fault::BothTokensForSource {
        body["destinationAccessToken"] = json!(t.destination_token);
    }
    reply(f, StatusCode::OK, body)
}

/// A plain HTTP transport (no signing: the test server does not check signatures).
pub struct HttpTransport {
    client: reqwest::Client,
    url: String,
}

impl HttpTransport {
    pub fn new(url: &str) -> HttpTransport {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .build()
            .expect("reqwest client");
        HttpTransport {
            client,
            url: url.to_owned(),
        }
    }
}

impl Transport for HttpTransport {
    fn send(
        &self,
        req: &HttpRequest,
    ) -> impl std::future::Future<Output = Result<HttpResponse, TransportError>> + Send {
        let method = reqwest::Method::from_bytes(req.method.as_bytes());
        let mut builder = method.map(|m| self.client.request(m, &self.url));
        if let Ok(b) = builder {
            let mut b = b;
            for (k, v) in &req.headers {
                b = b.header(k.as_str(), v.as_str());
            }
            builder = Ok(b.body(req.body.clone()));
        }
        async move {
            let builder = builder.map_err(|e| TransportError::InvalidRequest(format!("bad method: {e}")))?;
            let fail = |e: reqwest::Error| {
                let (endpoint, detail) = ("test server".to_owned(), e.to_string());
                if e.is_connect() {
                    TransportError::Connect { endpoint, detail }
                } else {
                    TransportError::Protocol { endpoint, detail }
                }
            };
            let resp = builder.send().await.map_err(fail)?;
            let status = resp.status().as_u16();
            let headers = rotcheck::wire::header_pairs(resp.headers());
            let body = resp.bytes().await.map_err(fail)?.to_vec();
            Ok(HttpResponse {
                status,
                headers,
                body,
                truncated: false,
            })
        }
    }
}

fn case(id: &str, tunnel: TunnelState, request: HttpRequest, expect: Expectation) -> Case {
    Case {
        id: id.into(),
        kind: CaseKind::Fixture,
        description: format!("test case {id}"),
        tunnel,
        request,
        expect,
        operator: None,
    }
}

fn open() -> TunnelState {
    TunnelState::Open {
        destination_config: None,
    }
}

fn rotate_req(body: Value) -> HttpRequest {
    HttpRequest::json("RotateTunnelAccessToken", &body)
}

/// One or more cases for every expectation and tunnel state.
pub fn cases() -> Vec<Case> {
    let p = TUNNEL_ID_PLACEHOLDER;
    let ssh = json!({"services": ["SSH"]});
    let mut get = rotate_req(json!({"tunnelId": p, "clientMode": "ALL"}));
    get.method = "GET".into();
    vec![
        case(
            "valid/all",
            open(),
            rotate_req(json!({"tunnelId": p, "clientMode": "ALL"})),
            Expectation::Success { mode: ClientMode::All },
        ),
        case(
            "valid/source",
            open(),
            rotate_req(json!({"tunnelId": p, "clientMode": "SOURCE"})),
            Expectation::Success {
                mode: ClientMode::Source,
            },
        ),
        case(
            "valid/destination",
            open(),
            rotate_req(json!({"tunnelId": p, "clientMode": "DESTINATION"})),
            Expectation::Success {
                mode: ClientMode::Destination,
            },
        ),
        case(
            "valid/destination-with-config",
            open(),
            rotate_req(json!({"tunnelId": p, "clientMode": "DESTINATION", "destinationConfig": ssh})),
            Expectation::Success {
                mode: ClientMode::Destination,
            },
        ),
        case(
            "valid/configured-tunnel-all",
            TunnelState::Open {
                destination_config: Some(ssh.clone()),
            },
            rotate_req(json!({"tunnelId": p, "clientMode": "ALL"})),
            Expectation::Success { mode: ClientMode::All },
        ),
        case(
            "not-found/unknown-id",
            TunnelState::Unknown {
                id: "rotcheck-no-such-tunnel-0001".into(),
            },
            rotate_req(json!({"tunnelId": p, "clientMode": "ALL"})),
            Expectation::NotFound,
        ),
        case(
            "invalid/client-mode-lowercase",
            open(),
            rotate_req(json!({"tunnelId": p, "clientMode": "source"})),
            Expectation::Invalid,
        ),
        case(
            "invalid/client-mode-missing",
            open(),
            rotate_req(json!({"tunnelId": p})),
            Expectation::Invalid,
        ),
        case(
            "invalid/tunnel-id-slash",
            TunnelState::None,
            rotate_req(json!({"tunnelId": "a/b", "clientMode": "ALL"})),
            Expectation::Invalid,
        ),
        case(
            "invalid/malformed-json",
            TunnelState::None,
            HttpRequest::raw("RotateTunnelAccessToken", br#"{"tunnelId": "#.to_vec()),
            Expectation::Invalid,
        ),
        case(
            "source-destination-config/ssh",
            open(),
            rotate_req(json!({"tunnelId": p, "clientMode": "SOURCE", "destinationConfig": ssh})),
            Expectation::SourceWithDestinationConfig,
        ),
        case(
            "closed/all",
            TunnelState::Closed,
            rotate_req(json!({"tunnelId": p, "clientMode": "ALL"})),
            Expectation::ClosedTunnel,
        ),
        case(
            "closed/source",
            TunnelState::Closed,
            rotate_req(json!({"tunnelId": p, "clientMode": "SOURCE"})),
            Expectation::ClosedTunnel,
        ),
        case(
            "left-open/unknown-member",
            open(),
            rotate_req(json!({"tunnelId": p, "clientMode": "ALL", "rotcheckUnknown": 1})),
            Expectation::AnyNon5xx {
                mode: Some(ClientMode::All),
            },
        ),
        case(
            "left-open/get",
            TunnelState::None,
            get,
            Expectation::AnyNon5xx { mode: None },
        ),
    ]
}
