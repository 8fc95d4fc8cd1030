//! token-single-use: without a client token, a token is spent by its first successful handshake
//! and refused the second time; with a client token, the same token reconnects with the same
//! client token and is refused with another one. PROTOCOL.md, "Data plane": "One use: without a
//! client token, a CAT is spent by its first successful handshake; a second handshake with it is
//! refused. With the optional `client-token` header [...] the same CAT may reconnect as long as
//! the same client token comes with it; a different client token is refused."

use serde::Serialize;

use super::data_plane::{is_not_run_of, not_run, observation, unanswered, DataPlaneObservation, Handshake};
use super::{About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;

impl CheckId {
    pub const TOKEN_SINGLE_USE: CheckId = CheckId::new("token-single-use");
}

const ID: CheckId = CheckId::TOKEN_SINGLE_USE;

pub struct TokenSingleUse;

impl Check for TokenSingleUse {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "a token that connected once is refused the second time; the same client token may reconnect, another client token is refused",
            citation: facts::CITE_DP_SINGLE_USE,
            statements: &[
                "proto.dp.single-use",
                "proto.dp.client-token-reconnect",
                "proto.dp.client-token-other-refused",
                "proto.dp.refusal-4xx",
            ],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        matches!(observation(e), Some(DataPlaneObservation::SingleUse(_))) || is_not_run_of(e, ID)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(o) = not_run(e, ID) {
            return o;
        }
        match observation(e) {
            Some(DataPlaneObservation::SingleUse(o)) => vec![check(o)],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SingleUseObservation {
    /// A fresh token without a client token, then the same again.
    pub first: Handshake,
    pub second: Handshake,
    /// A fresh token with client token A, then again with A, then with client token B.
    pub bound: Handshake,
    pub same_client: Handshake,
    pub other_client: Handshake,
}

pub fn check(o: &SingleUseObservation) -> CheckOutcome {
    let all = [&o.first, &o.second, &o.bound, &o.same_client, &o.other_client];
    if let Some(h) = unanswered(all) {
        return CheckOutcome::error(ID, format!("a handshake got no answer: {}", h.line()));
    }
    let fail = |msg: &str, expected: &str, h: &Handshake| {
        CheckOutcome::fail(ID, msg.to_owned()).with(expected.to_owned(), h.line())
    };
    if !o.first.accepted() {
        return fail("a fresh token did not connect", "HTTP 101", &o.first);
    }
    if !o.second.refused_4xx() {
        return fail(
            "a token that had connected once was not refused the second time (no client token)",
            "a 4xx (the guide: HTTP 400 \"Invalid access token: ...\")",
            &o.second,
        );
    }
    if !o.bound.accepted() {
        return fail(
            "a fresh token with a client token did not connect",
            "HTTP 101",
            &o.bound,
        );
    }
    if !o.same_client.accepted() {
        return fail(
            "a token could not reconnect with the client token it connected with",
            "HTTP 101",
            &o.same_client,
        );
    }
    if !o.other_client.refused_4xx() {
        return fail(
            "a spent token reconnected with a different client token",
            "a 4xx (\"Invalid client token: ... does not match ...\")",
            &o.other_client,
        );
    }
    CheckOutcome::pass(
        ID,
        format!(
            "reuse refused ({}); reconnect with the same client token accepted, another refused ({})",
            o.second.summary(),
            o.other_client.summary()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::data_plane::testutil::{connected, refused};
    use crate::checks::Status;

    fn good() -> SingleUseObservation {
        SingleUseObservation {
            first: connected("first"),
            second: refused(400),
            bound: connected("bound"),
            same_client: connected("again"),
            other_client: refused(400),
        }
    }

    #[test]
    fn single_use_with_client_token_reconnects_passes() {
        assert_eq!(check(&good()).status, Status::Pass);
    }

    #[test]
    fn reuse_or_foreign_client_token_or_refused_reconnect_fail() {
        let mut o = good();
        o.second = connected("second");
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = good();
        o.other_client = connected("other");
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = good();
        o.same_client = refused(400);
        assert_eq!(check(&o).status, Status::Fail);
        let mut o = good();
        o.second = Handshake::default();
        assert_eq!(check(&o).status, Status::Error);
    }
}
