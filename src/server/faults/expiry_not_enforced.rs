//! `expiry-not-enforced`: tunnels never close when their max lifetime passes.

use crate::server::hooks::Hook;
use crate::server::store::StoredTunnel;

pub(super) struct ExpiryNotEnforced;

impl Hook for ExpiryNotEnforced {
    fn after_open(&self, t: &mut StoredTunnel) {
        t.expires_at = f64::INFINITY;
    }
}
