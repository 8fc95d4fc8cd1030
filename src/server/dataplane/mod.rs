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
mod pace;
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
use crate::secret::SecretString;
use crate::spec::Op;
use handshake::{Leniency, Refusal};

/// How much later DescribeTunnel shows a connection change under `connection-state-delayed`.
pub const STATE_DELAY: Duration = Duration::from_millis(300);

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

/// The data plane's knobs (part of the server's `Behaviour`): the faithful choices by default;
/// the data-plane faults and variants each set one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataPlaneBehaviour {
    /// How the handshake's store-side judgement is bent (all off: faithful).
    pub leniency: Leniency,
    /// Whether the 101 echoes the chosen subprotocol.
    pub echo_subprotocol: bool,
    /// Whether DescribeTunnel's connection states follow the connections.
    pub report_connection_state: bool,
    /// Whether connection states change only after [`STATE_DELAY`].
    pub delay_connection_state: bool,
    /// Whether a rotated side's new token is refused (as if already used).
    pub new_token_refused: bool,
    /// Whether a rotated side's previous token keeps working.
    pub keep_revoked_tokens: bool,
    /// Whether a one-side rotation replaces the other side's token too.
    pub revoke_other_side: bool,
    /// Whether a refused SOURCE + destinationConfig rotation still replaces the source token.
    pub refused_rotation_revokes_source: bool,
    /// Whether CloseTunnel and expiry end the tunnel's open connections.
    pub close_ends_connections: bool,
    /// Whether a connection open on a token that was since rotated is dropped.
    pub drop_rotated_connections: bool,
    /// Whether refused revoked tokens get 403 and a text of their own (else the faithful 4xx).
    pub revoked_403: bool,
    /// Whether the relay drops a frame when the peer's queue is full (else the sender waits).
    pub drop_when_busy: bool,
    /// Whether the relay swaps each pair of frames it writes to a connection.
    pub reorder_frames: bool,
    /// Whether the relay splits data messages and packs queued messages into new frames.
    pub reframe: bool,
}

impl Default for DataPlaneBehaviour {
    fn default() -> Self {
        DataPlaneBehaviour {
            leniency: Leniency::default(),
            echo_subprotocol: true,
            report_connection_state: true,
            delay_connection_state: false,
            new_token_refused: false,
            keep_revoked_tokens: false,
            revoke_other_side: false,
            refused_rotation_revokes_source: false,
            close_ends_connections: true,
            drop_rotated_connections: false,
            revoked_403: false,
            drop_when_busy: false,
            reorder_frames: false,
            reframe: false,
        }
    }
}

fn knobs(state: &AppState) -> DataPlaneBehaviour {
    state.behaviour().data_plane
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
    let ws = if !knobs(state).echo_subprotocol {
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
    let lenient = knobs(state).leniency;
    let now = state.clock.now();
    let enforce = state.behaviour().enforce_expiry;
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
    let (status, text) = if r.revoked && knobs(state).revoked_403 {
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
        "lastUpdatedAt": state.timestamp(Op::DescribeTunnel, s.changed_at.unwrap_or(t.created_at)),
    })
}

/// A connection of `side` opened (`delta` 1) or closed (-1): what DescribeTunnel reports.
pub(crate) fn report_connection(state: &Arc<AppState>, tunnel: &str, side: Side, opened: bool) {
    if !knobs(state).report_connection_state {
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
    if knobs(state).delay_connection_state {
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
        s.spent = knobs(state).new_token_refused.then_some(None);
        if knobs(state).keep_revoked_tokens {
            s.also_accepted.push(previous.clone());
        }
    }
    if let [(only, _)] = rotated {
        if knobs(state).revoke_other_side {
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
    if let (true, Some(t)) = (knobs(state).refused_rotation_revokes_source, t) {
        replace_token(state, t, Side::Source);
    }
}

fn replace_token(state: &AppState, t: &mut Tunnel, side: Side) {
    let fresh = store::new_token(state.behaviour().token_style);
    match side {
        Side::Source => t.source_token = fresh,
        Side::Destination => t.destination_token = fresh,
    }
    t.side_mut(side).spent = None;
}
