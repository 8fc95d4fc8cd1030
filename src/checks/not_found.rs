//! not-found: a well-formed tunnel id no tunnel has gets exactly HTTP 400 ResourceNotFoundException.

use super::{
    answered, expects, one, step_expects, summary, About, Check, CheckId, CheckOutcome, Evidence, StepExpectation,
};
use crate::cases::Expectation;
use crate::spec::facts;
use crate::wire::parse_error;
use crate::wire::HttpResponse;

impl CheckId {
    pub const NOT_FOUND: CheckId = CheckId::new("not-found");
}

const ID: CheckId = CheckId::NOT_FOUND;

pub struct NotFound;

impl Check for NotFound {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "a well-formed unknown tunnelId gets exactly HTTP 400 ResourceNotFoundException",
            citation: facts::CITE_NOT_FOUND,
            statements: &["api.not-found", "model.tunnel-id.pattern"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        expects(e, |x| matches!(x, Expectation::NotFound)) || step_expects(e, StepExpectation::NotFound)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        one(answered(e, ID).map(|(_, resp)| check(resp)))
    }
}
const EXPECTED: &str = "HTTP 400 ResourceNotFoundException";

pub fn check(resp: &HttpResponse) -> CheckOutcome {
    let type_name = parse_error(resp).map(|e| e.type_name);
    if resp.status == 400 && type_name.as_deref() == Some("ResourceNotFoundException") {
        CheckOutcome::pass(ID, EXPECTED)
    } else {
        CheckOutcome::fail(
            ID,
            "an unknown tunnel is not reported as ResourceNotFoundException with HTTP 400",
        )
        .with(EXPECTED, summary(resp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;

    #[test]
    fn exactly_400_resource_not_found() {
        let ok = json_response(400, r#"{"__type":"com.amazonaws#ResourceNotFoundException"}"#);
        assert_eq!(check(&ok).status, Status::Pass);
        let o = check(&json_response(404, r#"{"__type":"ResourceNotFoundException"}"#));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.actual.as_deref(), Some("HTTP 404 ResourceNotFoundException"));
        assert_eq!(
            check(&json_response(400, r#"{"__type":"ValidationException"}"#)).status,
            Status::Fail
        );
        assert_eq!(check(&json_response(200, r#"{"tunnelArn":"a"}"#)).status, Status::Fail);
    }
}
