//! `destination-config-kept`: a DESTINATION or ALL rotation with a destinationConfig rotates the
//! tokens and leaves the tunnel's destinationConfig as it was (PROTOCOL.md: such a rotation "may
//! update" it).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct DestinationConfigKept;

impl Hook for DestinationConfigKept {
    fn configure(&self, b: &mut Behaviour) {
        b.rotation_updates_destination_config = false;
    }
}
