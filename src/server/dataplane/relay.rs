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

use super::super::hooks::{FullQueue, Gather, TunnelEvent};
use super::super::state::AppState;
use super::super::store::Side;
use super::pace::Pacer;
use crate::wire::frame;

/// How often an open connection looks at its tunnel (closed, expired, token rotated).
pub const TICK: Duration = Duration::from_millis(25);
/// Why a connection replaced by a newer one on its side is closed.
const REPLACED: &str = "replaced by a newer connection";

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
struct ByteCounts {
    received: AtomicU64,
    relayed: AtomicU64,
    no_peer: AtomicU64,
    sent: AtomicU64,
}

impl ByteCounts {
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
    counts: ByteCounts,
}

/// Why the server ends a connection for its tunnel's sake: the tunnel was deleted or CLOSED
/// (the connection ends), or the token it opened with was rotated (it stays); a hook may decide
/// otherwise on either.
fn should_close(state: &AppState, tunnel: &str, side: Side, token: &str) -> Option<&'static str> {
    let now = state.clock.now();
    let store = state.store();
    let Some(t) = store.get(tunnel) else {
        return Some("tunnel deleted");
    };
    let ends = |event, faithful| state.hooks().find_map(|h| h.connection_ends(event)).unwrap_or(faithful);
    if !t.is_open(now, state.instant_expiry()) && ends(TunnelEvent::Closed, true) {
        return Some("tunnel closed");
    }
    if t.token(side).expose() != token && ends(TunnelEvent::TokenRotated, false) {
        return Some("access token rotated");
    }
    None
}

// Long: one connection's life (register, the read and write loops, the end and its log line),
// whose parts share the connection's state.
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
        counts: ByteCounts::default(),
    };
    let (mut sink, mut stream) = socket.split();
    let mut opening = vec![Bytes::from(
        frame::encode(&frame::service_ids(services)).unwrap_or_default(),
    )];
    for h in state.hooks() {
        h.opening_messages(&mut opening);
    }
    let mut sent = true;
    for message in opening {
        sent = sent && sink.send(Message::Binary(message)).await.is_ok();
    }
    let end = if !sent {
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
        bytes_received = ByteCounts::get(&c.received),
        bytes_relayed = ByteCounts::get(&c.relayed),
        bytes_without_peer = ByteCounts::get(&c.no_peer),
        bytes_sent = ByteCounts::get(&c.sent),
        seconds = opened.elapsed().as_secs_f64(),
        "data-plane connection closed"
    );
}

impl Conn {
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
                    ByteCounts::add(&self.counts.received, data.len());
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
            ByteCounts::add(&self.counts.no_peer, n);
            tracing::debug!(tunnel = %self.tunnel, side = self.side.mode(), bytes = n, "no peer connected: frame dropped");
            return;
        };
        let delivered = match peer.try_send(data) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(data)) => {
                let drop = self.state.hooks().any(|h| h.full_peer_queue() == FullQueue::Drop);
                !drop && peer.send(data).await.is_ok()
            }
        };
        if delivered {
            ByteCounts::add(&self.counts.relayed, n);
        } else {
            ByteCounts::add(&self.counts.no_peer, n);
        }
    }

    /// The peer's frames, written to this connection's socket (gathered and rewritten by the
    /// hooks, if any).
    async fn write_loop(&self, sink: &mut SplitSink<WebSocket, Message>, frames: &mut mpsc::Receiver<Bytes>) -> End {
        let stall = self.state.config.relay.stall_timeout;
        let gather = self.state.hooks().find_map(|h| h.gather_frames());
        loop {
            // The queue closes when the connection's entry goes: a newer connection replaced it.
            let Some(mut out) = next_frames(gather, frames).await else {
                return End::send(close_code::NORMAL, REPLACED);
            };
            for h in self.state.hooks() {
                h.write_frames(&mut out);
            }
            for f in out {
                let n = f.len();
                match tokio::time::timeout(stall, sink.send(Message::Binary(f))).await {
                    Ok(Ok(())) => ByteCounts::add(&self.counts.sent, n),
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

/// The next frames to write: the next one queued, and as many more as `gather` takes (None: the
/// queue is closed).
async fn next_frames(gather: Option<Gather>, frames: &mut mpsc::Receiver<Bytes>) -> Option<Vec<Bytes>> {
    let mut out = vec![frames.recv().await?];
    let Some(g) = gather else {
        return Some(out);
    };
    while out.len() < g.most {
        let next = if g.wait.is_zero() {
            frames.try_recv().ok()
        } else {
            tokio::time::timeout(g.wait, frames.recv()).await.ok().flatten()
        };
        match next {
            Some(f) => out.push(f),
            None => break,
        }
    }
    Some(out)
}
