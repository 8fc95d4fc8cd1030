//! The plan of a run: which work runs on which tunnel, in which order, and what it costs. The
//! runner executes it; `--plan` prints its footprint without sending anything.
//!
//! Two tunnels at most, whatever the budget:
//! - the shared tunnel: the aged rotation, every case that needs an OPEN tunnel, every data-plane
//!   scenario (each starts with a rotation for fresh tokens, since a token is single use), then
//!   CloseTunnel (the closed-tunnel scenario does it while a connection is open), then every
//!   case that needs a CLOSED tunnel;
//! - a 1-minute tunnel for the live check, which ends by expiry while the shared tunnel works.
//!
//! A third tunnel is only ever opened to replace one that an implementation closed when it
//! should not have (a case's failure must not become the next case's).

use std::time::Duration;

use serde_json::Value;

use super::data_plane_scenarios::Scenario;
use crate::cases::{Case, Expectation, TunnelState};

/// Cases checked together by one DescribeTunnel after the last of them. A change then makes the
/// runner send the group again one case at a time, so a failure still names its case.
pub const GROUP: usize = 8;

/// Cases run on the shared tunnel: one at a time with their own DescribeTunnel after, or a
/// group verified together.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    One(Case),
    Group(Vec<Case>),
}

impl Unit {
    pub fn cases(&self) -> &[Case] {
        match self {
            Unit::One(c) => std::slice::from_ref(c),
            Unit::Group(cs) => cs,
        }
    }
}

/// The shared tunnel's work, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharedPlan {
    /// The destinationConfig the tunnel is opened with (the first configured case's).
    pub open_with: Option<Value>,
    /// The aged rotation (duration-static) runs first, once the tunnel is a second old.
    pub aged: bool,
    /// Cases on an OPEN tunnel, configured ones first.
    pub open: Vec<Unit>,
    /// Data-plane scenarios: connection-state first (no connection was ever made), the
    /// closed-tunnel scenario last (it closes the tunnel).
    pub scenarios: Vec<Scenario>,
    /// Cases on a CLOSED tunnel, one at a time.
    pub closed: Vec<Case>,
}

impl SharedPlan {
    pub fn is_empty(&self) -> bool {
        !self.aged && self.open.is_empty() && self.scenarios.is_empty() && self.closed.is_empty()
    }
}

/// Everything a run will do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Cases that need no tunnel (unknown and literal ids): they run beside the rest.
    pub tunnel_less: Vec<Case>,
    pub shared: SharedPlan,
    /// The live check on its own 1-minute tunnel.
    pub live: bool,
}

/// Whether a case must be verified on its own: its check compares the tunnel right before and
/// right after it (a destinationConfig that earlier cases may change, a CLOSED tunnel).
fn alone(case: &Case) -> bool {
    matches!(case.expect, Expectation::SourceWithDestinationConfig)
        || matches!(
            &case.tunnel,
            TunnelState::Open {
                destination_config: Some(_)
            }
        )
}

impl Plan {
    /// `cases`: the selected cases; `aged`, `live`: whether those scenarios run; `scenarios`:
    /// the data-plane scenarios that run.
    pub fn new(cases: Vec<Case>, aged: bool, live: bool, mut scenarios: Vec<Scenario>) -> Plan {
        let mut tunnel_less = Vec::new();
        let (mut configured, mut plain, mut closed) = (Vec::new(), Vec::new(), Vec::new());
        for case in cases {
            match &case.tunnel {
                TunnelState::Open {
                    destination_config: Some(_),
                } => configured.push(case),
                TunnelState::Open {
                    destination_config: None,
                } => plain.push(case),
                TunnelState::Closed => closed.push(case),
                TunnelState::Unknown { .. } | TunnelState::None => tunnel_less.push(case),
            }
        }
        let config_key = |c: &Case| match &c.tunnel {
            TunnelState::Open { destination_config } => destination_config.as_ref().map(Value::to_string),
            _ => None,
        };
        // Cases wanting the same destinationConfig side by side: each change of it costs a step.
        configured.sort_by(|a, b| (config_key(a), &a.id).cmp(&(config_key(b), &b.id)));
        plain.sort_by(|a, b| a.id.cmp(&b.id));
        closed.sort_by(|a, b| a.id.cmp(&b.id));
        tunnel_less.sort_by(|a, b| a.id.cmp(&b.id));
        let open_with = configured.first().and_then(|c| match &c.tunnel {
            TunnelState::Open { destination_config } => destination_config.clone(),
            _ => None,
        });

        let mut open: Vec<Unit> = configured.into_iter().map(Unit::One).collect();
        let mut group: Vec<Case> = Vec::new();
        for case in plain {
            if alone(&case) {
                if !group.is_empty() {
                    open.push(Unit::Group(std::mem::take(&mut group)));
                }
                open.push(Unit::One(case));
                continue;
            }
            group.push(case);
            if group.len() == GROUP {
                open.push(Unit::Group(std::mem::take(&mut group)));
            }
        }
        if !group.is_empty() {
            open.push(Unit::Group(group));
        }
        scenarios.sort_by_key(|s| Scenario::ALL.iter().position(|x| x == s));
        Plan {
            tunnel_less,
            shared: SharedPlan {
                open_with,
                aged,
                open,
                scenarios,
                closed,
            },
            live,
        }
    }

    /// Every case and scenario id, for progress.
    pub fn total(&self) -> usize {
        self.tunnel_less.len()
            + usize::from(self.shared.aged)
            + self.shared.open.iter().map(|u| u.cases().len()).sum::<usize>()
            + self.shared.scenarios.len()
            + self.shared.closed.len()
            + usize::from(self.live)
    }

    /// What the run costs against a conformant endpoint: tunnels, requests and time.
    pub fn cost(&self, rate: Option<f64>, time_scale: f64) -> Cost {
        let s = &self.shared;
        let mut shared = 0usize;
        let mut tunnels = 0usize;
        if !s.is_empty() {
            tunnels += 1;
            // OpenTunnel, DescribeTunnel, and the deletion at the end.
            shared += 3;
            shared += if s.aged { 2 } else { 0 };
            for unit in &s.open {
                shared += match unit {
                    Unit::One(_) => 2,
                    Unit::Group(cs) => cs.len() + 1,
                };
            }
            shared += s.scenarios.iter().map(|sc| sc.requests()).sum::<usize>();
            if !s.closed.is_empty() {
                // CloseTunnel (unless the closed-tunnel scenario did) and the describe after it.
                let closes = !s.scenarios.contains(&Scenario::ClosedTunnel);
                shared += 1 + usize::from(closes) + 2 * s.closed.len();
            }
        }
        let lifetime = super::live::real_lifetime(time_scale);
        let live_requests = if self.live {
            tunnels += 1;
            super::live::requests_estimate()
        } else {
            0
        };
        let requests = 1 + shared + live_requests + self.tunnel_less.len();
        let paced = rate
            .filter(|r| *r > 0.0)
            .map_or(Duration::ZERO, |r| Duration::from_secs_f64(requests as f64 / r));
        let live_time = if self.live {
            super::live::duration_estimate(lifetime)
        } else {
            Duration::ZERO
        };
        let aged_time = if s.aged { super::aged::MIN_AGE } else { Duration::ZERO };
        Cost {
            tunnels,
            requests,
            time: paced.max(live_time).max(aged_time),
        }
    }
}

/// What a plan costs against a conformant endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Tunnels opened.
    pub tunnels: usize,
    /// Requests sent (retries not counted: they depend on the endpoint).
    pub requests: usize,
    /// About how long it takes: the requests at the rate, or the live check's wait if longer
    /// (the cases run while the live tunnel ages).
    pub time: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{all_cases, embedded_fixtures};

    fn plan() -> Plan {
        let cases = all_cases(1, embedded_fixtures().unwrap()).unwrap();
        Plan::new(cases, true, true, Scenario::ALL.to_vec())
    }

    #[test]
    fn two_tunnels_serve_every_case_and_scenario() {
        let p = plan();
        assert_eq!(p.cost(Some(5.0), 1.0).tunnels, 2);
        assert_eq!(p.shared.scenarios.first(), Some(&Scenario::ConnectionState));
        assert_eq!(p.shared.scenarios.last(), Some(&Scenario::ClosedTunnel));
        assert!(p.shared.open_with.is_some(), "the fixtures' configured cases set it");
        assert!(matches!(p.shared.open.first(), Some(Unit::One(_))));
    }

    #[test]
    fn grouped_cases_need_one_describe_per_group() {
        let p = plan();
        let f = p.cost(Some(5.0), 1.0);
        let groups: Vec<&Unit> = p.shared.open.iter().filter(|u| matches!(u, Unit::Group(_))).collect();
        let grouped: usize = groups.iter().map(|u| u.cases().len()).sum();
        let alone = p.shared.open.len() - groups.len();
        // A case verified alone ends a group early; otherwise groups are full.
        assert!(
            groups.len() <= grouped.div_ceil(GROUP) + alone,
            "{} groups for {grouped} cases",
            groups.len()
        );
        // Issue 16: a run against a remote endpoint sends about 400 requests at most.
        assert!(f.requests <= 400, "{} requests", f.requests);
    }
}
