//! `closed-tunnel-accepted`: rotating a CLOSED tunnel succeeds with new tokens; the tunnel stays
//! CLOSED. PROTOCOL.md only infers the refusal, so only `rotcheck run --strict` fails this.

use crate::server::hooks::{Hook, RotationContext};
use crate::server::store::StoredTunnel;

pub(super) struct ClosedTunnelAccepted;

impl Hook for ClosedTunnelAccepted {
    fn rotate_closed(&self, _t: &mut StoredTunnel, _at: &RotationContext<'_>) -> bool {
        true
    }
}
