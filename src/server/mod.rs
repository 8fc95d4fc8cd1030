//! The reference implementation of the secure-tunneling control plane (`rotcheck serve`): all
//! eight operations over AWS JSON 1.1, in memory, per `fixtures/spec/PROTOCOL.md`, with a
//! catalog of faults (deliberate bugs) and variants (conformant alternatives) to measure the
//! harness against.
//!
//! Choices on points the spec leaves open (each can be flipped by a variant):
//! - SOURCE + destinationConfig is refused with 400 `InvalidRequestException`, and that check
//!   comes before the tunnel lookup (an unknown tunnel with both gets the InvalidRequest).
//! - Rotating a CLOSED tunnel is refused with 400 `InvalidRequestException`.
//! - Invalid input is 400 `ValidationException`; request members the model does not know are
//!   ignored; any request Content-Type is served; duplicate keys: the last one wins.
//! - Rotation moves `lastUpdatedAt`; a DESTINATION/ALL rotation with a destinationConfig
//!   replaces the tunnel's destinationConfig. Timestamps are whole epoch seconds.
//! - ListTunnels pages hold 100 tunnels when `maxResults` is absent; `nextToken` is opaque.
//! - SigV4 failures: 403 (`MissingAuthenticationTokenException`, `InvalidSignatureException`,
//!   `UnrecognizedClientException`), 400 `IncompleteSignatureException` for a malformed header.

mod catalog;
pub mod clock;
pub mod errors;
pub mod faults;
mod ops;
pub mod sigv4;
mod store;
pub mod variants;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use errors::ApiError;
pub use faults::Fault;
pub use ops::Op;
pub use sigv4::{AuthError, SigV4Keys, Verifier};
pub use variants::Variant;

use crate::spec::facts;
use clock::Clock;
use errors::ErrorStyle;
use store::{IdStyle, Store, TokenStyle};

/// Default cap on a request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default cap on the number of tunnels held (OpenTunnel answers LimitExceededException beyond).
pub const DEFAULT_MAX_TUNNELS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub region: String,
    pub account: String,
    /// One tunnel-minute lasts `60 / time_scale` real seconds.
    pub time_scale: f64,
    /// When set, every request must be SigV4-signed with these keys.
    pub verify_sigv4: Option<SigV4Keys>,
    pub max_body_bytes: usize,
    pub max_tunnels: usize,
    pub faults: Vec<Fault>,
    pub variants: Vec<Variant>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            time_scale: 1.0,
            verify_sigv4: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_tunnels: DEFAULT_MAX_TUNNELS,
            faults: Vec::new(),
            variants: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("invalid server configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl ServerConfig {
    /// Refuses settings the server cannot honour.
    pub fn validate(&self) -> Result<(), ServerError> {
        let bad = |m: String| Err(ServerError::Config(m));
        if !(self.time_scale.is_finite() && self.time_scale > 0.0 && self.time_scale <= clock::MAX_TIME_SCALE) {
            return bad(format!("time scale must be a number in (0, {}]", clock::MAX_TIME_SCALE));
        }
        let region_ok = !self.region.is_empty()
            && self.region.len() <= 64
            && self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return bad(format!(
                "region {:?} must be lowercase letters, digits and '-'",
                self.region
            ));
        }
        if self.account.len() != 12 || !self.account.bytes().all(|b| b.is_ascii_digit()) {
            return bad(format!("account {:?} must be 12 digits", self.account));
        }
        if self.max_body_bytes == 0 || self.max_tunnels == 0 {
            return bad("max body bytes and max tunnels must be at least 1".into());
        }
        if let Some(k) = &self.verify_sigv4 {
            if k.access_key_id.is_empty() || k.secret_access_key.is_empty() {
                return bad("SigV4 verification needs a non-empty access key id and secret".into());
            }
        }
        Ok(())
    }
}

/// Everything a request handler reads.
pub(crate) struct AppState {
    config: ServerConfig,
    faults: BTreeSet<Fault>,
    variants: BTreeSet<Variant>,
    clock: Clock,
    store: Mutex<Store>,
    verifier: Option<Verifier>,
}

impl AppState {
    fn new(config: ServerConfig) -> AppState {
        let verifier = config
            .verify_sigv4
            .clone()
            .map(|keys| Verifier::new(keys, config.region.clone()));
        AppState {
            faults: config.faults.iter().copied().collect(),
            variants: config.variants.iter().copied().collect(),
            clock: Clock::new(config.time_scale),
            store: Mutex::default(),
            verifier,
            config,
        }
    }

    fn fault(&self, f: Fault) -> bool {
        self.faults.contains(&f)
    }

    fn variant(&self, v: Variant) -> bool {
        self.variants.contains(&v)
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A poisoned lock only means a handler panicked mid-update; the data is still usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a tunnel closes when its lifetime passes (always, but for one fault).
    fn enforce_expiry(&self) -> bool {
        !self.fault(Fault::ExpiryNotEnforced)
    }

    fn id_style(&self) -> IdStyle {
        if self.variant(Variant::FullAlphabetIds) {
            IdStyle::FullAlphabet
        } else if self.variant(Variant::UuidIdsAndJwtTokens) {
            IdStyle::Uuid
        } else {
            IdStyle::Hex
        }
    }

    fn token_style(&self) -> TokenStyle {
        if self.variant(Variant::UuidIdsAndJwtTokens) {
            TokenStyle::Jwt
        } else {
            TokenStyle::Alphanumeric
        }
    }

    fn arn(&self, tunnel_id: &str) -> String {
        format!(
            "arn:aws:iot:{}:{}:tunnel/{tunnel_id}",
            self.config.region, self.config.account
        )
    }

    /// The error type of invalid input.
    fn validation_type(&self) -> &'static str {
        if self.variant(Variant::InvalidRequestException) {
            "InvalidRequestException"
        } else {
            "ValidationException"
        }
    }

    fn content_type(&self) -> &'static str {
        if self.variant(Variant::ApplicationJson) {
            "application/json"
        } else {
            facts::CONTENT_TYPE
        }
    }

    /// A timestamp as epoch seconds (or, under a DescribeTunnel fault, an ISO-8601 string).
    fn timestamp(&self, t: SystemTime, in_describe: bool) -> Value {
        if in_describe && self.fault(Fault::TimestampsAsStrings) {
            return Value::String(clock::iso8601(t));
        }
        let secs = clock::epoch_secs(t);
        if self.variant(Variant::FractionalTimestamps) {
            serde_json::Number::from_f64((secs * 1000.0).round() / 1000.0)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        } else {
            Value::from(secs.floor() as i64)
        }
    }

    fn error_style(&self, op: Option<Op>) -> ErrorStyle {
        let rotate = op == Some(Op::RotateTunnelAccessToken);
        ErrorStyle {
            namespaced: self.variant(Variant::NamespacedErrorType),
            coral_suffix: self.variant(Variant::ErrorTypeSuffix),
            capital_message: self.variant(Variant::CapitalMessage),
            header_only_type: self.variant(Variant::HeaderOnlyErrorType),
            extra_members: self.variant(Variant::ExtraResponseMembers),
            application_json: self.variant(Variant::ApplicationJson),
            plain_text: rotate && self.fault(Fault::ErrorBodyPlainText),
            type_missing: rotate && self.fault(Fault::ErrorTypeMissing),
        }
    }
}

/// The server as an axum router, for in-process use (`tower::ServiceExt::oneshot`). A config
/// that fails [`ServerConfig::validate`] is served with safe fallbacks (time scale 1, caps of
/// at least 1); [`spawn`] refuses it instead.
pub fn router(mut config: ServerConfig) -> Router {
    config.max_body_bytes = config.max_body_bytes.max(1);
    config.max_tunnels = config.max_tunnels.max(1);
    Router::new()
        .fallback(handle)
        .with_state(Arc::new(AppState::new(config)))
}

/// A server listening on a socket, stopped by [`RunningServer::shutdown`] (or by dropping it).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets in-flight requests finish (for up to 10 s) and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(10), &mut task).await.is_err() {
            task.abort();
        }
    }
}

/// Binds `bind` (port 0: any free port) and serves until shut down.
pub async fn spawn(config: ServerConfig, bind: SocketAddr) -> Result<RunningServer, ServerError> {
    config.validate()?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|source| ServerError::Bind { addr: bind, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr: bind, source })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(config);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // Either an explicit stop or the RunningServer being dropped.
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningServer { addr, stop, task })
}

async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let request_id = store::uuid();
    let (op, mut resp) = serve(&state, req).await;
    if state.variant(Variant::ExtraResponseMembers) {
        resp.headers_mut()
            .insert("x-rotcheck-variant", HeaderValue::from_static("extra-response-members"));
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    // Operation and status only: never headers or bodies (tokens, Authorization).
    tracing::info!(
        operation = op.map(Op::name).unwrap_or("-"),
        status = resp.status().as_u16(),
        request_id = %request_id,
        "request"
    );
    resp
}

async fn serve(state: &AppState, req: Request) -> (Option<Op>, Response) {
    let (parts, body) = req.into_parts();
    let fail = |op: Option<Op>, e: ApiError| (op, state.error_style(op).render(&e));

    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            format!(
                "Request body exceeds the limit of {} bytes",
                state.config.max_body_bytes
            ),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.config.max_body_bytes as u64) {
        return fail(None, too_large());
    }
    let bytes = match Limited::new(body, state.config.max_body_bytes).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return fail(None, too_large()),
        Err(_) => return fail(None, ApiError::serialization("The request body could not be read")),
    };

    if let Some(verifier) = &state.verifier {
        if let Err(e) = verifier.verify(parts.method.as_str(), &parts.uri, &parts.headers, &bytes) {
            let status = match e {
                AuthError::Incomplete(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::FORBIDDEN,
            };
            return fail(None, ApiError::new(status, e.error_type(), e.to_string()));
        }
    }

    if parts.uri.path() != "/" {
        let e = ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "Only POST / is served",
        );
        return fail(None, e);
    }
    if parts.method != Method::POST {
        let e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            "Only POST / is served",
        );
        let (op, mut resp) = fail(None, e);
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return (op, resp);
    }
    let op = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(facts::TARGET_PREFIX))
        .and_then(|t| t.strip_prefix('.'))
        .and_then(Op::parse);
    let Some(op) = op else {
        return fail(
            None,
            ApiError::bad_request("UnknownOperationException", "Unknown or missing X-Amz-Target"),
        );
    };

    if state.variant(Variant::StrictContentType) {
        let ct = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let json = ct.is_some_and(|ct| {
            let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            essence == "application/x-amz-json-1.1" || essence == "application/x-amz-json-1.0"
        });
        if !json {
            let e = ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaTypeException",
                "Content-Type must be application/x-amz-json-1.1",
            );
            return fail(Some(op), e);
        }
    }

    match ops::call(state, op, &bytes) {
        Ok(mut body) => {
            if state.variant(Variant::ExtraResponseMembers) {
                if let Value::Object(m) = &mut body {
                    m.insert("rotcheckServedBy".into(), Value::String("rotcheck-reference".into()));
                }
            }
            let content_type = if op == Op::RotateTunnelAccessToken && state.fault(Fault::SuccessContentTypeHtml) {
                "text/html; charset=utf-8"
            } else {
                state.content_type()
            };
            let mut resp = (StatusCode::OK, Body::from(body.to_string())).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            (Some(op), resp)
        }
        Err(e) => fail(Some(op), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn oneshot(app: Router, target: &str, body: &'static str) -> (StatusCode, Value) {
        let req = axum::http::Request::post("/")
            .header("x-amz-target", target)
            .body(Body::from(body))
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn router_serves_in_process() {
        let app = router(ServerConfig::default());
        let (status, body) = oneshot(app.clone(), "IoTSecuredTunneling.ListTunnels", "").await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, serde_json::json!({"tunnelSummaries": []}))
        );
        let (status, body) = oneshot(app, "IoTSecuredTunneling.RotateTunnelAccessToken", "{").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["__type"], "SerializationException");
    }

    #[test]
    fn invalid_configs_are_refused() {
        let bad = [
            ServerConfig {
                time_scale: 0.0,
                ..Default::default()
            },
            ServerConfig {
                time_scale: f64::INFINITY,
                ..Default::default()
            },
            ServerConfig {
                region: "US East".into(),
                ..Default::default()
            },
            ServerConfig {
                account: "12".into(),
                ..Default::default()
            },
            ServerConfig {
                max_tunnels: 0,
                ..Default::default()
            },
            ServerConfig {
                verify_sigv4: Some(SigV4Keys::new("", "s")),
                ..Default::default()
            },
        ];
        for c in bad {
            assert!(c.validate().is_err(), "{c:?}");
        }
        assert!(ServerConfig::default().validate().is_ok());
    }
}
