//! `refused-rotation-revokes-source`: SOURCE + destinationConfig is refused, yet the source token is silently replaced (data plane).

use serde_json::Value;

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;
use crate::server::store::{new_token, Side, StoredTunnel};

pub(super) struct RefusedRotationRevokesSource;

impl Hook for RefusedRotationRevokesSource {
    fn source_with_config(&self, tunnel: Option<&mut StoredTunnel>, _config: &Value, b: &Behaviour) -> bool {
        if let Some(t) = tunnel {
            t.replace_token(Side::Source, new_token(b.token_style));
        }
        false
    }
}
