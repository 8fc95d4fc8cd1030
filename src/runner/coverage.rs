//! No silent passes: a run whose selection judged nothing, or in which an explicitly selected
//! check never ran (say `--checks duration-live` with the live check off), cannot be a pass. Each
//! such gap becomes a harness error (exit 2) that says why.

use super::result::{CaseResult, SkippedCheck, Status};
use crate::checks::CheckId;

/// The gaps of a finished run. `explicit`: the checks the user named (empty: all, by default).
pub fn gaps(explicit: &[CheckId], cases: &[CaseResult], skipped: &[SkippedCheck]) -> Vec<String> {
    let judged = |id: Option<CheckId>| {
        cases
            .iter()
            .flat_map(|c| &c.outcomes)
            .filter(|o| id.is_none_or(|id| o.check == id))
            .any(|o| o.status != Status::Skip)
    };
    let mut out = Vec::new();
    for id in explicit {
        if !judged(Some(*id)) {
            let why = skipped
                .iter()
                .find(|s| s.check == *id)
                .map_or("no selected case exercises it (see --only)".to_owned(), |s| {
                    s.reason.clone()
                });
            out.push(format!("selected check {id} never ran: {why}"));
        }
    }
    if out.is_empty() && !judged(None) {
        out.push("the selection judged nothing: no check ran on any case (see --only and --checks)".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `--checks duration-live` with the live check off judged nothing and exited 0.
    #[test]
    fn a_selected_check_that_never_ran_is_a_gap() {
        let skipped = [SkippedCheck {
            check: CheckId::DURATION_LIVE,
            reason: "the live scenario is off".into(),
        }];
        let g = gaps(&[CheckId::DURATION_LIVE], &[], &skipped);
        assert_eq!(g, ["selected check duration-live never ran: the live scenario is off"]);
        assert_eq!(gaps(&[], &[], &[]).len(), 1, "judging nothing at all is a gap");
    }
}
