//! The open data-plane connections: one per tunnel side (a reconnect with the client token
//! replaces the older one, which is closed). Each entry can be sent the peer's frames and told
//! to close. Memory is bounded by the tunnels held (two entries each at most).

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use super::super::store::Side;

/// Frames queued for one connection before the sender's are dropped (a slow reader loses data
/// rather than growing memory).
pub const QUEUE: usize = 64;

struct Entry {
    generation: u64,
    to_peer: mpsc::Sender<Bytes>,
    close: watch::Sender<bool>,
}

/// A registered connection's receiving ends.
pub struct Handle {
    pub generation: u64,
    pub frames: mpsc::Receiver<Bytes>,
    pub close: watch::Receiver<bool>,
}

/// The last generation handed out, and the open connections by tunnel id and side.
type Table = (u64, HashMap<(String, Side), Entry>);

#[derive(Default)]
pub struct Connections {
    inner: Mutex<Table>,
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
        let old = g.1.insert(
            (tunnel.to_owned(), side),
            Entry {
                generation,
                to_peer: tx,
                close: close_tx,
            },
        );
        if let Some(old) = old {
            let _ = old.close.send(true);
        }
        Handle {
            generation,
            frames,
            close,
        }
    }

    /// Forget a connection (only if it was not replaced meanwhile).
    pub fn unregister(&self, tunnel: &str, side: Side, generation: u64) {
        let mut g = self.lock();
        let key = (tunnel.to_owned(), side);
        if g.1.get(&key).is_some_and(|e| e.generation == generation) {
            g.1.remove(&key);
        }
    }

    /// Hand a frame to the other side's connection, if one is open; false when none took it.
    pub fn relay(&self, tunnel: &str, from: Side, frame: Bytes) -> bool {
        let other = match from {
            Side::Source => Side::Destination,
            Side::Destination => Side::Source,
        };
        let g = self.lock();
        g.1.get(&(tunnel.to_owned(), other))
            .is_some_and(|e| e.to_peer.try_send(frame).is_ok())
    }
}
