//! invalid-rejected: input the model forbids is refused with a 4xx carrying an error type. The
//! type's name is left open (ValidationException, InvalidRequestException, ...).

use super::{parse_error, summary, CheckId};
use crate::runner::result::CheckOutcome;
use crate::wire::HttpResponse;

const ID: CheckId = CheckId::InvalidRejected;
const EXPECTED: &str = "a 4xx with an error type";

pub fn check(resp: &HttpResponse) -> CheckOutcome {
    let error = parse_error(resp);
    match (resp.status, error) {
        (400..=499, Some(e)) => CheckOutcome::pass(ID, format!("refused: HTTP {} {}", resp.status, e.type_name)),
        (400..=499, None) => {
            CheckOutcome::fail(ID, "refused without an error type a client can read").with(EXPECTED, summary(resp))
        }
        (200..=299, _) => CheckOutcome::fail(ID, "input the model forbids was accepted").with(EXPECTED, summary(resp)),
        _ => CheckOutcome::fail(ID, "input the model forbids did not get a 4xx").with(EXPECTED, summary(resp)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::runner::result::Status;

    #[test]
    fn any_typed_4xx_passes() {
        assert_eq!(
            check(&json_response(400, r#"{"__type":"ValidationException"}"#)).status,
            Status::Pass
        );
        assert_eq!(
            check(&json_response(422, r#"{"code":"InvalidRequestException"}"#)).status,
            Status::Pass
        );
    }

    #[test]
    fn acceptance_typeless_or_5xx_fails() {
        assert_eq!(check(&json_response(200, r#"{"tunnelArn":"a"}"#)).status, Status::Fail);
        assert_eq!(check(&json_response(400, "bad")).status, Status::Fail);
        assert_eq!(
            check(&json_response(500, r#"{"__type":"InternalFailure"}"#)).status,
            Status::Fail
        );
    }
}
