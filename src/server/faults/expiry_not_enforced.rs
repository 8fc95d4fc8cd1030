//! `expiry-not-enforced`: tunnels never close when their max lifetime passes.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ExpiryNotEnforced;

impl Hook for ExpiryNotEnforced {
    fn configure(&self, b: &mut Behaviour) {
        b.enforce_expiry = false;
    }
}
