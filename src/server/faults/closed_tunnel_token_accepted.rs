//! `closed-tunnel-token-accepted`: the tokens of a CLOSED tunnel still open connections (data plane).

use crate::server::dataplane::handshake::RefusalReason;
use crate::server::hooks::Hook;

pub(super) struct ClosedTunnelTokenAccepted;

impl Hook for ClosedTunnelTokenAccepted {
    fn handshake_refused(&self, reason: RefusalReason) -> bool {
        matches!(reason, RefusalReason::ClosedTunnel)
    }
}
