//! `connection-state-never-updated`: DescribeTunnel always reports both sides DISCONNECTED (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ConnectionStateNeverUpdated;

impl Hook for ConnectionStateNeverUpdated {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.report_connection_state = false;
    }
}
