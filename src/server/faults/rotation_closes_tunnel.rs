//! `rotation-closes-tunnel`: a successful rotation leaves the tunnel CLOSED.

use crate::server::hooks::{Hook, Rotated, RotationContext};
use crate::server::store::StoredTunnel;

pub(super) struct RotationClosesTunnel;

impl Hook for RotationClosesTunnel {
    fn after_rotation(&self, t: &mut StoredTunnel, _tokens: &mut Rotated, at: &RotationContext<'_>) {
        t.closed_at = Some(at.now);
    }
}
