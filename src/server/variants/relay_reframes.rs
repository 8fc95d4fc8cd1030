//! `relay-reframes`: the relay splits data messages in two and packs queued messages into
//! frames of its own size (data plane; the V3 guide: "The service may aggregate data and
//! construct frames of different sizes than sent from the tunnel peer").

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct RelayReframes;

impl Hook for RelayReframes {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.reframe = true;
    }
}
