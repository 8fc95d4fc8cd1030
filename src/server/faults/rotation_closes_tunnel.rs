//! `rotation-closes-tunnel`: a successful rotation leaves the tunnel CLOSED.

use crate::server::hooks::{Hook, Rotated, RotationTime};
use crate::server::store::Tunnel;

pub(super) struct RotationClosesTunnel;

impl Hook for RotationClosesTunnel {
    fn after_rotation(&self, t: &mut Tunnel, _tokens: &mut Rotated, at: &RotationTime<'_>) {
        t.closed_at = Some(at.now);
    }
}
