//! `rotation-revokes-other-side`: a SOURCE or DESTINATION rotation also revokes the other side's token (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct RotationRevokesOtherSide;

impl Hook for RotationRevokesOtherSide {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.revoke_other_side = true;
    }
}
