//! request-id: every answer to a request an AWS SDK could send carries `x-amzn-RequestId`, as the
//! real service's do. SDKs read it for error reports and support cases but do not require it, so
//! its absence is only an Advisory: a difference from the real service, never a failure.

use super::error_shape::sdk_sendable;
use super::{case_answer, About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts::{Citation, PROTOCOL_MD};
use crate::wire::HttpResponse;

impl CheckId {
    pub const REQUEST_ID: CheckId = CheckId::new("request-id");
}

const ID: CheckId = CheckId::REQUEST_ID;
const HEADER: &str = "x-amzn-RequestId";

pub struct RequestId;

impl Check for RequestId {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "answers carry an x-amzn-RequestId header, as the real service's do (advisory only: clients do not require it)",
            citation: Citation {
                source: PROTOCOL_MD,
                text: "Responses carry `x-amzn-RequestId`.",
            },
            statements: &["proto.wire.request-id"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        e.as_case()
            .is_some_and(|c| c.answer().is_ok() && sdk_sendable(c.request))
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        case_answer(e, ID).map(|(_, resp)| check(resp)).into_iter().collect()
    }
}

pub fn check(resp: &HttpResponse) -> CheckOutcome {
    match resp.header(HEADER).filter(|v| !v.trim().is_empty()) {
        Some(_) => CheckOutcome::pass(ID, format!("{HEADER} present")),
        None => CheckOutcome::advisory(ID, format!("no {HEADER} header: the real service sends one"))
            .with(format!("a non-empty {HEADER} header"), "absent"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;

    #[test]
    fn a_missing_request_id_is_advisory_never_a_failure() {
        let mut resp = json_response(200, "{}");
        assert_eq!(check(&resp).status, Status::Advisory);
        resp.headers.push(("X-Amzn-RequestId".into(), "abc".into()));
        assert_eq!(check(&resp).status, Status::Pass);
    }
}
