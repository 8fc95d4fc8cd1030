//! The reference data plane: the WebSocket that local proxies connect to with their access
//! tokens, served on the control plane's port (PROTOCOL.md, "Data plane: where revocation
//! shows"). It is where a rotation's "revokes the current client access token" can be observed.
//!
//! - `GET /tunnel?local-proxy-mode=source|destination`, token in the `access-token` header or the
//!   `awsiot-tunnel-token` cookie (exactly one value), at most 4 KiB of request head, one of the
//!   subprotocols `aws.iot.securetunneling-3.0/2.0/1.0` offered ([`handshake`]).
//! - Success: `101` with `channel-id` and the chosen subprotocol, then a `SERVICE_IDS` message
//!   ([`crate::wire::frame`]); binary frames are relayed to the other side's connection, reliably
//!   and in order, with backpressure ([`relay`]), at most `--bandwidth` bytes per second per side
//!   ([`pace`]). A side replaced by a newer connection (a reconnect, a new process after a
//!   rotation) gets its peer a StreamReset per open stream ([`connections`]).
//! - Refusals are 400 with a plain-text body starting `Invalid access token:` (or `Invalid client
//!   token:`). A token is spent by its first handshake; the same `client-token` may reconnect.
//! - DescribeTunnel's connection states follow the connections ([`connection_state`]);
//!   CloseTunnel and expiry close the tunnel's connections within one tick (25 ms).
//! - Rotation revokes exactly the rotated sides: their old tokens are refused from then on, the
//!   new ones are unspent, the other side keeps its token and its spent state.
//!
//! Choices on what the spec leaves open (a variant may make another at a hook point):
//! - **A connection already open on a rotated token is kept** until it closes; only new
//!   handshakes with the old token are refused (`Hook::connection_ends`).
//! - Unknown, rotated and closed-tunnel tokens get 400 `Invalid access token: ...`
//!   (`Hook::finish_upgrade`).
//! - Connection states change as soon as the connection opens or closes
//!   (`Hook::connection_state_change`).
//!
//! Faults and variants act on the data plane only at the hook points `hooks.rs` lists under
//! "The data plane" (and `after_rotation` for what a rotation does to tokens).

mod connections;
pub mod handshake;
mod pace;
mod relay;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

pub(crate) use connections::Connections;

use super::errors::plain_text;
use super::hooks::StateChange;
use super::state::AppState;
use super::store::{self, Side, StoredTunnel};
use crate::spec::Op;
use handshake::Refusal;

/// How long a connection may read nothing its peer sends before it is disconnected.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The relay's settings (`rotcheck serve --bandwidth`), part of the server's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayConfig {
    /// Most bytes per second each tunnel side may send (None: no cap).
    pub bandwidth: Option<u64>,
    /// A connection whose socket takes nothing for this long is disconnected (its peer's frames
    /// wait meanwhile: nothing is dropped). 30 s: longer than any pause a live client makes,
    /// short enough that a dead one does not hold its peer for minutes.
    pub stall_timeout: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            bandwidth: None,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        }
    }
}

/// The upgrade handler (`GET /tunnel`).
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    parts: Parts,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let resp = upgrade(&state, &parts, ws);
    // Status only: never the token or cookie.
    tracing::info!(
        operation = "data-plane upgrade",
        status = resp.status().as_u16(),
        "request"
    );
    resp
}

fn upgrade(state: &Arc<AppState>, parts: &Parts, ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>) -> Response {
    let offer = match handshake::read_offer(parts) {
        Ok(o) => o,
        Err(r) => return refuse(state, r),
    };
    // Judged before the upgrade headers, so a token is refused the same way whatever they are;
    // spent only once the upgrade can happen (judged again under the same lock).
    if let Err(r) = admit(state, &offer, false) {
        return refuse(state, r);
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let (tunnel_id, side, services) = match admit(state, &offer, true) {
        Ok(a) => a,
        Err(r) => return refuse(state, r),
    };
    let ws = ws.protocols([offer.subprotocol]);
    let token = offer.token;
    let task_state = Arc::clone(state);
    let channel = store::uuid();
    let mut resp = ws
        .max_message_size(usize::from(u16::MAX) * 4)
        .on_upgrade(move |socket| relay::run(task_state, socket, tunnel_id, side, token, services));
    if let Ok(v) = HeaderValue::from_str(&channel) {
        resp.headers_mut().insert("channel-id", v);
    }
    for h in state.hooks() {
        h.finish_upgrade(None, &mut resp);
    }
    resp
}

/// The tunnel id, side and services the offer connects to; with `spend`, the token is spent
/// (bound to the offer's client token) in the same critical section.
fn admit(state: &AppState, offer: &handshake::Offer, spend: bool) -> Result<(String, Side, Vec<String>), Refusal> {
    let now = state.clock.now();
    let instant = state.instant_expiry();
    let mut store = state.store();
    let admits = |reason| state.hooks().any(|h| h.handshake_refused(reason));
    let refuses_reconnect = state.hooks().any(|h| h.refuse_reconnect());
    let (id, side, services) = handshake::admit(&store, offer, |t| t.is_open(now, instant), admits, refuses_reconnect)
        .map(|(t, side)| (t.id.clone(), side, services_of(t)))?;
    if spend {
        if let Some(t) = store.get_mut(&id) {
            t.side_mut(side).spent = Some(offer.client_token.clone());
        }
    }
    Ok((id, side, services))
}

fn refuse(state: &AppState, r: Refusal) -> Response {
    let mut resp = plain_text(r.status, r.message);
    for h in state.hooks() {
        h.finish_upgrade(Some(r.reason), &mut resp);
    }
    resp
}

fn services_of(t: &StoredTunnel) -> Vec<String> {
    t.destination_config
        .as_ref()
        .and_then(|d| d.get("services"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// DescribeTunnel's `sourceConnectionState` / `destinationConnectionState`.
pub(crate) fn connection_state(state: &AppState, t: &StoredTunnel, side: Side) -> Value {
    let s = t.side(side);
    let status = if s.connections > 0 { "CONNECTED" } else { "DISCONNECTED" };
    json!({
        "status": status,
        "lastUpdatedAt": state.timestamp(Op::DescribeTunnel, s.changed_at.unwrap_or(t.created_at)),
    })
}

/// A connection of `side` opened (`delta` 1) or closed (-1): what DescribeTunnel reports.
pub(crate) fn report_connection(state: &Arc<AppState>, tunnel: &str, side: Side, opened: bool) {
    let delay = match state.hooks().find_map(|h| h.connection_state_change()) {
        None => None,
        Some(StateChange::After(delay)) => Some(delay),
        Some(StateChange::Never) => return,
    };
    let apply = {
        let (state, tunnel) = (Arc::clone(state), tunnel.to_owned());
        move || {
            let wall = state.clock.wall();
            let mut store = state.store();
            if let Some(t) = store.get_mut(&tunnel) {
                let s = t.side_mut(side);
                let before = s.connections > 0;
                s.connections = if opened {
                    s.connections.saturating_add(1)
                } else {
                    s.connections.saturating_sub(1)
                };
                if before != (s.connections > 0) {
                    s.changed_at = Some(wall);
                }
            }
        }
    };
    match delay {
        Some(delay) => {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                apply();
            });
        }
        None => apply(),
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use crate::server::{router, Fault, ServerConfig, Variant};

    /// The answer to `op` with `body` on the control plane, as JSON.
    async fn call(app: &axum::Router, op: &str, body: Value) -> Value {
        let req = Request::post("/")
            .header("x-amz-target", format!("IoTSecuredTunneling.{op}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap()
    }

    /// A handshake with `token` as the source side: its status and body (in-process there is no
    /// connection to upgrade, so an admitted token gets the upgrade's own refusal).
    async fn handshake(app: &axum::Router, token: &str) -> (u16, String) {
        let req = Request::get("/tunnel?local-proxy-mode=source")
            .header("access-token", token)
            .header("sec-websocket-protocol", "aws.iot.securetunneling-3.0")
            .body(Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// A server with `faults` and `variants`, and a source token a SOURCE rotation revoked.
    async fn revoked_source(faults: Vec<Fault>, variants: Vec<Variant>) -> (axum::Router, String) {
        let app = router(ServerConfig {
            faults,
            variants,
            ..ServerConfig::default()
        });
        let opened = call(&app, "OpenTunnel", json!({})).await;
        let old = opened["sourceAccessToken"].as_str().unwrap().to_owned();
        let id = opened["tunnelId"].clone();
        call(
            &app,
            "RotateTunnelAccessToken",
            json!({"tunnelId": id, "clientMode": "SOURCE"}),
        )
        .await;
        (app, old)
    }

    /// Guards the hook points that replaced the handshake's fault knobs (`Leniency`,
    /// `keep_revoked_tokens`, `revoked_403`): the faithful server refuses a revoked token as such,
    /// `revoked-token-accepted` admits it at `handshake_refused`, and `revoked-token-403` answers
    /// 403 at `finish_upgrade`.
    #[tokio::test]
    async fn a_revoked_token_is_refused_admitted_or_forbidden_at_the_hook_points() {
        let (app, old) = revoked_source(vec![], vec![]).await;
        let (status, body) = handshake(&app, &old).await;
        assert_eq!(status, 400);
        assert!(
            body.starts_with("Invalid access token: the token was revoked"),
            "{body}"
        );
        let (status, body) = handshake(&app, "no-such-token").await;
        assert_eq!(
            (status, body.as_str()),
            (400, "Invalid access token: the token is not valid")
        );

        let (app, old) = revoked_source(vec![Fault::RevokedTokenAccepted], vec![]).await;
        let (_, body) = handshake(&app, &old).await;
        assert!(!body.starts_with("Invalid access token"), "admitted: {body}");

        let (app, old) = revoked_source(vec![], vec![Variant::RevokedToken403]).await;
        let (status, body) = handshake(&app, &old).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(handshake(&app, "no-such-token").await.0, 403);
    }
}
