//! invalid-rejected: input the model forbids is refused with a 4xx carrying an error type. The
//! type's name is left open (ValidationException, InvalidRequestException, ...).
//!
//! A request no SDK sends (no known X-Amz-Target, another content type) must still be refused
//! with a 4xx, but the shape of that refusal is only inferred in PROTOCOL.md ("unknown target:
//! 400 UnknownOperationException (inferred...)"), so there any 4xx passes.
//!
//! An invalid tunnelId answered with ResourceNotFoundException (the tunnel looked up before the
//! input was validated) is an advisory: PROTOCOL.md infers a validation error for invalid input
//! ("Inferred: type ValidationException"); `--strict` makes it a failure.

use super::error_shape::sdk_sendable;
use super::{
    answered, expects, one, step_expects, summary, About, Check, CheckId, CheckOutcome, Evidence, StepExpectation,
};
use crate::cases::Expectation;
use crate::spec::facts;
use crate::wire::parse_error;
use crate::wire::{HttpRequest, HttpResponse};

impl CheckId {
    pub const INVALID_REJECTED: CheckId = CheckId::new("invalid-rejected");
}

const ID: CheckId = CheckId::INVALID_REJECTED;

pub struct InvalidRejected;

impl Check for InvalidRejected {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "input the model forbids is refused with a 4xx and an error type",
            citation: facts::CITE_INVALID_INPUT,
            statements: &[
                "proto.wire.invalid-input",
                "proto.wire.validation-error",
                "proto.wire.malformed-json",
                "proto.wire.unknown-operation",
                "model.tunnel-id.pattern",
                "model.client-mode.enum",
                "model.rotate-request.required",
                "model.destination-config.required",
                "model.service-list.min",
                "model.service.pattern",
                "model.service.min",
                "model.service.max",
                "model.thing-name.pattern",
                "model.thing-name.min",
                "model.thing-name.max",
            ],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        expects(e, |x| matches!(x, Expectation::Invalid)) || step_expects(e, StepExpectation::Invalid)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        one(answered(e, ID).map(|(req, resp)| check(req, resp)))
    }
}
const EXPECTED: &str = "a 4xx with an error type";

pub fn check(req: &HttpRequest, resp: &HttpResponse) -> CheckOutcome {
    let error = parse_error(resp);
    match (resp.status, error) {
        (400..=499, Some(e)) if e.type_name == "ResourceNotFoundException" && invalid_tunnel_id(req) => {
            CheckOutcome::advisory(
                ID,
                "an invalid tunnelId was looked up before it was validated; the real service is inferred to answer a validation error",
            )
            .with("a validation error (inferred)", summary(resp))
        }
        (400..=499, Some(e)) => CheckOutcome::pass(ID, format!("refused: HTTP {} {}", resp.status, e.type_name)),
        (400..=499, None) if !sdk_sendable(req) => {
            CheckOutcome::pass(ID, format!("refused: HTTP {} (no SDK sends this request)", resp.status))
        }
        (400..=499, None) => {
            CheckOutcome::fail(ID, "refused without an error type a client can read").with(EXPECTED, summary(resp))
        }
        (200..=299, _) => CheckOutcome::fail(ID, "input the model forbids was accepted").with(EXPECTED, summary(resp)),
        _ => CheckOutcome::fail(ID, "input the model forbids did not get a 4xx").with(EXPECTED, summary(resp)),
    }
}

/// The request's tunnelId is a string the model's TunnelId shape refuses (length, pattern).
fn invalid_tunnel_id(req: &HttpRequest) -> bool {
    let body: Option<serde_json::Value> = serde_json::from_slice(&req.body).ok();
    let id = body.as_ref().and_then(|b| b.get("tunnelId")).filter(|v| v.is_string());
    id.is_some_and(|id| crate::spec::validate::validate_shape(crate::spec::model(), "TunnelId", id).is_err())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;
    use crate::spec::facts;
    use serde_json::json;

    fn rotate() -> HttpRequest {
        HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "", "clientMode": "ALL"}))
    }

    #[test]
    fn any_typed_4xx_passes() {
        assert_eq!(
            check(&rotate(), &json_response(400, r#"{"__type":"ValidationException"}"#)).status,
            Status::Pass
        );
        assert_eq!(
            check(&rotate(), &json_response(422, r#"{"code":"InvalidRequestException"}"#)).status,
            Status::Pass
        );
    }

    #[test]
    fn acceptance_typeless_or_5xx_fails() {
        assert_eq!(
            check(&rotate(), &json_response(200, r#"{"tunnelArn":"a"}"#)).status,
            Status::Fail
        );
        assert_eq!(check(&rotate(), &json_response(400, "bad")).status, Status::Fail);
        assert_eq!(
            check(&rotate(), &json_response(500, r#"{"__type":"InternalFailure"}"#)).status,
            Status::Fail
        );
    }

    #[test]
    fn typeless_4xx_passes_only_for_requests_no_sdk_sends() {
        let mut no_target = rotate();
        no_target.remove_header("X-Amz-Target");
        assert_eq!(check(&no_target, &json_response(404, "Not Found")).status, Status::Pass);
        assert_eq!(check(&no_target, &json_response(200, "{}")).status, Status::Fail);
        assert_eq!(check(&rotate(), &json_response(404, "Not Found")).status, Status::Fail);
    }

    #[test]
    fn not_found_for_an_invalid_tunnel_id_is_an_advisory() {
        let not_found = json_response(400, r#"{"__type":"ResourceNotFoundException"}"#);
        let long = HttpRequest::json(
            facts::ROTATE,
            &json!({"tunnelId": "x".repeat(129), "clientMode": "ALL"}),
        );
        assert_eq!(check(&long, &not_found).status, Status::Advisory);
        // The tunnelId is fine: the request is invalid otherwise, and which error wins is left open.
        let bad_mode = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "abc", "clientMode": "NOPE"}));
        assert_eq!(check(&bad_mode, &not_found).status, Status::Pass);
    }
}
