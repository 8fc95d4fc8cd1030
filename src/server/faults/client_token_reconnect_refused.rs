//! `client-token-reconnect-refused`: a spent token is refused even with the client token it was
//! bound to, as if client tokens were ignored (data plane).

use crate::server::hooks::Hook;

pub(super) struct ClientTokenReconnectRefused;

impl Hook for ClientTokenReconnectRefused {
    fn refuse_reconnect(&self) -> bool {
        true
    }
}
