//! `mode-mismatch-accepted`: a token connects in the other side's local-proxy-mode (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ModeMismatchAccepted;

impl Hook for ModeMismatchAccepted {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.leniency.mode_mismatch = true;
    }
}
