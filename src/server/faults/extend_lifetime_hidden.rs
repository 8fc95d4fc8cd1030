//! `extend-lifetime-hidden`: rotation pushes the real expiry to now + lifetime while createdAt
//! is reported unchanged (only waiting out the lifetime shows it).

use crate::server::hooks::{Hook, Rotated, RotationTime};
use crate::server::store::Tunnel;

pub(super) struct ExtendLifetimeHidden;

impl Hook for ExtendLifetimeHidden {
    fn after_rotation(&self, t: &mut Tunnel, _tokens: &mut Rotated, at: &RotationTime<'_>) {
        t.expires_at = at.now + at.lifetime;
    }
}
