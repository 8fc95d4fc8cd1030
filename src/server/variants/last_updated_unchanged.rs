//! `last-updated-unchanged`: rotation does not move lastUpdatedAt.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct LastUpdatedUnchanged;

impl Hook for LastUpdatedUnchanged {
    fn configure(&self, b: &mut Behaviour) {
        b.rotation_moves_last_updated = false;
    }
}
