//! `extend-lifetime-visible`: rotation restarts the tunnel's lifetime and reports the rotation
//! time as createdAt (caught because createdAt moves).

use crate::server::hooks::{Hook, Rotated, RotationTime};
use crate::server::store::Tunnel;

pub(super) struct ExtendLifetimeVisible;

impl Hook for ExtendLifetimeVisible {
    fn after_rotation(&self, t: &mut Tunnel, _tokens: &mut Rotated, at: &RotationTime<'_>) {
        t.created_at = at.wall;
        t.opened_at = at.now;
        t.expires_at = at.now + at.lifetime;
    }
}
