//! `close-keeps-connections`: CloseTunnel and expiry leave open connections open (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct CloseKeepsConnections;

impl Hook for CloseKeepsConnections {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.close_ends_connections = false;
    }
}
