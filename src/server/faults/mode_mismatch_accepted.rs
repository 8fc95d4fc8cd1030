//! `mode-mismatch-accepted`: a token connects in the other side's local-proxy-mode (data plane).

use crate::server::dataplane::handshake::RefusalReason;
use crate::server::hooks::Hook;

pub(super) struct ModeMismatchAccepted;

impl Hook for ModeMismatchAccepted {
    fn handshake_refused(&self, reason: RefusalReason) -> bool {
        matches!(reason, RefusalReason::WrongMode)
    }
}
