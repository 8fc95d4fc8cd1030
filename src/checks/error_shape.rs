//! error-shape: an error answer to a request an AWS SDK could send has a JSON object body, valid
//! against the error schema, and an error type where clients look for one (header, `__type` or
//! `code`).
//!
//! Only requests an SDK can produce are judged: `POST`, a known `X-Amz-Target` and the AWS JSON 1.1
//! content type. What a server answers to a GET, an unknown target or a wrong content type is left
//! open by PROTOCOL.md, and so is the error type's name.

use super::{answered, schema, summary, About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;
use crate::spec::model;
use crate::wire::parse_error;
use crate::wire::{HttpRequest, HttpResponse};

impl CheckId {
    pub const ERROR_SHAPE: CheckId = CheckId::new("error-shape");
}

const ID: CheckId = CheckId::ERROR_SHAPE;

pub struct ErrorShape;

impl Check for ErrorShape {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "an error response has a JSON body and an error type (X-Amzn-Errortype, __type or code)",
            citation: facts::CITE_ERRORS,
            statements: &["proto.wire.error-body"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        e.as_case().is_some_and(|c| c.answer().is_ok()) || e.as_step().is_some()
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        answered(e, ID)
            .ok()
            .and_then(|(req, resp)| check(req, resp))
            .into_iter()
            .collect()
    }
}

/// True when an AWS SDK could have sent `req` (so its error answer must be parseable by one).
pub fn sdk_sendable(req: &HttpRequest) -> bool {
    let content_type_ok = req
        .header("Content-Type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(facts::CONTENT_TYPE));
    req.method == "POST" && content_type_ok && req.operation().is_some_and(|op| model().operation(op).is_some())
}

/// `None` when the check does not apply: a non-error response, or a request no SDK sends.
pub fn check(req: &HttpRequest, resp: &HttpResponse) -> Option<CheckOutcome> {
    if resp.status < 400 || !sdk_sendable(req) {
        return None;
    }
    Some(check_error(resp))
}

/// The rule itself, on an error answer whatever the request: a JSON object body valid against the
/// error schema, and an error type where clients look for one.
pub fn check_error(resp: &HttpResponse) -> CheckOutcome {
    if resp.truncated {
        return CheckOutcome::error(ID, "the error body exceeded the size cap; cannot judge it");
    }
    let expected = "a JSON object body and an error type (X-Amzn-Errortype, __type or code)";
    let Some(body) = resp.body_json().filter(|v| v.is_object()) else {
        return CheckOutcome::fail(ID, format!("{}: the error body is not a JSON object", summary(resp)))
            .with(expected, format!("{} byte(s), not a JSON object", resp.body.len()));
    };
    if let Err(errors) = schema::validate_error(&body) {
        return CheckOutcome::fail(
            ID,
            format!("HTTP {}: the error body violates the error schema", resp.status),
        )
        .with("a body valid against the error schema", errors.join("; "));
    }
    match parse_error(resp) {
        Some(e) => CheckOutcome::pass(ID, format!("HTTP {} {}", resp.status, e.type_name)),
        None => CheckOutcome::fail(ID, format!("HTTP {}: no error type a client can read", resp.status))
            .with(expected, "a JSON object without an error type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;
    use serde_json::json;

    fn rotate() -> HttpRequest {
        HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "x", "clientMode": "ALL"}))
    }

    #[test]
    fn typed_json_errors_pass() {
        let r = json_response(400, r#"{"__type":"ValidationException","message":"m"}"#);
        assert_eq!(check(&rotate(), &r).unwrap().status, Status::Pass);
        let mut h = json_response(400, "{}");
        h.headers
            .push(("X-Amzn-Errortype".into(), "InvalidRequestException".into()));
        assert_eq!(check(&rotate(), &h).unwrap().status, Status::Pass);
    }

    #[test]
    fn non_json_or_typeless_errors_fail() {
        assert_eq!(
            check(&rotate(), &json_response(400, "Bad Request")).unwrap().status,
            Status::Fail
        );
        assert_eq!(
            check(&rotate(), &json_response(400, r#"{"message":"m"}"#))
                .unwrap()
                .status,
            Status::Fail
        );
        assert_eq!(
            check(&rotate(), &json_response(400, "[]")).unwrap().status,
            Status::Fail
        );
        assert_eq!(
            check(&rotate(), &json_response(500, "oops")).unwrap().status,
            Status::Fail
        );
    }

    #[test]
    fn left_open_requests_and_successes_are_not_judged() {
        let bad = json_response(404, "Not Found");
        let mut get = rotate();
        get.method = "GET".into();
        assert!(check(&get, &bad).is_none());
        let mut no_target = rotate();
        no_target.remove_header("X-Amz-Target");
        assert!(check(&no_target, &bad).is_none());
        let mut unknown = rotate();
        unknown.set_header("X-Amz-Target", "IoTSecuredTunneling.Nope");
        assert!(check(&unknown, &bad).is_none());
        let mut ct = rotate();
        ct.set_header("Content-Type", "text/plain");
        assert!(check(&ct, &bad).is_none());
        assert!(check(&rotate(), &json_response(200, "{}")).is_none());
    }
}
