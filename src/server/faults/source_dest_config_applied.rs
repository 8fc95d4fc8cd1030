//! `source-dest-config-applied`: SOURCE mode with a destinationConfig is refused, but the
//! destinationConfig is stored anyway (caught because DescribeTunnel changes).

use serde_json::Value;

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;
use crate::server::store::StoredTunnel;

pub(super) struct SourceDestConfigApplied;

impl Hook for SourceDestConfigApplied {
    fn source_with_config(&self, tunnel: Option<&mut StoredTunnel>, config: &Value, _b: &Behaviour) -> bool {
        if let Some(t) = tunnel {
            t.destination_config = Some(config.clone());
        }
        false
    }
}
