//! not-found: a well-formed tunnel id no tunnel has gets exactly HTTP 400 ResourceNotFoundException.

use super::{parse_error, summary, CheckId};
use crate::runner::result::CheckOutcome;
use crate::wire::HttpResponse;

const ID: CheckId = CheckId::NotFound;
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
    use crate::runner::result::Status;

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
