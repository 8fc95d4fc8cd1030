//! `client-token-ignored`: a spent token reconnects with any client token, not only the one it bound (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ClientTokenIgnored;

impl Hook for ClientTokenIgnored {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.leniency.any_client_token = true;
    }
}
