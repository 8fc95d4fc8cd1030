//! The reference implementation of the secure-tunneling control plane (`rotcheck serve`): all
//! eight operations over AWS JSON 1.1, in memory, per `fixtures/spec/PROTOCOL.md`, with a
//! catalog of faults (deliberate bugs) and variants (conformant alternatives) to measure the
//! harness against.
//!
//! Choices on points the spec leaves open (each can be flipped by a variant; `behaviour.rs` holds
//! them, and `dataplane/mod.rs` lists the data plane's):
//! - SOURCE + destinationConfig is refused with 400 `InvalidRequestException`, and that check
//!   comes before the tunnel lookup (an unknown tunnel with both gets the InvalidRequest).
//! - Rotating a CLOSED tunnel is refused with 400 `InvalidRequestException`.
//! - Invalid input is 400 `ValidationException`; request members the model does not know are
//!   ignored; any request Content-Type is served; duplicate keys: the last one wins.
//! - Rotation moves `lastUpdatedAt`; a DESTINATION/ALL rotation with a destinationConfig
//!   replaces the tunnel's destinationConfig. Timestamps are epoch seconds with milliseconds, and a tunnel's lifetime runs from
//!   the createdAt it reports.
//! - ListTunnels pages hold 100 tunnels when `maxResults` is absent; `nextToken` is opaque.
//! - SigV4 failures: 403 (`MissingAuthenticationTokenException`, `InvalidSignatureException`,
//!   `UnrecognizedClientException`), 400 `IncompleteSignatureException` for a malformed header.
//!
//! Layout: `http` (the edge: caps, SigV4, target, rendering), `ops` (the eight operations, the
//! faithful behaviour only), `behaviour` (the open choices, with the faithful ones above as their
//! defaults), `hooks` (the points where faults and variants act, each named after its point), `faults/` and `variants/` (one
//! file each, and each directory's catalog), `state` (what handlers read), `store` (tunnels, ids,
//! tokens), `clock` (time scale, formats), `errors` (AWS error bodies), `sigv4` (verification),
//! `dataplane` (the WebSocket local proxies connect to, on the same port: `GET /tunnel`).
//! Memory is bounded by `max_tunnels` tunnels of at most `max_body_bytes` input each.

mod behaviour;
mod catalog;
pub mod clock;
mod control;
pub mod dataplane;
pub mod errors;
pub mod faults;
mod hooks;
mod http;
mod ops;
pub mod production;
pub mod sigv4;
mod state;
mod store;
pub mod tls;
pub mod variants;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::spec::Op;
pub use control::{router_with_control, Control, StoreSnapshot};
pub use dataplane::RelayConfig;
pub use errors::ApiError;
pub use faults::Fault;
pub use production::ProductionConfig;
pub use sigv4::{AuthError, SigV4Keys, Verifier};
pub use tls::{SelfSigned, TlsError, TlsIdentity};
pub use variants::Variant;

use state::AppState;

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
    /// Production-like behaviour (throttling, transient errors, expiry sweep); default: off.
    pub production: ProductionConfig,
    /// The data plane's relay: bandwidth cap, stall timeout.
    pub relay: RelayConfig,
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
            production: ProductionConfig::default(),
            relay: RelayConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("invalid server configuration: {0}")]
    Config(String),
    // The cause is in the message, not a source: `{:#}` printed it twice.
    #[error("cannot listen on {addr}: {error}")]
    Bind { addr: SocketAddr, error: std::io::Error },
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
        self.production.validate().map_err(ServerError::Config)?;
        if self.relay.bandwidth == Some(0) || self.relay.stall_timeout.is_zero() {
            return bad("the bandwidth cap and the stall timeout must be above 0".into());
        }
        if let Some(k) = &self.verify_sigv4 {
            if k.access_key_id.is_empty() || k.secret_access_key.is_empty() {
                return bad("SigV4 verification needs a non-empty access key id and secret".into());
            }
        }
        Ok(())
    }
}

/// The server as an axum router, for in-process use (`tower::ServiceExt::oneshot`). A config
/// that fails [`ServerConfig::validate`] is served with safe fallbacks (time scale 1, caps of
/// at least 1); [`spawn`] refuses it instead.
pub fn router(config: ServerConfig) -> Router {
    app(Arc::new(AppState::new(sanitized(config))))
}

/// The routes over a server's state.
fn app(state: Arc<AppState>) -> Router {
    // The data plane shares the port; other methods on /tunnel go to the control plane's edge.
    let tunnel = axum::routing::get(dataplane::handle).fallback(http::handle);
    Router::new()
        .route("/tunnel", tunnel)
        .fallback(http::handle)
        .with_state(state)
}

/// The safe fallbacks [`router`] serves an invalid config with.
fn sanitized(mut config: ServerConfig) -> ServerConfig {
    config.max_body_bytes = config.max_body_bytes.max(1);
    config.max_tunnels = config.max_tunnels.max(1);
    config
}

/// A server listening on a socket, stopped by [`RunningServer::shutdown`] (or by dropping it).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    /// What [`RunningServer::tunnels_opened`] reads.
    control: Control,
    /// Served over TLS (https, wss).
    tls: bool,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Tunnels this server has opened (successful OpenTunnel calls) since it started: the count
    /// a client's tunnel budget is checked against.
    pub fn tunnels_opened(&self) -> u64 {
        self.control.tunnels_opened()
    }

    /// `http://HOST:PORT`, or `https://` over TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// `ws://HOST:PORT/tunnel`, or `wss://` over TLS: where local proxies connect.
    pub fn data_plane_url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}/tunnel", self.addr)
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
    spawn_with_tls(config, bind, None).await
}

/// [`spawn`], over TLS when an identity is given (HTTPS and WSS on the one port).
pub async fn spawn_with_tls(
    config: ServerConfig,
    bind: SocketAddr,
    tls: Option<TlsIdentity>,
) -> Result<RunningServer, ServerError> {
    config.validate()?;
    let (app, control) = router_with_control(config);
    serve(app, control, bind, tls).await
}

/// [`spawn`], with a [`Control`] on the server's state (to move its clock).
pub async fn spawn_with_control(
    config: ServerConfig,
    bind: SocketAddr,
) -> Result<(RunningServer, Control), ServerError> {
    config.validate()?;
    let (app, control) = router_with_control(config);
    Ok((serve(app, control.clone(), bind, None).await?, control))
}

async fn serve(
    app: Router,
    control: Control,
    bind: SocketAddr,
    tls: Option<TlsIdentity>,
) -> Result<RunningServer, ServerError> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|error| ServerError::Bind { addr: bind, error })?;
    let addr = listener
        .local_addr()
        .map_err(|error| ServerError::Bind { addr: bind, error })?;
    let (stop, stopped) = oneshot::channel::<()>();
    // Either an explicit stop or the RunningServer being dropped.
    let stopped = async move {
        let _ = stopped.await;
    };
    let is_tls = tls.is_some();
    let task = match tls {
        None => tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(stopped).await }),
        Some(identity) => {
            let listener = tls::TlsListener::new(listener, &identity);
            tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(stopped).await })
        }
    };
    Ok(RunningServer {
        addr,
        control,
        tls: is_tls,
        stop,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use http_body_util::BodyExt;
    use serde_json::Value;
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
