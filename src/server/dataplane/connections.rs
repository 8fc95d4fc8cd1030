//! The open data-plane connections, by tunnel: at most one per side (a newer connection on a
//! side replaces the older one, which is told to close), each with a bounded queue of frames from
//! its peer, and the streams the tunnel's peers have started, so that the remaining peer can be
//! sent a StreamReset for each when the other side is replaced.
//!
//! Replacement: the V2/V3 guides, StreamReset notes: "The proxy server may generate StreamReset
//! messages in the following scenarios: The tunnel peer is replaced (likely has reconnected) by a
//! new peer bearing a valid access token". A new local proxy starts its stream ids at 1 again;
//! the peer that stayed still maps stream 1 to the old connection and would ignore the new
//! StreamStart (the AWS local proxy does) without the reset. A side is "replaced" when it connects
//! while it has had a connection before in this tunnel (a reconnect, or a new process after a
//! rotation), whether or not the older connection is still open.
//!
//! Memory is bounded: a tunnel is held only while it has a connection, with two entries and at
//! most [`MAX_STREAMS`] streams; a queue holds at most [`QUEUE`] frames.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use super::super::store::Side;
use crate::wire::frame::{self, MessageType, TunnelMessage};

/// Frames queued for one connection. A full queue makes the sending side wait (and so stop
/// reading its socket): backpressure, never loss. Frames are at most 256 KiB (the WebSocket
/// message cap), so a queue holds at most 4 MiB.
pub const QUEUE: usize = 16;
/// The streams remembered per tunnel (one per service id: the local proxy runs one stream per
/// service); StreamStarts beyond are relayed but not remembered.
pub const MAX_STREAMS: usize = 64;

struct ConnectionEntry {
    generation: u64,
    to_peer: mpsc::Sender<Bytes>,
    close: watch::Sender<bool>,
}

#[derive(Default)]
struct Links {
    sides: [Option<ConnectionEntry>; 2],
    /// Whether each side has had a connection in this tunnel (a new one then replaces it).
    had: [bool; 2],
    /// The open streams: service id (empty for V1) -> stream id.
    streams: BTreeMap<String, i32>,
}

/// A registered connection's receiving ends, and what its registration did.
pub struct Handle {
    pub generation: u64,
    /// Frames from the peer, to write to this connection's socket.
    pub frames: mpsc::Receiver<Bytes>,
    /// Becomes true when a newer connection on the same side replaces this one.
    pub close: watch::Receiver<bool>,
    /// This connection replaced an earlier one of its side.
    pub replaced: bool,
    /// StreamReset frames owed to the peer for the streams of the replaced connection: the new
    /// connection sends them to the peer before relaying anything of its own.
    pub resets: Vec<Bytes>,
}

/// The last generation handed out, and the tunnels with a connection.
type Table = (u64, HashMap<String, Links>);

#[derive(Default)]
pub struct Connections {
    inner: Mutex<Table>,
}

fn other(side: Side) -> Side {
    match side {
        Side::Source => Side::Destination,
        Side::Destination => Side::Source,
    }
}

fn stream_reset(service_id: String, stream_id: i32) -> Option<Bytes> {
    let msg = TunnelMessage {
        r#type: MessageType::StreamReset as i32,
        stream_id,
        service_id,
        ..Default::default()
    };
    frame::encode(&msg).ok().map(Bytes::from)
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Register the connection of `side`, closing the one it replaces.
    pub fn register(&self, tunnel: &str, side: Side) -> Handle {
        let (tx, frames) = mpsc::channel(QUEUE);
        let (close_tx, close) = watch::channel(false);
        let mut g = self.lock();
        g.0 += 1;
        let generation = g.0;
        let links = g.1.entry(tunnel.to_owned()).or_default();
        let replaced = links.had[side.index()];
        links.had[side.index()] = true;
        let old = links.sides[side.index()].replace(ConnectionEntry {
            generation,
            to_peer: tx,
            close: close_tx,
        });
        if let Some(old) = old {
            let _ = old.close.send(true);
        }
        let mut resets = Vec::new();
        if replaced {
            let streams = std::mem::take(&mut links.streams);
            // Owed only to a peer that is there to hold stale streams.
            if links.sides[other(side).index()].is_some() {
                resets = streams
                    .into_iter()
                    .filter_map(|(service, id)| stream_reset(service, id))
                    .collect();
            }
        }
        Handle {
            generation,
            frames,
            close,
            replaced,
            resets,
        }
    }

    /// Forget a connection (only if it was not replaced meanwhile); a tunnel left without
    /// connections is forgotten whole.
    pub fn unregister(&self, tunnel: &str, side: Side, generation: u64) {
        let mut g = self.lock();
        let Some(links) = g.1.get_mut(tunnel) else { return };
        let slot = &mut links.sides[side.index()];
        if slot.as_ref().is_some_and(|e| e.generation == generation) {
            *slot = None;
        }
        if links.sides.iter().all(Option::is_none) {
            g.1.remove(tunnel);
        }
    }

    /// The queue of the peer of connection `generation` on `side`: None when the peer is not
    /// connected, or when this connection has been replaced (its frames go nowhere).
    pub fn peer(&self, tunnel: &str, side: Side, generation: u64) -> Option<mpsc::Sender<Bytes>> {
        let g = self.lock();
        let links = g.1.get(tunnel)?;
        let current = links.sides[side.index()].as_ref()?.generation == generation;
        let peer = links.sides[other(side).index()].as_ref()?;
        current.then(|| peer.to_peer.clone())
    }

    /// Remember the streams that `messages` start and forget those they reset.
    pub fn note_streams(&self, tunnel: &str, messages: &[TunnelMessage]) {
        let relevant = |m: &&TunnelMessage| {
            m.r#type == MessageType::StreamStart as i32 || m.r#type == MessageType::StreamReset as i32
        };
        if !messages.iter().any(|m| relevant(&m)) {
            return;
        }
        let mut g = self.lock();
        let Some(links) = g.1.get_mut(tunnel) else { return };
        for m in messages.iter().filter(relevant) {
            if m.r#type == MessageType::StreamReset as i32 {
                if links.streams.get(&m.service_id) == Some(&m.stream_id) {
                    links.streams.remove(&m.service_id);
                }
            } else if links.streams.len() < MAX_STREAMS || links.streams.contains_key(&m.service_id) {
                links.streams.insert(m.service_id.clone(), m.stream_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(service: &str, id: i32) -> TunnelMessage {
        TunnelMessage {
            r#type: MessageType::StreamStart as i32,
            stream_id: id,
            service_id: service.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_replaced_side_owes_the_remaining_peer_a_reset_per_open_stream() {
        let c = Connections::default();
        let s1 = c.register("t", Side::Source);
        let d = c.register("t", Side::Destination);
        assert!(!s1.replaced && !d.replaced && d.resets.is_empty());
        c.note_streams("t", &[start("SSH", 1), start("RDP", 2)]);
        // The old source is gone before the new one comes (a new process after a rotation).
        c.unregister("t", Side::Source, s1.generation);
        let s2 = c.register("t", Side::Source);
        assert!(s2.replaced);
        let resets: Vec<TunnelMessage> = s2.resets.iter().flat_map(|f| frame::decode_all(f).unwrap()).collect();
        assert_eq!(resets.len(), 2);
        assert!(resets.iter().all(|m| m.r#type == MessageType::StreamReset as i32));
        assert_eq!(
            resets
                .iter()
                .map(|m| (m.service_id.as_str(), m.stream_id))
                .collect::<Vec<_>>(),
            vec![("RDP", 2), ("SSH", 1)]
        );
        // Reset streams are not reset twice.
        assert!(c.register("t", Side::Source).resets.is_empty());
    }

    #[test]
    fn a_replaced_connection_has_no_peer_and_is_told_to_close() {
        let c = Connections::default();
        let mut old = c.register("t", Side::Source);
        let _d = c.register("t", Side::Destination);
        assert!(c.peer("t", Side::Source, old.generation).is_some());
        let new = c.register("t", Side::Source);
        assert!(*old.close.borrow_and_update());
        assert!(c.peer("t", Side::Source, old.generation).is_none());
        assert!(c.peer("t", Side::Source, new.generation).is_some());
        c.unregister("t", Side::Source, old.generation);
        assert!(
            c.peer("t", Side::Source, new.generation).is_some(),
            "a stale unregister changes nothing"
        );
    }
}
