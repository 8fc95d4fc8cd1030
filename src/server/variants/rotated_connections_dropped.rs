//! `rotated-connections-dropped`: a connection open on a token is closed at once when that token is rotated (data plane).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct RotatedConnectionsDropped;

impl Hook for RotatedConnectionsDropped {
    fn configure(&self, b: &mut Behaviour) {
        b.data_plane.drop_rotated_connections = true;
    }
}
