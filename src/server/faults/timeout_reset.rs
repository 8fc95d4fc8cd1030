//! `timeout-reset`: rotation resets timeoutConfig.maxLifetimeTimeoutMinutes to the model's
//! default of 720.

use crate::server::hooks::{Hook, Rotated, RotationContext};
use crate::server::store::{StoredTunnel, DEFAULT_LIFETIME_MINUTES};

pub(super) struct TimeoutReset;

impl Hook for TimeoutReset {
    fn after_rotation(&self, t: &mut StoredTunnel, _tokens: &mut Rotated, at: &RotationContext<'_>) {
        t.lifetime_minutes = DEFAULT_LIFETIME_MINUTES;
        t.expires_at = t.opened_at + at.clock.tunnel_minutes(DEFAULT_LIFETIME_MINUTES as f64);
    }
}
