//! describe-shape: every OpenTunnel/DescribeTunnel success the runner reads (setup and verification
//! calls) is valid against its response shape: timestamps are numbers, status is OPEN or CLOSED, ...
//! So is the success of a step that sends either operation on its own (a fuzzed request, a
//! lifecycle step): an OpenTunnel success names its tunnel, and a tunnel a lifecycle sequence
//! describes reports its createdAt.

use serde_json::Value;

use super::{schema, About, Check, CheckId, CheckOutcome, Evidence, Exchange, TunnelObservation};
use crate::spec::facts;
use crate::wire::HttpResponse;

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
        if let Some(s) = e.as_step().filter(|s| s.succeeded()) {
            return s
                .operation()
                .and_then(|op| check_step(op, s.response))
                .into_iter()
                .collect();
        }
        if let Some(o) = e.as_observed() {
            return check_reported(o).into_iter().collect();
        }
        check(e.exchanges).into_iter().collect()
    }
}
/// The successes this check judges (response-schema leaves them to it).
pub(crate) const OPERATIONS: [&str; 2] = ["OpenTunnel", "DescribeTunnel"];

/// The body of one OpenTunnel/DescribeTunnel success: the problem with it, if any.
fn problem(op: &str, resp: &HttpResponse) -> Option<String> {
    match resp.body_json() {
        None => Some(format!("{op}: body is not JSON")),
        Some(body) => schema::validate_response(op, &body)
            .err()
            .map(|errors| format!("{op}: {}", errors.join("; "))),
    }
}

fn failed(problems: &[String]) -> CheckOutcome {
    CheckOutcome::fail(ID, "an OpenTunnel/DescribeTunnel response violates its shape")
        .with("bodies valid against the model's output shapes", problems.join(" | "))
}

/// A step's own OpenTunnel/DescribeTunnel success (`None` for another operation). An OpenTunnel
/// success also names the tunnel it opened: every later call needs its `tunnelId`.
fn check_step(op: &str, resp: &HttpResponse) -> Option<CheckOutcome> {
    if !OPERATIONS.contains(&op) {
        return None;
    }
    let mut problems: Vec<String> = problem(op, resp).into_iter().collect();
    let named = resp.body_json().is_some_and(|b| {
        b.get("tunnelId")
            .and_then(Value::as_str)
            .is_some_and(|id| !id.is_empty())
    });
    if op == "OpenTunnel" && problems.is_empty() && !named {
        problems.push("OpenTunnel: no tunnelId".into());
    }
    Some(if problems.is_empty() {
        CheckOutcome::pass(ID, format!("{op} response valid"))
    } else {
        failed(&problems)
    })
}

/// A tunnel a lifecycle sequence described reports its createdAt (a ListTunnels summary may
/// leave it out: `None`).
fn check_reported(o: &TunnelObservation) -> Option<CheckOutcome> {
    if !o.full {
        return None;
    }
    Some(match o.reported.get("createdAt") {
        Some(_) => CheckOutcome::pass(ID, format!("{}: createdAt reported", o.operation)),
        None => {
            CheckOutcome::fail(ID, format!("{}: the tunnel has no createdAt", o.operation)).with("createdAt", "absent")
        }
    })
}

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
        problems.extend(problem(op, resp));
    }
    if judged == 0 {
        return None;
    }
    Some(if problems.is_empty() {
        CheckOutcome::pass(ID, format!("{judged} OpenTunnel/DescribeTunnel response(s) valid"))
    } else {
        failed(&problems)
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
