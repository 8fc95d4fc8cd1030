//! rotated-connection: what happens to a connection that is already open when its token is
//! rotated. No public source settles it, so the outcome is only ever an advisory that says what
//! was seen. PROTOCOL.md, "Data plane": "Inferred (no public source): whether a connection that
//! is already open with the old token is dropped on rotation (and with which close code) [...].
//! A harness must not fail an implementation on these."

use serde::Serialize;

use super::data_plane::{is_not_run_of, not_run, observation, DataPlaneObservation};
use super::{About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;

impl CheckId {
    pub const ROTATED_CONNECTION: CheckId = CheckId::new("rotated-connection");
}

const ID: CheckId = CheckId::ROTATED_CONNECTION;

pub struct RotatedConnection;

impl Check for RotatedConnection {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "what happens to a connection already open when its token is rotated (left open by the spec: advisory only)",
            citation: facts::CITE_DP_INFERRED,
            statements: &["proto.dp.open-connection-on-rotation"],
        }
    }

    /// No source says whether the real service drops such a connection: strict mode has
    /// nothing to match, so this stays an advisory.
    fn strict_applies(&self) -> bool {
        false
    }

    fn applies(&self, e: &Evidence) -> bool {
        matches!(observation(e), Some(DataPlaneObservation::Rotated(_))) || is_not_run_of(e, ID)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(o) = not_run(e, ID) {
            return o;
        }
        match observation(e) {
            Some(DataPlaneObservation::Rotated(o)) => vec![check(o)],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RotatedObservation {
    /// Why nothing could be observed (no connection, rotation refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_observed: Option<String>,
    /// Whether the server closed the connection within `wait_ms` of the rotation.
    pub closed: bool,
    pub wait_ms: u64,
}

/// Always an advisory: it reports, never judges.
pub fn check(o: &RotatedObservation) -> CheckOutcome {
    let message = match (&o.not_observed, o.closed) {
        (Some(why), _) => format!("not observed: {why}"),
        (None, true) => format!(
            "a connection open on a token was closed within {} ms of that token's rotation (the spec leaves this open)",
            o.wait_ms
        ),
        (None, false) => format!(
            "a connection open on a token stayed open for {} ms after that token's rotation (the spec leaves this open)",
            o.wait_ms
        ),
    };
    CheckOutcome::advisory(ID, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

    #[test]
    fn every_observation_is_only_an_advisory() {
        for closed in [true, false] {
            let o = RotatedObservation {
                not_observed: None,
                closed,
                wait_ms: 1000,
            };
            assert_eq!(check(&o).status, Status::Advisory);
        }
        let o = RotatedObservation {
            not_observed: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(check(&o).status, Status::Advisory);
    }
}
