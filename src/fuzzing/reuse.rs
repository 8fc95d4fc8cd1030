//! Which sequences of a campaign on a tunnel budget need a new tunnel, and which run on one the
//! campaign already has. A sequence that opens one tunnel and neither closes it nor lets time
//! pass (rotations, describes, lists, tags) only needs an OPEN tunnel: an earlier sequence's,
//! adopted into the model (see `model::KeptTunnel`). Another Open, a CloseTunnel of the first tunnel
//! (it cannot be kept after) and time passing (the expiry of a tunnel the sequence opened with
//! its own lifetime is what it tests) cost a tunnel each.

use std::time::Duration;

use super::driver::{pick_index, Timeline};
use super::lifecycle::Step;
use super::model::KeptTunnel;

/// How long before its expiry an adopted tunnel is left alone (a sequence on it stops there):
/// more than the model's expiry slack (a second plus twice the slowest call) on any endpoint that
/// answers in a second. A kept tunnel has this and [`REUSE_ROOM`] left.
pub const REUSE_GUARD: Duration = Duration::from_secs(3);
/// The least time (real) a kept tunnel leaves a sequence on it before the guard.
pub const REUSE_ROOM: Duration = Duration::from_secs(2);

/// What a sequence does with tunnels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// Open steps, the first included.
    pub opens: usize,
    /// Whether it lets time pass.
    pub time: bool,
    /// Whether it closes (or deletes) its first tunnel.
    pub closes_first: bool,
    /// Whether its first step is an Open (the tunnel a kept one can stand in for).
    pub opens_first: bool,
}

impl Needs {
    pub fn of(steps: &[Step]) -> Needs {
        let mut n = 0;
        let mut needs = Needs {
            opens: 0,
            time: false,
            closes_first: false,
            opens_first: matches!(steps.first(), Some(Step::Open { .. })),
        };
        for step in steps {
            match step {
                Step::Open { .. } => {
                    n += 1;
                    needs.opens += 1;
                }
                Step::Advance { .. } => needs.time = true,
                Step::Close { tunnel, .. } if pick_index(*tunnel, n) == Some(0) => needs.closes_first = true,
                _ => {}
            }
        }
        needs
    }

    /// Whether the first tunnel can be a kept one.
    pub fn can_adopt(&self) -> bool {
        self.opens_first && !self.time
    }

    /// New tunnels the sequence costs, with its first tunnel a kept one (`adopt`) or not: the
    /// ones it opens, and the kept one it closes (the next sequence will need another).
    pub fn cost(&self, adopt: bool) -> usize {
        if adopt {
            self.opens - 1 + usize::from(self.closes_first)
        } else {
            self.opens
        }
    }
}

/// The steps of `steps` that run on a kept tunnel at no cost: up to (not including) the first
/// step that opens another tunnel, closes the first one or lets time pass.
pub fn free_prefix(steps: &[Step]) -> usize {
    if !matches!(steps.first(), Some(Step::Open { .. })) {
        return 0;
    }
    steps
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, s)| match s {
            Step::Open { .. } | Step::Advance { .. } => true,
            Step::Close { tunnel, .. } => pick_index(*tunnel, 1) == Some(0),
            _ => false,
        })
        .map_or(steps.len(), |(i, _)| i)
}

/// A tunnel kept open between sequences, and how many step numbers its destinationConfig values
/// were named after so far (the next sequence's offset).
#[derive(Debug, Clone)]
pub struct LaneTunnel {
    pub known: KeptTunnel,
    pub labels_used: usize,
}

/// One concurrent sequence's endpoint, the campaign's timeline there, and its kept tunnel.
pub struct Lane<'a, A> {
    pub api: &'a A,
    pub timeline: Timeline,
    pub kept: Option<LaneTunnel>,
}

impl<'a, A> Lane<'a, A> {
    pub fn new(api: &'a A) -> Lane<'a, A> {
        Lane {
            api,
            timeline: Timeline::new(),
            kept: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::notation;

    fn steps(text: &str) -> Vec<Step> {
        notation::parse(text).expect("valid notation")
    }

    #[test]
    fn rotations_describes_lists_and_tags_on_the_first_tunnel_cost_nothing_when_it_is_kept() {
        let s = steps("open:2m rotate:#0:ALL describe:#0 list tag:#0:k1:v2 rotate:unknown:SOURCE close:unknown");
        let n = Needs::of(&s);
        assert!(n.can_adopt());
        assert_eq!((n.cost(true), n.cost(false)), (0, 1));
        assert_eq!(free_prefix(&s), s.len());
    }

    #[test]
    fn another_open_a_close_of_the_first_tunnel_or_time_passing_cost_a_tunnel() {
        let s = steps("open:2m rotate:#0:ALL open:3m close:#1 close:#0:delete");
        let n = Needs::of(&s);
        assert_eq!((n.opens, n.closes_first, n.time), (2, true, false));
        assert_eq!(n.cost(true), 2);
        assert_eq!(free_prefix(&s), 2);
        let t = steps("open:1m describe:#0 advance:120s describe:#0");
        let n = Needs::of(&t);
        assert!(n.time && !n.can_adopt());
        assert_eq!(n.cost(false), 1);
        assert_eq!(free_prefix(&t), 2);
        assert_eq!(free_prefix(&steps("open:1m close:#0")), 1);
    }
}
