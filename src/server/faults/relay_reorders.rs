//! `relay-reorders`: the relay swaps each pair of frames it delivers (data plane: messages
//! arrive out of order).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct RelayReorders;

impl Hook for RelayReorders {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.reorder_frames = true;
    }
}
