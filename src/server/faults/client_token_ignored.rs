//! `client-token-ignored`: a spent token reconnects with any client token, not only the one it bound (data plane).

use crate::server::dataplane::handshake::RefusalReason;
use crate::server::hooks::Hook;

pub(super) struct ClientTokenIgnored;

impl Hook for ClientTokenIgnored {
    fn handshake_refused(&self, reason: RefusalReason) -> bool {
        matches!(reason, RefusalReason::ClientTokenMismatch)
    }
}
