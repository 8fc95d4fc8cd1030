//! `revoked-token-403`: unknown, rotated and closed-tunnel tokens are refused with 403 and another text (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct RevokedToken403;

impl Hook for RevokedToken403 {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.revoked_403 = true;
    }
}
