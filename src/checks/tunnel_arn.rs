//! tunnel-arn: the rotation's `tunnelArn` is the ARN OpenTunnel/DescribeTunnel reported for the
//! tunnel. Its format is not judged (left open beyond the model's 1..1600 length).

use serde_json::Value;

use super::{one, rotation_body, About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;

impl CheckId {
    pub const TUNNEL_ARN: CheckId = CheckId::new("tunnel-arn");
}

const ID: CheckId = CheckId::TUNNEL_ARN;

pub struct TunnelArn;

impl Check for TunnelArn {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "tunnelArn equals the ARN OpenTunnel/DescribeTunnel report for the tunnel",
            citation: facts::CITE_TOKENS_PER_MODE,
            statements: &["api.tunnel-arn"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        e.as_case().is_some_and(|c| c.success_mode().is_some())
            || e.as_step()
                .is_some_and(|s| s.succeeded() && s.tokens.is_some() && s.tunnel_arn.is_some())
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        let expected = match e.as_step() {
            Some(s) => s.tunnel_arn,
            None => e.as_case().and_then(|c| c.tunnel_arn),
        };
        one(rotation_body(e, ID).map(|(body, _)| check(&body, expected)))
    }
}

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
    use crate::checks::Status;
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
