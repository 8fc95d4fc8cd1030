//! One open data-plane connection: send `SERVICE_IDS`, then relay binary frames to the other
//! side until either end closes, the tunnel closes (CloseTunnel or expiry), a newer connection
//! replaces it, or its peer stops reading.
//!
//! The V3 guide: "Tunnel communication messages are delivered reliably and in order." So the
//! relay never drops a frame for want of room: reading a connection's socket and writing it are
//! two loops, and a reader whose peer's queue is full waits (it stops reading its socket, so TCP
//! slows its sender down). Were one loop to do both, two peers sending to each other at once
//! could each wait on the other for ever. A peer that reads nothing for the stall timeout
//! ([`super::RelayConfig::stall_timeout`], 30 s by default) is disconnected, with the reason
//! logged. Frames for a side with no connection have no one to go to and are dropped (counted).
//!
//! Frames that are not well-formed messages close the connection (1002); text frames too (1003).
//! `-v` logs each connection's open, replacement and close, with its byte counts (never a token).

use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::super::state::AppState;
use super::super::store::Side;
use super::pace::Pacer;
use crate::wire::frame::{self, MessageType, TunnelMessage};

/// How often an open connection looks at its tunnel (closed, expired, token rotated).
pub const TICK: Duration = Duration::from_millis(25);
/// The most payload the service puts in one frame (PROTOCOL.md, "Data plane").
pub const MAX_FRAME_PAYLOAD: usize = 131_076;
/// Why a connection replaced by a newer one on its side is closed.
const REPLACED: &str = "replaced by a newer connection";
/// How long a frame held back for reordering waits for one to pass it.
const HOLD: Duration = Duration::from_millis(20);

/// Why a connection ended: the close code sent (None: the client is gone, nothing to send) and
/// the reason, for the close frame and the log.
struct End {
    code: Option<u16>,
    why: String,
}

impl End {
    fn send(code: u16, why: impl Into<String>) -> End {
        End {
            code: Some(code),
            why: why.into(),
        }
    }

    fn gone(why: impl Into<String>) -> End {
        End {
            code: None,
            why: why.into(),
        }
    }
}

/// What a connection moved, for the log.
#[derive(Default)]
struct Counts {
    received: AtomicU64,
    relayed: AtomicU64,
    no_peer: AtomicU64,
    sent: AtomicU64,
}

impl Counts {
    fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// One connection, as its two loops see it.
struct Conn {
    state: Arc<AppState>,
    tunnel: String,
    side: Side,
    generation: u64,
    counts: Counts,
}

/// Why the server ends a connection for its tunnel's sake.
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
    socket: WebSocket,
    tunnel: String,
    side: Side,
    token: String,
    services: Vec<String>,
) {
    let mut handle = state.connections.register(&tunnel, side);
    super::report_connection(&state, &tunnel, side, true);
    let opened = Instant::now();
    let generation = handle.generation;
    if handle.replaced {
        tracing::info!(
            %tunnel,
            side = side.mode(),
            connection = generation,
            stream_resets = handle.resets.len(),
            "data-plane connection replaces the side's earlier one"
        );
    } else {
        tracing::info!(%tunnel, side = side.mode(), connection = generation, "data-plane connection opened");
    }
    let conn = Conn {
        state: Arc::clone(&state),
        tunnel: tunnel.clone(),
        side,
        generation,
        counts: Counts::default(),
    };
    let (mut sink, mut stream) = socket.split();
    let hello = frame::encode(&frame::service_ids(services)).unwrap_or_default();
    let end = if sink.send(Message::Binary(Bytes::from(hello))).await.is_err() {
        End::gone("the SERVICE_IDS message could not be sent")
    } else {
        // The streams of the replaced connection are reset before anything new is relayed.
        for reset in std::mem::take(&mut handle.resets) {
            conn.forward(reset).await;
        }
        let reader = pin!(conn.read_loop(&mut stream));
        let writer = pin!(conn.write_loop(&mut sink, &mut handle.frames));
        let mut tick = tokio::time::interval(TICK);
        let watch = async {
            loop {
                tokio::select! {
                    _ = handle.close.changed() => return End::send(close_code::NORMAL, REPLACED),
                    _ = tick.tick() => {
                        if let Some(why) = should_close(&state, &tunnel, side, &token) {
                            return End::send(close_code::NORMAL, why);
                        }
                    }
                }
            }
        };
        tokio::select! {
            end = reader => end,
            end = writer => end,
            end = watch => end,
        }
    };
    if let Some(code) = end.code {
        let close = CloseFrame {
            code,
            reason: end.why.clone().into(),
        };
        // Bounded: a peer that reads nothing does not read the close frame either.
        let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(Some(close)))).await;
    }
    state.connections.unregister(&tunnel, side, generation);
    super::report_connection(&state, &tunnel, side, false);
    let c = &conn.counts;
    tracing::info!(
        %tunnel,
        side = side.mode(),
        connection = generation,
        reason = %end.why,
        bytes_received = Counts::get(&c.received),
        bytes_relayed = Counts::get(&c.relayed),
        bytes_without_peer = Counts::get(&c.no_peer),
        bytes_sent = Counts::get(&c.sent),
        seconds = opened.elapsed().as_secs_f64(),
        "data-plane connection closed"
    );
}

impl Conn {
    fn knobs(&self) -> super::DataPlaneBehaviour {
        self.state.behaviour().data_plane
    }

    /// The client's frames, checked, paced and handed to the peer.
    async fn read_loop(&self, stream: &mut SplitStream<WebSocket>) -> End {
        let mut pacer = self
            .state
            .config
            .relay
            .bandwidth
            .map(|rate| Pacer::new(rate, Instant::now()));
        loop {
            match stream.next().await {
                Some(Ok(Message::Binary(data))) => {
                    Counts::add(&self.counts.received, data.len());
                    let Ok(messages) = frame::decode_all(&data) else {
                        return End::send(close_code::PROTOCOL, "malformed message");
                    };
                    self.state.connections.note_streams(&self.tunnel, &messages);
                    if let Some(p) = &mut pacer {
                        p.admit(data.len()).await;
                    }
                    self.forward(data).await;
                }
                Some(Ok(Message::Text(_))) => return End::send(close_code::UNSUPPORTED, "binary frames only"),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) => return End::gone("the client closed the connection"),
                Some(Err(e)) => return End::gone(format!("the connection failed: {e}")),
                None => return End::gone("the client went away"),
            }
        }
    }

    /// Hand a frame to the peer's queue, waiting while it is full (the peer's writer ends itself
    /// if its socket takes nothing for the stall timeout, which frees this wait).
    async fn forward(&self, data: Bytes) {
        let n = data.len();
        let Some(peer) = self.state.connections.peer(&self.tunnel, self.side, self.generation) else {
            Counts::add(&self.counts.no_peer, n);
            tracing::debug!(tunnel = %self.tunnel, side = self.side.mode(), bytes = n, "no peer connected: frame dropped");
            return;
        };
        let delivered = if self.knobs().drop_when_busy {
            peer.try_send(data).is_ok()
        } else {
            peer.send(data).await.is_ok()
        };
        if delivered {
            Counts::add(&self.counts.relayed, n);
        } else {
            Counts::add(&self.counts.no_peer, n);
        }
    }

    /// The peer's frames, written to this connection's socket (shaped by the relay knobs).
    async fn write_loop(&self, sink: &mut SplitSink<WebSocket, Message>, frames: &mut mpsc::Receiver<Bytes>) -> End {
        let stall = self.state.config.relay.stall_timeout;
        let knobs = self.knobs();
        let mut held: Option<Bytes> = None;
        loop {
            // The queue closes when the connection's entry goes: a newer connection replaced it.
            let Some(out) = next_frames(knobs, &mut held, frames).await else {
                return End::send(close_code::NORMAL, REPLACED);
            };
            for f in out {
                let n = f.len();
                match tokio::time::timeout(stall, sink.send(Message::Binary(f))).await {
                    Ok(Ok(())) => Counts::add(&self.counts.sent, n),
                    Ok(Err(e)) => return End::gone(format!("writing to the connection failed: {e}")),
                    Err(_) => {
                        tracing::warn!(
                            tunnel = %self.tunnel,
                            side = self.side.mode(),
                            connection = self.generation,
                            "the client read nothing for {stall:?}: disconnected"
                        );
                        return End::send(
                            close_code::POLICY,
                            format!("the client read nothing for {} s", stall.as_secs()),
                        );
                    }
                }
            }
        }
    }
}

/// The next frames to write: as queued, or shaped by the relay knobs (None: the queue is closed).
async fn next_frames(
    knobs: super::DataPlaneBehaviour,
    held: &mut Option<Bytes>,
    frames: &mut mpsc::Receiver<Bytes>,
) -> Option<Vec<Bytes>> {
    if knobs.reorder_frames {
        // Each frame waits for the next one to pass it (for a little while: then it goes alone).
        return match held.take() {
            None => {
                *held = Some(frames.recv().await?);
                Some(Vec::new())
            }
            Some(earlier) => match tokio::time::timeout(HOLD, frames.recv()).await {
                Ok(later) => Some(vec![later?, earlier]),
                Err(_) => Some(vec![earlier]),
            },
        };
    }
    let first = frames.recv().await?;
    Some(if knobs.reframe {
        reframe(first, frames)
    } else {
        vec![first]
    })
}

/// Re-frames as the guide allows ("The service may aggregate data and construct frames of
/// different sizes than sent from the tunnel peer"): every data payload is split in two
/// messages, and the messages of the frames already queued are packed into frames of at most
/// [`MAX_FRAME_PAYLOAD`] bytes.
fn reframe(first: Bytes, queued: &mut mpsc::Receiver<Bytes>) -> Vec<Bytes> {
    let mut frames = vec![first];
    while frames.len() < 8 {
        match queued.try_recv() {
            Ok(f) => frames.push(f),
            Err(_) => break,
        }
    }
    let mut encoded: Vec<Vec<u8>> = Vec::new();
    for f in &frames {
        // Checked when received: a frame that fails here is relayed unchanged.
        let Ok(messages) = frame::decode_all(f) else {
            encoded.push(f.to_vec());
            continue;
        };
        for m in messages {
            for part in split(m) {
                encoded.extend(frame::encode(&part).ok());
            }
        }
    }
    let mut out = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for e in encoded {
        if !current.is_empty() && current.len() + e.len() > MAX_FRAME_PAYLOAD {
            out.push(Bytes::from(std::mem::take(&mut current)));
        }
        current.extend_from_slice(&e);
    }
    if !current.is_empty() {
        out.push(Bytes::from(current));
    }
    out
}

/// A data message in two halves (others, and payloads under 2 bytes, as they are).
fn split(m: TunnelMessage) -> Vec<TunnelMessage> {
    if m.r#type != MessageType::Data as i32 || m.payload.len() < 2 {
        return vec![m];
    }
    let mut first = m;
    let second_half = first.payload.split_off(first.payload.len() / 2);
    let second = TunnelMessage {
        payload: second_half,
        ..first.clone()
    };
    vec![first, second]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(stream: i32, payload: &[u8]) -> Bytes {
        let m = TunnelMessage {
            r#type: MessageType::Data as i32,
            stream_id: stream,
            connection_id: 1,
            payload: payload.to_vec(),
            ..Default::default()
        };
        Bytes::from(frame::encode(&m).unwrap())
    }

    #[tokio::test]
    async fn reframing_keeps_every_payload_byte_in_order() {
        let (tx, mut rx) = mpsc::channel(8);
        for i in 0..3u8 {
            tx.send(data(1, &[i; 40_000])).await.unwrap();
        }
        let out = reframe(data(1, b"first"), &mut rx);
        assert!(out.iter().all(|f| f.len() <= MAX_FRAME_PAYLOAD));
        let payload: Vec<u8> = out
            .iter()
            .flat_map(|f| frame::decode_all(f).unwrap())
            .inspect(|m| assert_eq!((m.stream_id, m.connection_id), (1, 1)))
            .flat_map(|m| m.payload)
            .collect();
        let mut want = b"first".to_vec();
        for i in 0..3u8 {
            want.extend_from_slice(&[i; 40_000]);
        }
        assert_eq!(payload, want);
        assert_ne!(out.len(), 4, "the frame boundaries moved");
    }
}
