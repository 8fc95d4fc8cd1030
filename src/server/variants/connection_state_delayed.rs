//! `connection-state-delayed`: DescribeTunnel shows a connection change 300 ms after it happens (data plane).

use std::time::Duration;

use crate::server::hooks::{Hook, StateChange};

/// How much later DescribeTunnel shows a connection change.
const STATE_DELAY: Duration = Duration::from_millis(300);

pub(super) struct ConnectionStateDelayed;

impl Hook for ConnectionStateDelayed {
    fn connection_state_change(&self) -> Option<StateChange> {
        Some(StateChange::After(STATE_DELAY))
    }
}
