//! `revoked-token-accepted`: a rotated side's previous token still opens a connection (data plane).

use crate::server::dataplane::handshake::RefusalReason;
use crate::server::hooks::Hook;

pub(super) struct RevokedTokenAccepted;

impl Hook for RevokedTokenAccepted {
    fn handshake_refused(&self, reason: RefusalReason) -> bool {
        matches!(reason, RefusalReason::Revoked)
    }
}
