//! `close-keeps-connections`: CloseTunnel and expiry leave open connections open (data plane).

use crate::server::hooks::{Hook, TunnelEvent};

pub(super) struct CloseKeepsConnections;

impl Hook for CloseKeepsConnections {
    fn connection_ends(&self, event: TunnelEvent) -> Option<bool> {
        (event == TunnelEvent::Closed).then_some(false)
    }
}
