//! The reference data plane: the WebSocket that local proxies connect to with their access
//! tokens, served on the control plane's port (PROTOCOL.md, "Data plane: where revocation
//! shows"). It is where a rotation's "revokes the current client access token" can be observed.
//!
//! - `GET /tunnel?local-proxy-mode=source|destination`, token in the `access-token` header or the
//!   `awsiot-tunnel-token` cookie (exactly one value), at most 4 KiB of request head, one of the
//!   subprotocols `aws.iot.securetunneling-3.0/2.0/1.0` offered ([`handshake`]).
//! - Success: `101` with `channel-id` and the chosen subprotocol, then a `SERVICE_IDS` message
//!   ([`crate::wire::frame`]); binary frames are relayed to the other side's connection ([`relay`]).
//! - Refusals are 400 with a plain-text body starting `Invalid access token:` (or `Invalid client
//!   token:`). A token is spent by its first handshake; the same `client-token` may reconnect.
//! - DescribeTunnel's connection states follow the connections ([`connection_state`]);
//!   CloseTunnel and expiry close the tunnel's connections within one tick (25 ms).
//! - Rotation revokes exactly the rotated sides: their old tokens are refused from then on, the
//!   new ones are unspent, the other side keeps its token and its spent state.
//!
//! Choices on what the spec leaves open (each flipped by a variant):
//! - **A connection already open on a rotated token is kept** until it closes; only new
//!   handshakes with the old token are refused (`--variant rotated-connections-dropped` closes it
//!   at once instead).
//! - Unknown, rotated and closed-tunnel tokens get 400 `Invalid access token: ...`
//!   (`--variant revoked-token-403`: 403 with another text).
//! - Connection states change as soon as the connection opens or closes
//!   (`--variant connection-state-delayed`: 300 ms later).
//!
//! The data-plane faults and variants act here only: `ops.rs` calls [`on_rotation`],
//! [`on_refused_rotation`] and [`connection_state`], which apply them.

mod connections;
pub mod handshake;
mod relay;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

pub(crate) use connections::Connections;

use super::state::AppState;
use super::store::{self, Side, Tunnel};
use super::{Fault, Variant};
use crate::secret::SecretString;
use handshake::{Leniency, Refusal};

/// How much later DescribeTunnel shows a connection change under `connection-state-delayed`.
pub const STATE_DELAY: Duration = Duration::from_millis(300);

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
    let ws = if state.fault(Fault::SubprotocolNotEchoed) {
        ws
    } else {
        ws.protocols([offer.subprotocol])
    };
    let token = offer.token;
    let task_state = Arc::clone(state);
    let channel = store::uuid();
    let mut resp = ws
        .max_message_size(usize::from(u16::MAX) * 4)
        .on_upgrade(move |socket| relay::run(task_state, socket, tunnel_id, side, token, services));
    if let Ok(v) = HeaderValue::from_str(&channel) {
        resp.headers_mut().insert("channel-id", v);
    }
    resp
}

/// The tunnel id, side and services the offer connects to; with `spend`, the token is spent
/// (bound to the offer's client token) in the same critical section.
fn admit(state: &AppState, offer: &handshake::Offer, spend: bool) -> Result<(String, Side, Vec<String>), Refusal> {
    let lenient = Leniency {
        mode_mismatch: state.fault(Fault::ModeMismatchAccepted),
        closed_tunnel: state.fault(Fault::ClosedTunnelTokenAccepted),
        reuse: state.fault(Fault::TokenReusable),
        any_client_token: state.fault(Fault::ClientTokenIgnored),
    };
    let now = state.clock.now();
    let enforce = state.enforce_expiry();
    let mut store = state.store();
    let (id, side, services) = handshake::admit(&store, offer, |t| t.is_open(now, enforce), lenient)
        .map(|(t, side)| (t.id.clone(), side, services_of(t)))?;
    if spend {
        if let Some(t) = store.get_mut(&id) {
            t.side_mut(side).spent = Some(offer.client_token.clone());
        }
    }
    Ok((id, side, services))
}

fn refuse(state: &AppState, r: Refusal) -> Response {
    let (status, text) = if r.revoked && state.variant(Variant::RevokedToken403) {
        (
            StatusCode::FORBIDDEN,
            "Forbidden: this access token cannot open a connection".to_owned(),
        )
    } else {
        (r.status, r.message)
    };
    let mut resp = (status, Body::from(text)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn services_of(t: &Tunnel) -> Vec<String> {
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
pub(crate) fn connection_state(state: &AppState, t: &Tunnel, side: Side) -> Value {
    let s = t.side(side);
    let status = if s.connections > 0 { "CONNECTED" } else { "DISCONNECTED" };
    json!({
        "status": status,
        "lastUpdatedAt": state.timestamp(s.changed_at.unwrap_or(t.created_at), true),
    })
}

/// A connection of `side` opened (`delta` 1) or closed (-1): what DescribeTunnel reports.
pub(crate) fn report_connection(state: &Arc<AppState>, tunnel: &str, side: Side, opened: bool) {
    if state.fault(Fault::ConnectionStateNeverUpdated) {
        return;
    }
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
    if state.variant(Variant::ConnectionStateDelayed) {
        tokio::spawn(async move {
            tokio::time::sleep(STATE_DELAY).await;
            apply();
        });
    } else {
        apply();
    }
}

/// After a rotation replaced the tokens of the `rotated` sides (their previous tokens given):
/// the new tokens are unspent; the faults bend what the data plane accepts.
pub(crate) fn on_rotation(state: &AppState, t: &mut Tunnel, rotated: &[(Side, SecretString)]) {
    for (side, previous) in rotated {
        let s = t.side_mut(*side);
        s.spent = state.fault(Fault::NewTokenRefused).then_some(None);
        if state.fault(Fault::RevokedTokenAccepted) {
            s.also_accepted.push(previous.clone());
        }
    }
    if let [(only, _)] = rotated {
        if state.fault(Fault::RotationRevokesOtherSide) {
            let other = if *only == Side::Source {
                Side::Destination
            } else {
                Side::Source
            };
            replace_token(state, t, other);
        }
    }
}

/// After a rotation was refused (SOURCE with a destinationConfig): nothing changes, but for the
/// fault that rotates the source token anyway without returning it.
pub(crate) fn on_refused_rotation(state: &AppState, t: Option<&mut Tunnel>) {
    if let (true, Some(t)) = (state.fault(Fault::RefusedRotationRevokesSource), t) {
        replace_token(state, t, Side::Source);
    }
}

fn replace_token(state: &AppState, t: &mut Tunnel, side: Side) {
    let fresh = store::new_token(state.token_style());
    match side {
        Side::Source => t.source_token = fresh,
        Side::Destination => t.destination_token = fresh,
    }
    t.side_mut(side).spent = None;
}
