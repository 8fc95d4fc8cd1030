//! `revoked-token-accepted`: a rotated side's previous token still opens a connection (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct RevokedTokenAccepted;

impl Hook for RevokedTokenAccepted {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.keep_revoked_tokens = true;
    }
}
