//! valid-accepted: valid input (boundary values included) on an OPEN tunnel gets HTTP 200.

use super::{summary, CheckId};
use crate::runner::result::CheckOutcome;
use crate::wire::HttpResponse;

const ID: CheckId = CheckId::ValidAccepted;

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
    use crate::runner::result::Status;

    #[test]
    fn only_200_passes() {
        assert_eq!(check(&json_response(200, "{}")).status, Status::Pass);
        let o = check(&json_response(400, r#"{"__type":"ValidationException"}"#));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.actual.as_deref(), Some("HTTP 400 ValidationException"));
        assert_eq!(check(&json_response(500, "{}")).status, Status::Fail);
    }
}
