//! `closed-tunnel-token-accepted`: the tokens of a CLOSED tunnel still open connections (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ClosedTunnelTokenAccepted;

impl Hook for ClosedTunnelTokenAccepted {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.leniency.closed_tunnel = true;
    }
}
