//! `extend-lifetime-visible`: rotation restarts the tunnel's lifetime and reports the rotation
//! time as createdAt (caught because createdAt moves).

use crate::server::hooks::{Hook, Rotated, RotationContext};
use crate::server::store::StoredTunnel;

pub(super) struct ExtendLifetimeVisible;

impl Hook for ExtendLifetimeVisible {
    fn after_rotation(&self, t: &mut StoredTunnel, _tokens: &mut Rotated, at: &RotationContext<'_>) {
        t.created_at = at.wall;
        t.opened_at = at.now;
        t.expires_at = at.now + at.lifetime;
    }
}
