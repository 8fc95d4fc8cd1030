//! One open data-plane connection: send `SERVICE_IDS`, then relay binary frames to the other
//! side until either end closes, the tunnel closes (CloseTunnel or expiry), or a reconnect
//! replaces it. Frames that are not well-formed messages close the connection (1002).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use bytes::Bytes;

use super::super::state::AppState;
use super::super::store::Side;
use crate::wire::frame;

/// How often an open connection looks at its tunnel (closed, expired, token rotated).
pub const TICK: Duration = Duration::from_millis(25);

/// Why the server ends a connection.
fn should_close(state: &AppState, tunnel: &str, side: Side, token: &str) -> Option<&'static str> {
    let now = state.clock.now();
    let store = state.store();
    let Some(t) = store.get(tunnel) else {
        return Some("tunnel deleted");
    };
    if !t.is_open(now, state.behaviour().enforce_expiry) && state.behaviour().data_plane.close_ends_connections {
        return Some("tunnel closed");
    }
    if state.behaviour().data_plane.drop_rotated_connections && t.token(side).expose() != token {
        return Some("access token rotated");
    }
    None
}

pub(super) async fn run(
    state: Arc<AppState>,
    mut socket: WebSocket,
    tunnel: String,
    side: Side,
    token: String,
    services: Vec<String>,
) {
    let mut handle = state.connections.register(&tunnel, side);
    super::report_connection(&state, &tunnel, side, true);
    let hello = frame::encode(&frame::service_ids(services)).unwrap_or_default();
    let mut reason = None;
    if socket.send(Message::Binary(Bytes::from(hello))).await.is_err() {
        reason = Some((close_code::ERROR, "send failed"));
    }
    let mut tick = tokio::time::interval(TICK);
    while reason.is_none() {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(data))) => {
                    if frame::decode_all(&data).is_err() {
                        reason = Some((close_code::PROTOCOL, "malformed message"));
                    } else {
                        state.connections.relay(&tunnel, side, data);
                    }
                }
                Some(Ok(Message::Text(_))) => reason = Some((close_code::UNSUPPORTED, "binary frames only")),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            },
            Some(data) = handle.frames.recv() => {
                if socket.send(Message::Binary(data)).await.is_err() {
                    break;
                }
            }
            _ = handle.close.changed() => reason = Some((close_code::NORMAL, "replaced by a reconnect")),
            _ = tick.tick() => {
                reason = should_close(&state, &tunnel, side, &token).map(|why| (close_code::NORMAL, why));
            }
        }
    }
    if let Some((code, why)) = reason {
        let close = CloseFrame {
            code,
            reason: why.into(),
        };
        let _ = socket.send(Message::Close(Some(close))).await;
    }
    state.connections.unregister(&tunnel, side, handle.generation);
    super::report_connection(&state, &tunnel, side, false);
}
