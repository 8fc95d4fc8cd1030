//! `source-dest-config-accepted`: SOURCE mode with a destinationConfig is served with HTTP 200
//! (as a plain SOURCE rotation).

use serde_json::Value;

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;
use crate::server::store::StoredTunnel;

pub(super) struct SourceDestConfigAccepted;

impl Hook for SourceDestConfigAccepted {
    fn source_with_config(&self, _tunnel: Option<&mut StoredTunnel>, _config: &Value, _b: &Behaviour) -> bool {
        true
    }
}
