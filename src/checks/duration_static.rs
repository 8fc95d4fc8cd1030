//! duration-static: a case on an OPEN tunnel (a successful rotation above all) leaves createdAt and
//! timeoutConfig as they were, and the tunnel OPEN: rotation does not extend the tunnel's life.

use serde_json::Value;

use super::{
    case_answer, same_json, same_timestamp, show, tunnel_status, About, Check, CheckId, CheckOutcome, Evidence,
    Subject, TunnelObservation,
};
use crate::cases::{Expectation, TunnelState};
use crate::spec::facts;

impl CheckId {
    pub const DURATION_STATIC: CheckId = CheckId::new("duration-static");
}

const ID: CheckId = CheckId::DURATION_STATIC;

pub struct DurationStatic;

/// The statements both duration checks enforce: this one reads the tunnel right after a
/// rotation, duration-live watches it reach its end.
pub(super) const NOT_EXTENDED: &[&str] = &[
    "api.not-extended",
    "proto.rotate.not-extended",
    "proto.lifecycle.open-until",
];

impl Check for DurationStatic {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "after a rotation createdAt and timeoutConfig are unchanged and the tunnel is still OPEN",
            citation: facts::CITE_NOT_EXTENDED,
            statements: NOT_EXTENDED,
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        match &e.subject {
            // Every case on an OPEN tunnel, unless the request legitimately changed the tunnel
            // (another operation the endpoint accepted); source-destination-config covers its own.
            Subject::Case(c) => {
                matches!(c.case.tunnel, TunnelState::Open { .. })
                    && !matches!(c.case.expect, Expectation::SourceWithDestinationConfig)
                    && !c.other_operation_accepted()
            }
            Subject::Aged(_) | Subject::Observed(_) => true,
            Subject::Live(_) | Subject::DataPlane(_) | Subject::Step(_) | Subject::Listing(_) | Subject::Tags(_) => {
                false
            }
        }
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        match &e.subject {
            Subject::Observed(o) => vec![check_reported(o)],
            Subject::Aged(obs) => vec![match &obs.inconclusive {
                Some(why) => CheckOutcome::error(ID, why.clone()),
                None => check(obs.before.as_ref(), obs.after.as_ref()),
            }],
            _ => vec![case_answer(e, ID).map_or_else(|o| o, |(c, _)| check(c.before, c.after))],
        }
    }
}

/// `before`/`after`: the DescribeTunnel `tunnel` objects around the request (None: not readable).
pub fn check(before: Option<&Value>, after: Option<&Value>) -> CheckOutcome {
    let (Some(before), Some(after)) = (before, after) else {
        return CheckOutcome::error(ID, "DescribeTunnel could not be read before and after the request");
    };
    let mut changed = Vec::new();
    if !same_timestamp(before.get("createdAt"), after.get("createdAt")) {
        changed.push(format!(
            "createdAt: {} -> {}",
            show(before.get("createdAt")),
            show(after.get("createdAt"))
        ));
    }
    if !same_json(before.get("timeoutConfig"), after.get("timeoutConfig")) {
        changed.push(format!(
            "timeoutConfig: {} -> {}",
            show(before.get("timeoutConfig")),
            show(after.get("timeoutConfig"))
        ));
    }
    if tunnel_status(after) != Some("OPEN") {
        changed.push(format!(
            "status: {} -> {}",
            show(before.get("status")),
            show(after.get("status"))
        ));
    }
    if changed.is_empty() {
        CheckOutcome::pass(ID, "createdAt and timeoutConfig unchanged, tunnel still OPEN")
    } else {
        CheckOutcome::fail(ID, "the tunnel's lifetime data changed")
            .with("createdAt and timeoutConfig unchanged, status OPEN", changed.join("; "))
    }
}

/// A tunnel a lifecycle sequence looked at still reports the createdAt it first reported, and
/// (DescribeTunnel) the maxLifetimeTimeoutMinutes it was opened with.
pub fn check_reported(o: &TunnelObservation) -> CheckOutcome {
    let created = o.reported.get("createdAt");
    if let (Some(first), Some(now)) = (o.expected.created_at, created) {
        if !same_timestamp(Some(first), Some(now)) {
            return CheckOutcome::fail(ID, format!("{}: createdAt changed", o.operation))
                .with(show(Some(first)), show(Some(now)));
        }
    }
    if o.full {
        let minutes = o
            .reported
            .pointer("/timeoutConfig/maxLifetimeTimeoutMinutes")
            .and_then(Value::as_f64);
        if minutes != Some(o.expected.lifetime_minutes) {
            return CheckOutcome::fail(
                ID,
                format!(
                    "{}: timeoutConfig.maxLifetimeTimeoutMinutes is not the lifetime the tunnel was opened with",
                    o.operation
                ),
            )
            .with(
                o.expected.lifetime_minutes.to_string(),
                minutes.map_or("missing".into(), |m| m.to_string()),
            );
        }
    }
    CheckOutcome::pass(ID, format!("{}: createdAt and timeoutConfig as they were", o.operation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use serde_json::json;

    fn t(created: f64, minutes: u32, status: &str) -> Value {
        json!({"status": status, "createdAt": created, "timeoutConfig": {"maxLifetimeTimeoutMinutes": minutes},
               "lastUpdatedAt": created})
    }

    #[test]
    fn unchanged_open_tunnel_passes() {
        let mut after = t(10.5, 720, "OPEN");
        after["lastUpdatedAt"] = json!(99);
        assert_eq!(check(Some(&t(10.5, 720, "OPEN")), Some(&after)).status, Status::Pass);
        after["timeoutConfig"] = json!({"maxLifetimeTimeoutMinutes": 720.0});
        assert_eq!(
            check(Some(&t(10.5, 720, "OPEN")), Some(&after)).status,
            Status::Pass,
            "720 == 720.0"
        );
    }

    #[test]
    fn reset_created_at_changed_timeout_or_closed_fails() {
        let before = t(10.5, 720, "OPEN");
        assert_eq!(check(Some(&before), Some(&t(11.0, 720, "OPEN"))).status, Status::Fail);
        assert_eq!(check(Some(&before), Some(&t(10.5, 1, "OPEN"))).status, Status::Fail);
        assert_eq!(check(Some(&before), Some(&t(10.5, 720, "CLOSED"))).status, Status::Fail);
        assert_eq!(check(None, Some(&before)).status, Status::Error);
    }
}
