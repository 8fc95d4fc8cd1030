//! `identical-tokens`: ALL rotation returns the same value for both tokens.

use crate::server::hooks::{Hook, Rotated, RotationContext};
use crate::server::store::StoredTunnel;

pub(super) struct IdenticalTokens;

impl Hook for IdenticalTokens {
    fn after_rotation(&self, t: &mut StoredTunnel, tokens: &mut Rotated, _at: &RotationContext<'_>) {
        if let (Some(s), Some(_)) = (&tokens.source, &tokens.destination) {
            t.destination_token = s.clone();
            tokens.destination = Some(s.clone());
        }
    }
}
