//! lifecycle-listing: which tunnels an endpoint shows, as a lifecycle sequence sees them
//! (`rotcheck fuzz --sequences`, the cargo-fuzz `lifecycle` target): OpenTunnel names a new
//! tunnel; DescribeTunnel shows a tunnel until it is deleted (a closed one for at least 3 hours);
//! ListTunnels lists each visible tunnel once, never a deleted one, newest first. No single
//! request shows these: `rotcheck run` has nothing for this check to judge.

use super::{
    step_expects, summary, About, Check, CheckId, CheckOutcome, Evidence, ExpectedStatus, ListingObservation,
    StepExpectation, Subject,
};
use crate::spec::facts;

impl CheckId {
    pub const LISTING: CheckId = CheckId::new("lifecycle-listing");
}

const ID: CheckId = CheckId::LISTING;

pub struct Listing;

impl Check for Listing {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "a tunnel is shown until deleted (a closed one for at least 3 hours), listed once, newest first; OpenTunnel names a new one",
            citation: facts::CITE_LISTING,
            statements: &["proto.lifecycle.list-newest-first", "proto.lifecycle.kept-3-hours", "proto.lifecycle.delete"],
        }
    }

    fn sequences_only(&self) -> bool {
        true
    }

    fn applies(&self, e: &Evidence) -> bool {
        step_expects(e, StepExpectation::Visible) || matches!(e.subject, Subject::Listing(_))
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        let outcome = match &e.subject {
            Subject::Step(s) if s.response.status == 200 => CheckOutcome::pass(ID, "the tunnel is shown"),
            Subject::Step(s) => {
                CheckOutcome::fail(ID, "DescribeTunnel does not show a tunnel that must still be visible")
                    .with("HTTP 200", summary(s.response))
            }
            Subject::Listing(ListingObservation::Opened { id, known }) => check_opened(id, known),
            Subject::Listing(ListingObservation::Listed {
                listed,
                tunnels,
                complete,
                exclusive,
            }) => check_listed(listed, tunnels, *complete, *exclusive),
            _ => return Vec::new(),
        };
        vec![outcome]
    }
}

/// OpenTunnel answered with `id`: never one of `known`.
pub fn check_opened(id: &str, known: &[&str]) -> CheckOutcome {
    if known.contains(&id) {
        CheckOutcome::fail(ID, "OpenTunnel: a tunnelId handed out before came back")
            .with("a new tunnelId", "one seen before")
    } else {
        CheckOutcome::pass(ID, "OpenTunnel named a new tunnel")
    }
}

/// A ListTunnels walk listing `listed` (ids, in order), beside the sequence's `tunnels` (in the
/// order they were opened).
pub fn check_listed(
    listed: &[&str],
    tunnels: &[(&str, ExpectedStatus)],
    complete: bool,
    exclusive: bool,
) -> CheckOutcome {
    let fail = |why: String| CheckOutcome::fail(ID, format!("ListTunnels: {why}"));
    let mut order = Vec::new();
    for id in listed {
        let Some(i) = tunnels.iter().position(|(t, _)| t == id) else {
            if exclusive {
                return fail("a tunnel this sequence never opened is listed".into());
            }
            // Someone else's, on a shared account.
            continue;
        };
        if order.contains(&i) {
            return fail("a tunnel is listed twice".into());
        }
        if tunnels[i].1 == ExpectedStatus::Gone {
            return fail("a deleted tunnel is listed".into());
        }
        order.push(i);
    }
    for (i, (_, status)) in tunnels.iter().enumerate() {
        if status.visible() && complete && !order.contains(&i) {
            return fail(format!("a {status:?} tunnel is missing"));
        }
    }
    // Opened later is newer: the sequence's tunnels must come in decreasing opening order.
    if order.windows(2).any(|w| w[0] < w[1]) {
        return fail("not newest first".into());
    }
    CheckOutcome::pass(
        ID,
        format!("{} of the sequence's tunnel(s) listed as expected", order.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

    #[test]
    fn a_walk_lists_each_visible_tunnel_once_newest_first() {
        use ExpectedStatus::*;
        let tunnels = [("a", Open), ("b", Closed), ("c", Gone)];
        let status = |listed: &[&str], complete, exclusive| check_listed(listed, &tunnels, complete, exclusive).status;
        assert_eq!(status(&["b", "a"], true, true), Status::Pass);
        assert_eq!(status(&["a", "b"], true, true), Status::Fail, "oldest first");
        assert_eq!(status(&["b"], true, true), Status::Fail, "a missing");
        assert_eq!(status(&["b"], false, true), Status::Pass, "a cut walk may miss it");
        assert_eq!(status(&["c", "b", "a"], true, true), Status::Fail, "a deleted one");
        assert_eq!(status(&["b", "b", "a"], true, true), Status::Fail, "twice");
        assert_eq!(
            status(&["x", "b", "a"], true, true),
            Status::Fail,
            "another's, on our own endpoint"
        );
        assert_eq!(
            status(&["x", "b", "a"], true, false),
            Status::Pass,
            "another's, on a shared account"
        );
    }

    #[test]
    fn open_tunnel_names_a_new_tunnel() {
        assert_eq!(check_opened("a", &["b"]).status, Status::Pass);
        assert_eq!(check_opened("a", &["b", "a"]).status, Status::Fail);
    }
}
