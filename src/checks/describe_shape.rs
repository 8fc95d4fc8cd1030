//! describe-shape: every OpenTunnel/DescribeTunnel success the runner reads (setup and verification
//! calls) is valid against its response shape: timestamps are numbers, status is OPEN or CLOSED, ...

use super::{schema, About, Check, CheckId, CheckOutcome, Evidence, Exchange};
use crate::spec::facts;

impl CheckId {
    pub const DESCRIBE_SHAPE: CheckId = CheckId::new("describe-shape");
}

const ID: CheckId = CheckId::DESCRIBE_SHAPE;

pub struct DescribeShape;

impl Check for DescribeShape {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "every OpenTunnel/DescribeTunnel response the runner reads is valid against its schema",
            citation: facts::CITE_SUCCESS,
            statements: &[
                "proto.wire.timestamps",
                "model.tunnel-status.enum",
                "model.connection-status.enum",
                "model.tunnel-arn.min",
                "model.tunnel-arn.max",
            ],
        }
    }

    fn applies(&self, _e: &Evidence) -> bool {
        true
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        check(e.exchanges).into_iter().collect()
    }
}
const OPERATIONS: [&str; 2] = ["OpenTunnel", "DescribeTunnel"];

/// `None` when the case read no OpenTunnel/DescribeTunnel success.
pub fn check(exchanges: &[Exchange]) -> Option<CheckOutcome> {
    let mut judged = 0;
    let mut problems = Vec::new();
    for x in exchanges.iter().filter(|x| x.role != "request") {
        let (Some(op), Some(resp)) = (x.request.operation(), x.response.as_ref()) else {
            continue;
        };
        if !OPERATIONS.contains(&op) || !resp.is_success() {
            continue;
        }
        judged += 1;
        match resp.body_json() {
            None => problems.push(format!("{op}: body is not JSON")),
            Some(body) => {
                if let Err(errors) = schema::validate_response(op, &body) {
                    problems.push(format!("{op}: {}", errors.join("; ")));
                }
            }
        }
    }
    if judged == 0 {
        return None;
    }
    Some(if problems.is_empty() {
        CheckOutcome::pass(ID, format!("{judged} OpenTunnel/DescribeTunnel response(s) valid"))
    } else {
        CheckOutcome::fail(ID, "an OpenTunnel/DescribeTunnel response violates its shape")
            .with("bodies valid against the model's output shapes", problems.join(" | "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;
    use crate::wire::HttpRequest;
    use serde_json::json;

    fn describe(body: &str) -> Exchange {
        Exchange {
            role: "verify".into(),
            request: HttpRequest::json("DescribeTunnel", &json!({"tunnelId": "t"})),
            response: Some(json_response(200, body)),
            transport_error: None,
            attempts: 1,
            retried: Vec::new(),
            elapsed_ms: 1,
        }
    }

    #[test]
    fn numeric_timestamps_pass_strings_fail() {
        let ok = describe(r#"{"tunnel":{"status":"OPEN","createdAt":1700000000.25}}"#);
        assert_eq!(check(std::slice::from_ref(&ok)).unwrap().status, Status::Pass);
        let bad = describe(r#"{"tunnel":{"status":"OPEN","createdAt":"2023-11-14T22:13:20Z"}}"#);
        assert_eq!(check(&[ok, bad]).unwrap().status, Status::Fail);
        let bad_status = describe(r#"{"tunnel":{"status":"open"}}"#);
        assert_eq!(check(&[bad_status]).unwrap().status, Status::Fail);
    }

    #[test]
    fn the_cases_own_request_and_errors_are_not_judged() {
        let mut own = describe(r#"{"tunnel":{"status":1}}"#);
        own.role = "request".into();
        assert!(check(&[own]).is_none());
        let mut err = describe("not json");
        err.response = Some(json_response(400, "not json"));
        assert!(check(&[err]).is_none());
    }
}
