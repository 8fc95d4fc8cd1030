//! `extend-lifetime-hidden`: rotation pushes the real expiry to now + lifetime while createdAt
//! is reported unchanged (only waiting out the lifetime shows it).

use crate::server::hooks::{Hook, Rotated, RotationContext};
use crate::server::store::StoredTunnel;

pub(super) struct ExtendLifetimeHidden;

impl Hook for ExtendLifetimeHidden {
    fn after_rotation(&self, t: &mut StoredTunnel, _tokens: &mut Rotated, at: &RotationContext<'_>) {
        t.expires_at = at.now + at.lifetime;
    }
}
