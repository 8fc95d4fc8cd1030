//! `connection-state-delayed`: DescribeTunnel shows a connection change 300 ms after it happens (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ConnectionStateDelayed;

impl Hook for ConnectionStateDelayed {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.delay_connection_state = true;
    }
}
