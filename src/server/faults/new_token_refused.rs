//! `new-token-refused`: a rotated side's new token is refused (it counts as already used) (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct NewTokenRefused;

impl Hook for NewTokenRefused {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.new_token_refused = true;
    }
}
