//! `relay-drops-when-busy`: the relay drops a frame when the peer's queue is full instead of
//! making the sender wait (data plane: a slow reader loses whole messages).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct RelayDropsWhenBusy;

impl Hook for RelayDropsWhenBusy {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.drop_when_busy = true;
    }
}
