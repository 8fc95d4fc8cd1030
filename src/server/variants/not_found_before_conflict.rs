//! `not-found-before-conflict`: SOURCE + destinationConfig on an unknown tunnel reports
//! ResourceNotFoundException first.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct NotFoundBeforeConflict;

impl Hook for NotFoundBeforeConflict {
    fn configure(&self, b: &mut Behaviour) {
        b.source_with_config_before_lookup = false;
    }
}
