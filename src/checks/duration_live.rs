//! duration-live: a tunnel rotated mid-life still closes at createdAt + maxLifetimeTimeoutMinutes.
//!
//! The runner opens a one-minute tunnel (scaled by the time scale), rotates at 60% of its life and
//! polls DescribeTunnel. Times are local: OpenTunnel returned at 0; the server's createdAt is at or
//! before that, so a faithful server is CLOSED for every poll *sent* after lifetime + grace. A
//! server that restarts the clock at rotation closes at 1.6 lifetimes and is caught by the first
//! poll after the deadline. Late polls (a slow machine) can only miss a fault, never invent one.

use serde_json::Value;

use super::{show, tunnel_status, About, Check, CheckId, CheckOutcome, Evidence, Subject, TunnelObservation};
use crate::spec::facts;

impl CheckId {
    pub const DURATION_LIVE: CheckId = CheckId::new("duration-live");
}

const ID: CheckId = CheckId::DURATION_LIVE;

pub struct DurationLive;

impl Check for DurationLive {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "a tunnel rotated mid-life is CLOSED once createdAt + maxLifetimeTimeoutMinutes has passed",
            citation: facts::CITE_NOT_EXTENDED,
            statements: super::duration_static::NOT_EXTENDED,
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        matches!(e.subject, Subject::Live(_) | Subject::Observed(_))
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        match &e.subject {
            Subject::Live(obs) => judge(obs),
            Subject::Observed(o) => vec![check_reported(o)],
            _ => Vec::new(),
        }
    }
}

/// What the live scenario observed. Times are milliseconds after OpenTunnel returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveObservation {
    pub lifetime_ms: u64,
    pub grace_ms: u64,
    /// Why the scenario could not be completed (setup failure, rotation refused, unreadable state).
    pub inconclusive: Option<String>,
    /// createdAt from the first DescribeTunnel after OpenTunnel.
    pub created_at: Option<Value>,
    /// The first later createdAt that differs from `created_at`, with when it was read.
    pub created_at_changed: Option<(u64, Value)>,
    /// Send time of the first poll that saw CLOSED.
    pub closed_seen_ms: Option<u64>,
    /// Send time of a poll after the deadline that still saw OPEN.
    pub open_after_deadline_ms: Option<u64>,
    /// HTTP status of the rotation attempted once the tunnel was CLOSED.
    pub late_rotation_status: Option<u16>,
    /// The tunnel's status read after that rotation.
    pub status_after_late_rotation: Option<String>,
}

impl LiveObservation {
    /// The latest time the tunnel may still be OPEN.
    pub fn deadline_ms(&self) -> u64 {
        self.lifetime_ms + self.grace_ms
    }
}

/// Whether a tunnel a lifecycle sequence looked at is still OPEN past its lifetime, never closed
/// by CloseTunnel: its lifetime was extended.
pub fn outlived(o: &TunnelObservation) -> bool {
    let status = tunnel_status(o.reported);
    status == Some("OPEN") && !o.expected.closed_by_request && !o.expected.status.allows(status)
}

/// A tunnel a lifecycle sequence looked at is not OPEN past createdAt + maxLifetimeTimeoutMinutes.
pub fn check_reported(o: &TunnelObservation) -> CheckOutcome {
    if !outlived(o) {
        return CheckOutcome::pass(ID, format!("{}: not OPEN past its lifetime", o.operation));
    }
    CheckOutcome::fail(
        ID,
        format!("{}: the tunnel is still OPEN past its lifetime", o.operation),
    )
    .with("status CLOSED", super::closed_tunnel::lifecycle(o))
}

/// Grace beyond the lifetime: 20% of it, at least 50 ms (absorbs latency and clock granularity).
pub fn grace_ms(lifetime_ms: u64) -> u64 {
    (lifetime_ms / 5).max(50)
}

pub fn judge(obs: &LiveObservation) -> Vec<CheckOutcome> {
    let mut out = Vec::new();
    if let Some(sent) = obs.open_after_deadline_ms {
        out.push(
            CheckOutcome::fail(ID, "the rotated tunnel outlived createdAt + maxLifetimeTimeoutMinutes").with(
                format!(
                    "CLOSED by {} ms after OpenTunnel (lifetime {} ms + grace)",
                    obs.deadline_ms(),
                    obs.lifetime_ms
                ),
                format!("still OPEN at {sent} ms"),
            ),
        );
    }
    if let Some((at, later)) = &obs.created_at_changed {
        out.push(
            CheckOutcome::fail(ID, "createdAt changed after the rotation")
                .with(show(obs.created_at.as_ref()), format!("{later} (read at {at} ms)")),
        );
    }
    if let Some(status) = obs.status_after_late_rotation.as_deref().filter(|s| *s != "CLOSED") {
        out.push(
            CheckOutcome::fail(ID, "rotating the expired tunnel reopened it")
                .with("status CLOSED", format!("status {status}")),
        );
    }
    if out.is_empty() {
        match (&obs.inconclusive, obs.closed_seen_ms) {
            (Some(why), _) => out.push(CheckOutcome::error(ID, format!("live scenario inconclusive: {why}"))),
            (None, None) => out.push(CheckOutcome::error(
                ID,
                "live scenario ended without seeing the tunnel close",
            )),
            (None, Some(at)) => out.push(CheckOutcome::pass(
                ID,
                format!(
                    "CLOSED at {at} ms (limit {} ms; closing delay after the lifetime: {} ms), createdAt unchanged",
                    obs.deadline_ms(),
                    at.saturating_sub(obs.lifetime_ms)
                ),
            )),
        }
    }
    if obs.late_rotation_status.is_some_and(|s| (200..300).contains(&s)) {
        out.push(CheckOutcome::advisory(
            ID,
            "rotating the expired tunnel succeeded; the real service is inferred to refuse it with a 4xx",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use serde_json::json;

    fn faithful() -> LiveObservation {
        LiveObservation {
            lifetime_ms: 1000,
            grace_ms: grace_ms(1000),
            created_at: Some(json!(5)),
            closed_seen_ms: Some(1010),
            late_rotation_status: Some(400),
            status_after_late_rotation: Some("CLOSED".into()),
            ..Default::default()
        }
    }

    fn statuses(o: &LiveObservation) -> Vec<Status> {
        judge(o).into_iter().map(|x| x.status).collect()
    }

    #[test]
    fn grace_is_a_fifth_with_a_floor() {
        assert_eq!(grace_ms(60_000), 12_000);
        assert_eq!(grace_ms(100), 50);
    }

    #[test]
    fn faithful_server_passes_and_late_acceptance_is_advisory() {
        assert_eq!(statuses(&faithful()), [Status::Pass]);
        let o = LiveObservation {
            late_rotation_status: Some(200),
            ..faithful()
        };
        assert_eq!(statuses(&o), [Status::Pass, Status::Advisory]);
    }

    #[test]
    fn extended_life_changed_created_at_or_reopening_fails() {
        let extended = LiveObservation {
            closed_seen_ms: Some(1600),
            open_after_deadline_ms: Some(1210),
            ..faithful()
        };
        assert_eq!(statuses(&extended), [Status::Fail]);
        let reset = LiveObservation {
            created_at_changed: Some((600, json!(6))),
            ..faithful()
        };
        assert_eq!(statuses(&reset), [Status::Fail]);
        let reopened = LiveObservation {
            status_after_late_rotation: Some("OPEN".into()),
            ..faithful()
        };
        assert_eq!(statuses(&reopened), [Status::Fail]);
    }

    #[test]
    fn incomplete_scenario_is_an_error_not_a_failure() {
        let o = LiveObservation {
            inconclusive: Some("rotation refused".into()),
            closed_seen_ms: None,
            ..faithful()
        };
        assert_eq!(statuses(&o), [Status::Error]);
    }
}
