//! `token-reusable`: a token connects again and again without a client token (data plane).

use crate::server::dataplane::handshake::RefusalReason;
use crate::server::hooks::Hook;

pub(super) struct TokenReusable;

impl Hook for TokenReusable {
    fn handshake_refused(&self, reason: RefusalReason) -> bool {
        matches!(reason, RefusalReason::Spent | RefusalReason::ClientTokenMismatch)
    }
}
