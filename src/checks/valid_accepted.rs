//! valid-accepted: valid input (boundary values included) on an OPEN tunnel gets HTTP 200; so does
//! a lifecycle step's valid input on a tunnel that exists, or on none (OpenTunnel, ListTunnels).

use super::{
    answered, expects, one, step_expects, summary, About, Check, CheckId, CheckOutcome, Evidence, StepExpectation,
};
use crate::cases::Expectation;
use crate::spec::facts;
use crate::wire::HttpResponse;

impl CheckId {
    pub const VALID_ACCEPTED: CheckId = CheckId::new("valid-accepted");
}

const ID: CheckId = CheckId::VALID_ACCEPTED;

pub struct ValidAccepted;

impl Check for ValidAccepted {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "valid input (including every boundary value) on an OPEN tunnel is accepted with HTTP 200",
            citation: facts::CITE_ACCEPTED,
            statements: &[
                "api.success-200",
                "proto.wire.request-format",
                "model.tunnel-id.pattern",
                "model.client-mode.enum",
                "model.service.pattern",
                "model.service.max",
                "model.thing-name.pattern",
                "model.thing-name.max",
            ],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        expects(e, |x| matches!(x, Expectation::Success { .. })) || step_expects(e, StepExpectation::Accepted)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        one(answered(e, ID).map(|(_, resp)| check(resp)))
    }
}

pub fn check(resp: &HttpResponse) -> CheckOutcome {
    if resp.status == 200 {
        CheckOutcome::pass(ID, "HTTP 200")
    } else {
        CheckOutcome::fail(ID, "valid input on an OPEN tunnel was not accepted").with("HTTP 200", summary(resp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;

    #[test]
    fn only_200_passes() {
        assert_eq!(check(&json_response(200, "{}")).status, Status::Pass);
        let o = check(&json_response(400, r#"{"__type":"ValidationException"}"#));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.actual.as_deref(), Some("HTTP 400 ValidationException"));
        assert_eq!(check(&json_response(500, "{}")).status, Status::Fail);
    }
}
