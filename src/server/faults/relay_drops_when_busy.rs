//! `relay-drops-when-busy`: the relay drops a frame when the peer's queue is full instead of
//! making the sender wait (data plane: a slow reader loses whole messages).

use crate::server::hooks::{FullQueue, Hook};

pub(super) struct RelayDropsWhenBusy;

impl Hook for RelayDropsWhenBusy {
    fn full_peer_queue(&self) -> FullQueue {
        FullQueue::Drop
    }
}
