//! `subprotocol-not-echoed`: the 101 carries no Sec-WebSocket-Protocol (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct SubprotocolNotEchoed;

impl Hook for SubprotocolNotEchoed {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.echo_subprotocol = false;
    }
}
