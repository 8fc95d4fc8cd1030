//! token-revoked: a rotation revokes the rotated sides' tokens, and only those. After a rotation
//! in each mode, each rotated side's previous token is refused on the data-plane handshake (any
//! 4xx: no public source gives the status or text), its new token connects, and a side that was
//! not rotated still connects with its unchanged token. The API page: "Revokes the current client
//! access token (CAT) and returns new CAT for clients to use when reconnecting"; PROTOCOL.md,
//! "Data plane": "the old CAT of each rotated side stops working for new handshakes; the new CAT
//! works [...]. The side not rotated keeps its token."
//!
//! No token in the scenario has connected before the rotation, so a refusal can only be the
//! revocation (not single use).

use serde::Serialize;

use super::data_plane::{is_not_run_of, not_run, observation, unanswered, DataPlaneObservation, Handshake};
use super::{About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;

impl CheckId {
    pub const TOKEN_REVOKED: CheckId = CheckId::new("token-revoked");
}

const ID: CheckId = CheckId::TOKEN_REVOKED;

pub struct TokenRevoked;

impl Check for TokenRevoked {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "after a rotation in each mode, each rotated side's previous token is refused on the data plane (4xx), its new token connects, and the side not rotated still connects with its token",
            citation: facts::CITE_REVOKES,
            statements: &[
                "api.revokes-cat",
                "api.returns-new-cat",
                "api.client-mode",
                "proto.dp.old-cat-stops",
                "proto.dp.new-cat-works",
                "proto.dp.other-side-keeps",
                "proto.dp.refusal-4xx",
            ],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        matches!(observation(e), Some(DataPlaneObservation::Revoked(_))) || is_not_run_of(e, ID)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(o) = not_run(e, ID) {
            return o;
        }
        match observation(e) {
            Some(DataPlaneObservation::Revoked(o)) => vec![check(o)],
            _ => Vec::new(),
        }
    }
}

/// One rotation and the handshakes after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RevokedObservation {
    /// `SOURCE`, `DESTINATION` or `ALL`.
    pub mode: String,
    /// Why the handshakes could not all be attempted (rotation refused, a token missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<String>,
    /// Each rotated side's previous token, in its own mode.
    pub old_tokens: Vec<Handshake>,
    /// Each rotated side's new token.
    pub new_tokens: Vec<Handshake>,
    /// The side not rotated, with the token OpenTunnel gave it.
    pub unrotated: Vec<Handshake>,
}

pub fn check(obs: &RevokedObservation) -> CheckOutcome {
    if let Some(why) = &obs.inconclusive {
        return CheckOutcome::error(ID, format!("{} rotation: {why}", obs.mode));
    }
    let all = obs.old_tokens.iter().chain(&obs.new_tokens).chain(&obs.unrotated);
    if let Some(h) = unanswered(all) {
        return CheckOutcome::error(ID, format!("a handshake got no answer: {}", h.line()));
    }
    let still_valid: Vec<String> = obs
        .old_tokens
        .iter()
        .filter(|h| !h.refused_4xx())
        .map(Handshake::line)
        .collect();
    if !still_valid.is_empty() {
        return CheckOutcome::fail(
            ID,
            format!("after a {} rotation, a previous token was not refused", obs.mode),
        )
        .with("a 4xx for each rotated side's previous token", still_valid.join("; "));
    }
    let refused_new: Vec<String> = obs
        .new_tokens
        .iter()
        .filter(|h| !h.accepted())
        .map(Handshake::line)
        .collect();
    if !refused_new.is_empty() {
        return CheckOutcome::fail(
            ID,
            format!("after a {} rotation, a new token did not connect", obs.mode),
        )
        .with("HTTP 101 with each new token", refused_new.join("; "));
    }
    let lost: Vec<String> = obs
        .unrotated
        .iter()
        .filter(|h| !h.accepted())
        .map(Handshake::line)
        .collect();
    if !lost.is_empty() {
        return CheckOutcome::fail(
            ID,
            format!(
                "after a {} rotation, the side that was not rotated could not connect",
                obs.mode
            ),
        )
        .with("HTTP 101 with the unchanged token", lost.join("; "));
    }
    CheckOutcome::pass(
        ID,
        format!(
            "{} rotation: {} previous token(s) refused ({}), new and unrotated tokens connect",
            obs.mode,
            obs.old_tokens.len(),
            obs.old_tokens
                .iter()
                .map(Handshake::summary)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::data_plane::testutil::{connected, refused};
    use crate::checks::Status;

    fn source_rotation() -> RevokedObservation {
        RevokedObservation {
            mode: "SOURCE".into(),
            inconclusive: None,
            old_tokens: vec![refused(400)],
            new_tokens: vec![connected("new source")],
            unrotated: vec![connected("destination")],
        }
    }

    #[test]
    fn revoked_old_working_new_and_untouched_other_side_pass() {
        assert_eq!(check(&source_rotation()).status, Status::Pass);
        let mut forbidden = source_rotation();
        forbidden.old_tokens = vec![refused(403)];
        assert_eq!(check(&forbidden).status, Status::Pass, "any 4xx");
    }

    #[test]
    fn old_token_working_new_refused_or_other_side_revoked_fail() {
        let mut o = source_rotation();
        o.old_tokens = vec![connected("old source")];
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = source_rotation();
        o.new_tokens = vec![refused(400)];
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = source_rotation();
        o.unrotated = vec![refused(400)];
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = source_rotation();
        o.old_tokens = vec![refused(500)];
        assert_eq!(check(&o).status, Status::Fail, "a 5xx is no refusal");
        let mut o = source_rotation();
        o.inconclusive = Some("rotation refused".into());
        assert_eq!(check(&o).status, Status::Error);
    }
}
