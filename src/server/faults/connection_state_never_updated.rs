//! `connection-state-never-updated`: DescribeTunnel always reports both sides DISCONNECTED (data plane).

use crate::server::hooks::{Hook, StateChange};

pub(super) struct ConnectionStateNeverUpdated;

impl Hook for ConnectionStateNeverUpdated {
    fn connection_state_change(&self) -> Option<StateChange> {
        Some(StateChange::Never)
    }
}
