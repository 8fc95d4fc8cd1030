//! `rotation-revokes-other-side`: a SOURCE or DESTINATION rotation also revokes the other side's token (data plane).

use crate::server::hooks::{Hook, Rotated, RotationContext};
use crate::server::store::{new_token, Side, StoredTunnel};

pub(super) struct RotationRevokesOtherSide;

impl Hook for RotationRevokesOtherSide {
    fn after_rotation(&self, t: &mut StoredTunnel, tokens: &mut Rotated, at: &RotationContext<'_>) {
        let other = match (&tokens.source, &tokens.destination) {
            (Some(_), None) => Side::Destination,
            (None, Some(_)) => Side::Source,
            _ => return,
        };
        // Replaced without being handed out: the client keeps a token that no longer works.
        t.replace_token(other, new_token(at.token_style));
    }
}
