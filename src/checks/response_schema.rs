//! response-schema: a successful rotation carries a JSON content type and a body valid against the
//! RotateTunnelAccessTokenResponse shape. So does the success of a step sending another operation
//! on its own (a fuzzed request, a lifecycle step), against that operation's shape (OpenTunnel's
//! and DescribeTunnel's are describe-shape's); a success to a request naming no operation fails. `application/json` and media-type parameters are accepted
//! (PROTOCOL.md leaves the response content type between the two open).

use super::{one, rotation_success, schema, About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;
use crate::wire::HttpResponse;

impl CheckId {
    pub const RESPONSE_SCHEMA: CheckId = CheckId::new("response-schema");
}

const ID: CheckId = CheckId::RESPONSE_SCHEMA;

pub struct ResponseSchema;

impl Check for ResponseSchema {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "a successful rotation is HTTP 200 with a JSON content type and a body valid against the RotateTunnelAccessTokenResponse schema",
            citation: facts::CITE_SUCCESS,
            statements: &[
                "proto.wire.success",
                "api.success-200",
                "model.tunnel-arn.min",
                "model.tunnel-arn.max",
            ],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        e.as_case().is_some_and(|c| c.success_mode().is_some())
            || e.as_step().is_some_and(|s| {
                s.succeeded()
                    && !s
                        .operation()
                        .is_some_and(|op| super::describe_shape::OPERATIONS.contains(&op))
            })
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(s) = e.as_step() {
            return vec![match s.operation() {
                Some(op) => check_operation(op, s.response),
                None => CheckOutcome::fail(ID, "a success to a request that names no operation").with(
                    "an error (no X-Amz-Target of the service)",
                    format!("HTTP {}", s.response.status),
                ),
            }];
        }
        one(rotation_success(e, ID).map(|(resp, _)| check(resp)))
    }
}

/// Media types clients parse as AWS JSON 1.1 responses.
const JSON_MEDIA_TYPES: [&str; 2] = [facts::CONTENT_TYPE, "application/json"];

/// The media type without parameters, lowercased.
pub fn media_type(resp: &HttpResponse) -> Option<String> {
    let ct = resp.header("Content-Type")?;
    Some(ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// A successful rotation.
pub fn check(resp: &HttpResponse) -> CheckOutcome {
    check_operation(facts::ROTATE, resp)
}

/// A success of `operation`: a JSON content type and a body valid against its response shape.
pub fn check_operation(operation: &str, resp: &HttpResponse) -> CheckOutcome {
    let media = media_type(resp);
    if !media.as_deref().is_some_and(|m| JSON_MEDIA_TYPES.contains(&m)) {
        return CheckOutcome::fail(ID, "the success response does not have a JSON content type").with(
            JSON_MEDIA_TYPES.join(" or "),
            media.unwrap_or_else(|| "no Content-Type".into()),
        );
    }
    if resp.truncated {
        return CheckOutcome::error(ID, "the response body exceeded the size cap; cannot validate it");
    }
    let Some(body) = resp.body_json() else {
        return CheckOutcome::fail(ID, "the success body is not JSON").with("a JSON object", "unparseable body");
    };
    match schema::validate_response(operation, &body) {
        Ok(()) => CheckOutcome::pass(ID, format!("JSON body valid against {operation}Response")),
        Err(errors) => CheckOutcome::fail(ID, format!("the success body violates the {operation}Response shape"))
            .with("a body valid against the schema", errors.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;

    #[test]
    fn valid_body_with_either_json_content_type_passes() {
        let mut r = json_response(
            200,
            r#"{"tunnelArn":"arn:aws:iot:r:1:tunnel/x","sourceAccessToken":"t","extra":1}"#,
        );
        assert_eq!(check(&r).status, Status::Pass);
        r.headers = vec![("content-type".into(), "application/json; charset=utf-8".into())];
        assert_eq!(check(&r).status, Status::Pass);
    }

    #[test]
    fn wrong_content_type_or_body_fails() {
        let mut r = json_response(200, r#"{"tunnelArn":"a"}"#);
        r.headers = vec![("Content-Type".into(), "text/plain".into())];
        assert_eq!(check(&r).status, Status::Fail);
        assert_eq!(check(&json_response(200, "not json")).status, Status::Fail);
        assert_eq!(check(&json_response(200, r#"{"tunnelArn":42}"#)).status, Status::Fail);
        assert_eq!(check(&json_response(200, r#"{"tunnelArn":""}"#)).status, Status::Fail);
    }
}
