//! `rotated-connections-dropped`: a connection open on a token is closed at once when that token is rotated (data plane).

use crate::server::hooks::{Hook, TunnelEvent};

pub(super) struct RotatedConnectionsDropped;

impl Hook for RotatedConnectionsDropped {
    fn connection_ends(&self, event: TunnelEvent) -> Option<bool> {
        (event == TunnelEvent::TokenRotated).then_some(true)
    }
}
