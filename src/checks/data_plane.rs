//! Evidence shared by the data-plane checks: what one WebSocket handshake showed, recorded by
//! the runner (`runner::data_plane_scenarios`) and judged by `handshake`, `token_revoked`,
//! `token_single_use`, `connection_state`, `rotated_connection`, `relay` and the data-plane parts of
//! `closed_tunnel` and `source_destination_config`. Never holds a token: only what the server
//! answered (a refusal's body prefix is scrubbed by the runner's redactor before it lands here).

use serde::Serialize;

use super::connection_state::StateObservation;
use super::relay::RelayObservation;
use super::rotated_connection::RotatedObservation;
use super::token_revoked::RevokedObservation;
use super::token_single_use::SingleUseObservation;
use super::{CheckId, CheckOutcome, Evidence, Subject};
use crate::wire::HttpResponse;

/// What one data-plane scenario observed; each variant feeds one check.
// One value per scenario, judged once: the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum DataPlaneObservation {
    /// Fresh tokens in their own mode (header and cookie), and one in the other side's mode.
    Handshake {
        good: Vec<Handshake>,
        mismatch: Handshake,
    },
    Revoked(RevokedObservation),
    SingleUse(SingleUseObservation),
    /// The answer to SOURCE + destinationConfig, and the OpenTunnel source token tried after it.
    SourceDestinationConfig {
        refusal: HttpResponse,
        old_source: Handshake,
    },
    /// A connection made before CloseTunnel (ended by the server within `wait_ms`?), and a
    /// fresh token of the CLOSED tunnel tried after it.
    ClosedTunnel {
        open_before: Handshake,
        ended: bool,
        wait_ms: u64,
        closed_token: Handshake,
    },
    ConnectionState(StateObservation),
    Rotated(RotatedObservation),
    /// A burst of messages each way through one OPEN tunnel.
    Relay(RelayObservation),
    /// The scenario could not run (its setup failed): the check it feeds reports an Error.
    NotRun {
        check: CheckId,
        why: String,
    },
}

/// The observation, when `e` is about a data-plane scenario.
pub fn observation<'a>(e: &Evidence<'a>) -> Option<&'a DataPlaneObservation> {
    match e.subject {
        Subject::DataPlane(o) => Some(o),
        _ => None,
    }
}

/// For a data-plane check: whether `e` is its scenario's (or the scenario could not run), and the
/// Error outcome of a scenario that did not run.
pub fn not_run(e: &Evidence, id: CheckId) -> Option<Vec<CheckOutcome>> {
    match observation(e)? {
        DataPlaneObservation::NotRun { check, why } if *check == id => Some(vec![CheckOutcome::error(id, why.clone())]),
        _ => None,
    }
}

/// Whether `e` is a data-plane scenario that could not run and fed `id`.
pub fn is_not_run_of(e: &Evidence, id: CheckId) -> bool {
    matches!(observation(e), Some(DataPlaneObservation::NotRun { check, .. }) if *check == id)
}

/// The `SERVICE_IDS` message type.
pub const SERVICE_IDS: i32 = 5;

/// One handshake attempt and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Handshake {
    /// What was attempted, for messages: `source token (rotated away) in source mode`.
    pub label: String,
    /// The HTTP status of the answer (101 when upgraded); None: no answer (see `error`).
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The start of a refusal's body.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body_prefix: String,
    pub channel_id: bool,
    /// The subprotocols offered and the one the 101 echoed.
    pub offered: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subprotocol: Option<String>,
    pub accept_key_ok: bool,
    /// The type of the first message after a 101; `first_problem` when none was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_message_type: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_problem: Option<String>,
}

impl Handshake {
    /// The server upgraded the connection.
    pub fn accepted(&self) -> bool {
        self.status == Some(101)
    }

    /// Refused with a 4xx, as PROTOCOL.md asks of every refusal.
    pub fn refused_4xx(&self) -> bool {
        self.status.is_some_and(|s| (400..500).contains(&s))
    }

    /// `HTTP 400 "Invalid access token: ..."`, `HTTP 101`, or the transport error.
    pub fn summary(&self) -> String {
        match (self.status, &self.error) {
            (Some(101), _) => "HTTP 101 (connected)".to_owned(),
            (Some(s), _) if self.body_prefix.is_empty() => format!("HTTP {s}"),
            (Some(s), _) => {
                let text: String = self.body_prefix.chars().take(120).collect();
                format!("HTTP {s} {text:?}")
            }
            (None, Some(e)) => format!("no answer: {e}"),
            (None, None) => "not attempted".to_owned(),
        }
    }

    /// `label: summary`.
    pub fn line(&self) -> String {
        format!("{}: {}", self.label, self.summary())
    }
}

/// A handshake that got no answer at all makes a check unable to judge.
pub fn unanswered<'a>(handshakes: impl IntoIterator<Item = &'a Handshake>) -> Option<&'a Handshake> {
    handshakes.into_iter().find(|h| h.status.is_none())
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    /// A complete, conformant 101.
    pub fn connected(label: &str) -> Handshake {
        Handshake {
            label: label.into(),
            status: Some(101),
            channel_id: true,
            offered: vec!["aws.iot.securetunneling-3.0".into()],
            subprotocol: Some("aws.iot.securetunneling-3.0".into()),
            accept_key_ok: true,
            first_message_type: Some(SERVICE_IDS),
            ..Default::default()
        }
    }

    pub fn refused(status: u16) -> Handshake {
        Handshake {
            label: "refused".into(),
            status: Some(status),
            body_prefix: "Invalid access token: x".into(),
            ..Default::default()
        }
    }
}
