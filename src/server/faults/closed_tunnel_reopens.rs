//! `closed-tunnel-reopens`: rotating a CLOSED tunnel succeeds and sets it OPEN again (for at least
//! one more lifetime).

use crate::server::hooks::{Hook, RotationContext};
use crate::server::store::StoredTunnel;

pub(super) struct ClosedTunnelReopens;

impl Hook for ClosedTunnelReopens {
    fn rotate_closed(&self, t: &mut StoredTunnel, at: &RotationContext<'_>) -> bool {
        t.closed_at = None;
        t.expires_at = t.expires_at.max(at.now + at.lifetime);
        true
    }
}
