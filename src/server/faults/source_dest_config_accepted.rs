//! `source-dest-config-accepted`: SOURCE mode with a destinationConfig is served with HTTP 200
//! (as a plain SOURCE rotation).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct SourceDestConfigAccepted;

impl Hook for SourceDestConfigAccepted {
    fn configure(&self, b: &mut Behaviour) {
        b.refuse_source_with_config = false;
    }
}
