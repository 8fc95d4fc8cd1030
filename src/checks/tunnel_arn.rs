//! tunnel-arn: the rotation's `tunnelArn` is the ARN OpenTunnel/DescribeTunnel reported for the
//! tunnel. Its format is not judged (left open beyond the model's 1..1600 length).

use serde_json::Value;

use super::CheckId;
use crate::runner::result::CheckOutcome;

const ID: CheckId = CheckId::TunnelArn;

/// `expected`: the ARN the runner learned when it opened or described the tunnel.
pub fn check(body: &Value, expected: Option<&str>) -> CheckOutcome {
    let Some(expected) = expected else {
        return CheckOutcome::skip(
            ID,
            "the tunnel's ARN is unknown (OpenTunnel/DescribeTunnel did not return one)",
        );
    };
    match body.get("tunnelArn").and_then(Value::as_str) {
        Some(arn) if arn == expected => CheckOutcome::pass(ID, "tunnelArn matches the tunnel"),
        Some(arn) => CheckOutcome::fail(ID, "tunnelArn is not the tunnel's ARN").with(expected, arn),
        None => CheckOutcome::fail(ID, "no tunnelArn in the response").with(expected, "absent"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::result::Status;
    use serde_json::json;

    #[test]
    fn matching_arn_passes_other_fails() {
        let body = json!({"tunnelArn": "arn:aws:iot:us-east-1:1:tunnel/a"});
        assert_eq!(
            check(&body, Some("arn:aws:iot:us-east-1:1:tunnel/a")).status,
            Status::Pass
        );
        assert_eq!(
            check(&body, Some("arn:aws:iot:us-east-1:1:tunnel/b")).status,
            Status::Fail
        );
        assert_eq!(check(&json!({}), Some("x")).status, Status::Fail);
        assert_eq!(check(&body, None).status, Status::Skip);
    }
}
