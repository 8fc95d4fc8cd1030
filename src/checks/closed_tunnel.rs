//! closed-tunnel: rotating a CLOSED tunnel never reopens it. The refusal itself is inferred by
//! PROTOCOL.md, so a 2xx is only an Advisory; a 5xx fails (no-5xx reports it as well).
//!
//! On the data plane ([`check_data_plane`]): "CloseTunnel (and expiry) closes the tunnel's
//! WebSocket connections so no data flows; a closed tunnel's tokens cannot connect" (PROTOCOL.md,
//! "Data plane"): a connection open before CloseTunnel ends within a bounded wait, and a token
//! of the CLOSED tunnel that never connected is refused with a 4xx.

use serde_json::Value;

use super::data_plane::{is_not_run_of, not_run, observation, DataPlaneObservation, Handshake};
use super::{
    case_answer, expects, one, step_expects, summary, tunnel_status, About, Check, CheckId, CheckOutcome, Evidence,
    ExpectedStatus, StepExpectation, TunnelObservation,
};
use crate::cases::Expectation;
use crate::spec::facts;
use crate::wire::HttpResponse;

impl CheckId {
    pub const CLOSED_TUNNEL: CheckId = CheckId::new("closed-tunnel");
}

const ID: CheckId = CheckId::CLOSED_TUNNEL;

pub struct ClosedTunnel;

impl Check for ClosedTunnel {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "rotating a CLOSED tunnel never reopens it (the refusal itself is inferred and only reported)",
            citation: facts::CITE_LIFECYCLE,
            statements: &[
                "proto.lifecycle.never-reopens",
                "proto.rotate.closed-refused",
                "proto.dp.close-closes",
                "proto.dp.closed-tokens",
                "proto.dp.refusal-4xx",
            ],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        expects(e, |x| matches!(x, Expectation::ClosedTunnel))
            || step_expects(e, StepExpectation::ClosedTunnel)
            || e.as_observed().is_some()
            || matches!(observation(e), Some(DataPlaneObservation::ClosedTunnel { .. }))
            || is_not_run_of(e, ID)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(o) = not_run(e, ID) {
            return o;
        }
        if let Some(s) = e.as_step() {
            return vec![check_answer(s.response)];
        }
        if let Some(o) = e.as_observed() {
            return vec![check_reported(o)];
        }
        if let Some(DataPlaneObservation::ClosedTunnel {
            open_before,
            ended,
            wait_ms,
            closed_token,
        }) = observation(e)
        {
            return vec![check_data_plane(open_before, *ended, *wait_ms, closed_token)];
        }
        one(case_answer(e, ID).map(|(c, resp)| check(resp, c.after)))
    }
}

/// `after`: the DescribeTunnel `tunnel` object read after the request (None: not readable).
pub fn check(resp: &HttpResponse, after: Option<&Value>) -> CheckOutcome {
    match after.map(tunnel_status) {
        None => {
            return CheckOutcome::error(ID, "DescribeTunnel could not be read after the request");
        }
        Some(Some("CLOSED")) => {}
        Some(_) => {
            return CheckOutcome::fail(ID, "the CLOSED tunnel is no longer CLOSED after the rotation attempt").with(
                "status CLOSED",
                format!("status {}", after.and_then(tunnel_status).unwrap_or("absent")),
            );
        }
    }
    check_answer(resp)
}

/// The answer to a rotation of a CLOSED tunnel: refused (a 4xx), as inferred; a 2xx only an
/// advisory; a 5xx fails.
fn check_answer(resp: &HttpResponse) -> CheckOutcome {
    match resp.status {
        500..=599 => CheckOutcome::fail(ID, "rotating a CLOSED tunnel caused a server error")
            .with("a 4xx (inferred)", summary(resp)),
        200..=299 => CheckOutcome::advisory(
            ID,
            "rotating a CLOSED tunnel succeeded; the real service is inferred to refuse it with a 4xx",
        )
        .with("a 4xx (inferred)", summary(resp)),
        _ => CheckOutcome::pass(ID, format!("refused ({}) and the tunnel stays CLOSED", summary(resp))),
    }
}

/// A tunnel a lifecycle sequence looked at reports a status its life allows: OPEN until
/// CloseTunnel or its lifetime's end, then CLOSED for good. One still OPEN past its lifetime,
/// never closed by CloseTunnel, is duration-live's (the lifetime was extended).
pub fn check_reported(o: &TunnelObservation) -> CheckOutcome {
    let status = tunnel_status(o.reported);
    if o.expected.status.allows(status) || super::duration_live::outlived(o) {
        return CheckOutcome::pass(ID, format!("{}: status {}", o.operation, status.unwrap_or("missing")));
    }
    CheckOutcome::fail(
        ID,
        format!(
            "{}: the tunnel reports status {} where its lifecycle allows {}",
            o.operation,
            status.unwrap_or("missing"),
            allowed(o.expected.status)
        ),
    )
    .with(allowed(o.expected.status), lifecycle(o))
}

fn allowed(s: ExpectedStatus) -> &'static str {
    match s {
        ExpectedStatus::Open => "status OPEN",
        ExpectedStatus::Closed | ExpectedStatus::MaybeGone => "status CLOSED",
        ExpectedStatus::Expiring => "status OPEN or CLOSED",
        ExpectedStatus::Gone => "no tunnel at all",
    }
}

/// What the sequence knows of the tunnel's life, for `actual`.
pub(crate) fn lifecycle(o: &TunnelObservation) -> String {
    let x = &o.expected;
    format!(
        "status {}; opened {:.1} tunnel-minutes ago with a {}-minute lifetime, closed by CloseTunnel: {}",
        tunnel_status(o.reported).unwrap_or("missing"),
        x.age_minutes,
        x.lifetime_minutes,
        x.closed_by_request
    )
}

/// `open_before`: the connection made before CloseTunnel; `ended`: whether the server ended it
/// within `wait_ms`; `closed_token`: a fresh token of the CLOSED tunnel, tried afterwards.
pub fn check_data_plane(open_before: &Handshake, ended: bool, wait_ms: u64, closed_token: &Handshake) -> CheckOutcome {
    if open_before.status.is_none() || closed_token.status.is_none() {
        return CheckOutcome::error(ID, "a data-plane handshake got no answer");
    }
    if !open_before.accepted() {
        return CheckOutcome::fail(ID, "a fresh token of an OPEN tunnel did not connect")
            .with("HTTP 101", open_before.line());
    }
    if !ended {
        return CheckOutcome::fail(ID, format!("CloseTunnel left a connection open for {wait_ms} ms"))
            .with("the connection closed by the server", "still open");
    }
    if !closed_token.refused_4xx() {
        return CheckOutcome::fail(ID, "a token of the CLOSED tunnel was not refused")
            .with("a 4xx", closed_token.line());
    }
    CheckOutcome::pass(
        ID,
        format!(
            "CloseTunnel ended the open connection; the closed tunnel's token was refused ({})",
            closed_token.summary()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;
    use serde_json::json;

    #[test]
    fn data_plane_connections_end_and_tokens_are_refused_after_close() {
        use crate::checks::data_plane::testutil::{connected, refused};
        assert_eq!(
            check_data_plane(&connected("s"), true, 3000, &refused(400)).status,
            Status::Pass
        );
        assert_eq!(
            check_data_plane(&connected("s"), false, 3000, &refused(400)).status,
            Status::Fail
        );
        assert_eq!(
            check_data_plane(&connected("s"), true, 3000, &connected("d")).status,
            Status::Fail
        );
    }

    #[test]
    fn refusal_passes_acceptance_is_advisory() {
        let closed = json!({"status": "CLOSED"});
        let refused = json_response(400, r#"{"__type":"InvalidRequestException"}"#);
        assert_eq!(check(&refused, Some(&closed)).status, Status::Pass);
        let ok = json_response(200, r#"{"tunnelArn":"a"}"#);
        assert_eq!(check(&ok, Some(&closed)).status, Status::Advisory);
    }

    #[test]
    fn reopening_or_5xx_fails() {
        let refused = json_response(400, r#"{"__type":"InvalidRequestException"}"#);
        assert_eq!(check(&refused, Some(&json!({"status": "OPEN"}))).status, Status::Fail);
        assert_eq!(
            check(&json_response(503, "{}"), Some(&json!({"status": "CLOSED"}))).status,
            Status::Fail
        );
        assert_eq!(check(&refused, None).status, Status::Error);
    }
}
