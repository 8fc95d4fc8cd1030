//! closed-tunnel: rotating a CLOSED tunnel never reopens it. The refusal itself is inferred by
//! PROTOCOL.md, so a 2xx is only an Advisory; a 5xx fails (no-5xx reports it as well).

use serde_json::Value;

use super::{About, Check, CheckId, CheckOutcome, Evidence, case_answer, expects, one, summary, tunnel_status};
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
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        expects(e, |x| matches!(x, Expectation::ClosedTunnel))
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;
    use serde_json::json;

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
