//! `token-reusable`: a token connects again and again without a client token (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct TokenReusable;

impl Hook for TokenReusable {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.leniency.reuse = true;
    }
}
