//! connection-state: DescribeTunnel shows a side CONNECTED while its local proxy is connected
//! and DISCONNECTED after it disconnects (the other side stays DISCONNECTED). An update may take
//! a moment: the runner polls for a bounded time. PROTOCOL.md, "Data plane": "Connection state:
//! DescribeTunnel's `sourceConnectionState` / `destinationConnectionState` start `DISCONNECTED`,
//! become `CONNECTED` while that side's local proxy is connected, and go back to `DISCONNECTED`
//! when it disconnects while the tunnel is OPEN".

use serde::Serialize;

use super::data_plane::Handshake;
use super::data_plane::{is_not_run_of, not_run, observation, DataPlaneObservation};
use super::{About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;

impl CheckId {
    pub const CONNECTION_STATE: CheckId = CheckId::new("connection-state");
}

const ID: CheckId = CheckId::CONNECTION_STATE;

pub struct ConnectionState;

impl Check for ConnectionState {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "DescribeTunnel shows a side CONNECTED while its local proxy is connected and DISCONNECTED after it disconnects",
            citation: facts::CITE_DP_CONNECTION_STATE,
            statements: &["proto.dp.connection-state"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        matches!(observation(e), Some(DataPlaneObservation::ConnectionState(_))) || is_not_run_of(e, ID)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(o) = not_run(e, ID) {
            return o;
        }
        match observation(e) {
            Some(DataPlaneObservation::ConnectionState(o)) => vec![check(o)],
            _ => Vec::new(),
        }
    }
}

/// Statuses read from DescribeTunnel (None: not readable, or no status member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct StateObservation {
    /// The connected side (`source`).
    pub side: String,
    /// Before any connection.
    pub initial: Option<String>,
    pub connect: Handshake,
    /// The last status read while connected (polling stops at CONNECTED), and the other side's.
    pub while_connected: Option<String>,
    pub other_while_connected: Option<String>,
    /// The last status read after the disconnect (polling stops at DISCONNECTED).
    pub after_disconnect: Option<String>,
    /// How long the runner polled for each change.
    pub wait_ms: u64,
}

fn show(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("unreadable")
}

pub fn check(o: &StateObservation) -> CheckOutcome {
    if o.connect.status.is_none() {
        return CheckOutcome::error(ID, format!("the handshake got no answer: {}", o.connect.line()));
    }
    if !o.connect.accepted() {
        return CheckOutcome::fail(ID, "a fresh token did not connect, so no state could be observed")
            .with("HTTP 101", o.connect.line());
    }
    let unreadable = [&o.initial, &o.while_connected, &o.after_disconnect]
        .iter()
        .any(|s| s.is_none());
    if unreadable {
        return CheckOutcome::error(ID, "DescribeTunnel's connection state could not be read");
    }
    let side = &o.side;
    if o.initial.as_deref() != Some("DISCONNECTED") {
        return CheckOutcome::fail(
            ID,
            format!("{side}ConnectionState is not DISCONNECTED before any connection"),
        )
        .with("DISCONNECTED", show(&o.initial));
    }
    if o.while_connected.as_deref() != Some("CONNECTED") {
        return CheckOutcome::fail(
            ID,
            format!(
                "{side}ConnectionState did not become CONNECTED within {} ms of the connection",
                o.wait_ms
            ),
        )
        .with("CONNECTED", show(&o.while_connected));
    }
    if o.other_while_connected.as_deref() == Some("CONNECTED") {
        return CheckOutcome::fail(ID, "the side that never connected is reported CONNECTED")
            .with("DISCONNECTED", "CONNECTED");
    }
    if o.after_disconnect.as_deref() != Some("DISCONNECTED") {
        return CheckOutcome::fail(
            ID,
            format!(
                "{side}ConnectionState did not return to DISCONNECTED within {} ms of the disconnect",
                o.wait_ms
            ),
        )
        .with("DISCONNECTED", show(&o.after_disconnect));
    }
    CheckOutcome::pass(
        ID,
        format!("{side}ConnectionState went DISCONNECTED -> CONNECTED -> DISCONNECTED"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::data_plane::testutil::connected;
    use crate::checks::Status;

    fn good() -> StateObservation {
        StateObservation {
            side: "source".into(),
            initial: Some("DISCONNECTED".into()),
            connect: connected("source"),
            while_connected: Some("CONNECTED".into()),
            other_while_connected: Some("DISCONNECTED".into()),
            after_disconnect: Some("DISCONNECTED".into()),
            wait_ms: 5000,
        }
    }

    #[test]
    fn following_the_connection_passes() {
        assert_eq!(check(&good()).status, Status::Pass);
    }

    #[test]
    fn never_updated_or_stuck_connected_fails() {
        let mut o = good();
        o.while_connected = Some("DISCONNECTED".into());
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = good();
        o.after_disconnect = Some("CONNECTED".into());
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = good();
        o.other_while_connected = Some("CONNECTED".into());
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = good();
        o.initial = None;
        assert_eq!(check(&o).status, Status::Error);
    }
}
