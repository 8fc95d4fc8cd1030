//! `refused-rotation-revokes-source`: SOURCE + destinationConfig is refused, yet the source token is silently replaced (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct RefusedRotationRevokesSource;

impl Hook for RefusedRotationRevokesSource {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.refused_rotation_revokes_source = true;
    }
}
