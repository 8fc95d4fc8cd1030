//! `new-token-refused`: a rotated side's new token is refused (it counts as already used) (data plane).

use crate::server::hooks::{Hook, Rotated, RotationContext};
use crate::server::store::{Side, StoredTunnel};

pub(super) struct NewTokenRefused;

impl Hook for NewTokenRefused {
    fn after_rotation(&self, t: &mut StoredTunnel, tokens: &mut Rotated, _at: &RotationContext<'_>) {
        for (side, rotated) in [(Side::Source, &tokens.source), (Side::Destination, &tokens.destination)] {
            if rotated.is_some() {
                // Spent, with no client token to reconnect it.
                t.side_mut(side).spent = Some(None);
            }
        }
    }
}
