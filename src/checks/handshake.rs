//! handshake: a data-plane handshake with a good token is `101` with a `channel-id` header and
//! one of the offered subprotocols echoed, then a `SERVICE_IDS` message first; a token offered in
//! the other side's `local-proxy-mode` is refused with a 4xx. PROTOCOL.md, "Data plane":
//! "Success: `101 Switching Protocols` with a `channel-id` header and one of the offered
//! subprotocols echoed in `Sec-WebSocket-Protocol` (clients give up without it). Right after, the
//! service sends a `SERVICE_IDS` control message" and "the mode must match the token's side or
//! the handshake fails".

use super::data_plane::{
    is_not_run_of, not_run, observation, unanswered, DataPlaneObservation, Handshake, SERVICE_IDS,
};
use super::{About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;

impl CheckId {
    pub const HANDSHAKE: CheckId = CheckId::new("handshake");
}

const ID: CheckId = CheckId::HANDSHAKE;

pub struct HandshakeCheck;

impl Check for HandshakeCheck {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "a data-plane handshake with a good token is 101 with channel-id, an offered subprotocol echoed and SERVICE_IDS first; a token offered in the other side's mode is refused with a 4xx",
            citation: facts::CITE_DP_HANDSHAKE,
            statements: &[
                "proto.dp.handshake-101",
                "proto.dp.upgrade",
                "proto.dp.mode-must-match",
                "proto.dp.service-ids-first",
                "api.source-token",
                "api.destination-token",
            ],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        matches!(observation(e), Some(DataPlaneObservation::Handshake { .. })) || is_not_run_of(e, ID)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(o) = not_run(e, ID) {
            return o;
        }
        match observation(e) {
            Some(DataPlaneObservation::Handshake { good, mismatch }) => vec![check(good, mismatch)],
            _ => Vec::new(),
        }
    }
}

/// What is wrong with a handshake that should have connected (None: nothing).
pub fn problem(h: &Handshake) -> Option<String> {
    if !h.accepted() {
        return Some(format!("not connected ({})", h.summary()));
    }
    if !h.accept_key_ok {
        return Some("the 101 carries no valid Sec-WebSocket-Accept".into());
    }
    if !h.channel_id {
        return Some("the 101 carries no channel-id header".into());
    }
    match &h.subprotocol {
        None => return Some("the 101 echoes no Sec-WebSocket-Protocol".into()),
        Some(p) if !h.offered.contains(p) => return Some(format!("the 101 echoes {p:?}, which was not offered")),
        Some(_) => {}
    }
    match (h.first_message_type, &h.first_problem) {
        (Some(SERVICE_IDS), _) => None,
        (Some(t), _) => Some(format!("the first message is of type {t}, not SERVICE_IDS (5)")),
        (None, Some(p)) => Some(format!("no SERVICE_IDS message: {p}")),
        (None, None) => Some("no SERVICE_IDS message".into()),
    }
}

/// `good`: handshakes with fresh tokens in their own mode (header and cookie); `mismatch`: a
/// fresh token offered in the other side's mode.
pub fn check(good: &[Handshake], mismatch: &Handshake) -> CheckOutcome {
    if let Some(h) = unanswered(good.iter().chain([mismatch])) {
        return CheckOutcome::error(ID, format!("a handshake got no answer: {}", h.line()));
    }
    let bad: Vec<String> = good
        .iter()
        .filter_map(|h| problem(h).map(|p| format!("{}: {p}", h.label)))
        .collect();
    if !bad.is_empty() {
        return CheckOutcome::fail(
            ID,
            "a handshake with a good token did not complete as the protocol says",
        )
        .with(
            "101 + channel-id + an offered subprotocol echoed, then SERVICE_IDS",
            bad.join("; "),
        );
    }
    if !mismatch.refused_4xx() {
        return CheckOutcome::fail(ID, "a token was accepted in the other side's local-proxy-mode")
            .with("a 4xx refusal", mismatch.line());
    }
    CheckOutcome::pass(
        ID,
        format!(
            "{} handshakes completed with SERVICE_IDS; the wrong mode was refused ({})",
            good.len(),
            mismatch.summary()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::data_plane::testutil::{connected, refused};
    use crate::checks::Status;

    #[test]
    fn complete_handshakes_and_a_refused_mismatch_pass() {
        assert_eq!(check(&[connected("a")], &refused(400)).status, Status::Pass);
        assert_eq!(check(&[connected("a")], &refused(403)).status, Status::Pass);
    }

    #[test]
    fn missing_subprotocol_channel_or_service_ids_fail() {
        let mut no_proto = connected("a");
        no_proto.subprotocol = None;
        let mut other_proto = connected("a");
        other_proto.subprotocol = Some("chat".into());
        let mut no_channel = connected("a");
        no_channel.channel_id = false;
        let mut data_first = connected("a");
        data_first.first_message_type = Some(1);
        for h in [no_proto, other_proto, no_channel, data_first] {
            assert_eq!(check(&[h], &refused(400)).status, Status::Fail);
        }
        assert_eq!(check(&[connected("a")], &connected("b")).status, Status::Fail);
        assert_eq!(check(&[connected("a")], &Handshake::default()).status, Status::Error);
    }
}
