//! Gating a finished run with a baseline, and a baseline from a run's failures.

use crate::report::groups::stable_text;
use crate::runner::{BaselineApplied, BaselineEntryResult, EntryState, RunResult, Status};

use super::file::{Baseline, Entry};
use super::pattern::CasePattern;

/// Turn every failure an entry lists into [`Status::Known`] and record, per entry, whether it
/// matched (known), no longer fails (fixed) or was not judged in this run (not-run).
/// `path` names the file in reports; `strict` (`--baseline-strict`) makes fixed entries fail.
pub fn apply(result: &mut RunResult, baseline: &Baseline, path: &str, strict: bool) {
    let mut entries = Vec::with_capacity(baseline.entries.len());
    for entry in &baseline.entries {
        // Validated on load; an unusable pattern matches nothing.
        let pattern = CasePattern::new(&entry.case);
        let mut known_cases = Vec::new();
        let (mut judged, mut unjudged) = (0usize, 0usize);
        for case in result.cases.iter_mut() {
            if !pattern.as_ref().is_some_and(|p| p.matches(&case.id)) {
                continue;
            }
            for o in case.outcomes.iter_mut().filter(|o| o.check == entry.check) {
                match o.status {
                    Status::Fail | Status::Known => {
                        o.status = Status::Known;
                        if known_cases.last() != Some(&case.id) {
                            known_cases.push(case.id.clone());
                        }
                    }
                    Status::Pass | Status::Advisory => judged += 1,
                    Status::Error | Status::Skip => unjudged += 1,
                }
            }
        }
        // Fixed only when the check judged every matching case and none failed: a case it could
        // not judge (an error) says nothing.
        let state = if !known_cases.is_empty() {
            EntryState::Known
        } else if judged > 0 && unjudged == 0 {
            EntryState::Fixed
        } else {
            EntryState::NotRun
        };
        entries.push(BaselineEntryResult {
            case: entry.case.clone(),
            check: entry.check,
            reason: entry.reason.clone(),
            state,
            known_cases,
        });
    }
    result.baseline = Some(BaselineApplied {
        path: path.to_owned(),
        strict,
        entries,
    });
}

/// A baseline listing the run's failures (`--write-baseline`): the entries of the applied
/// baseline that still match or were not judged (their patterns and reasons kept), then one
/// exact entry per new failure, its reason the failure's message (redacted, and without the
/// ids, ARNs and timestamps the target generated).
pub fn from_result(result: &RunResult) -> Baseline {
    let mut entries: Vec<Entry> = result
        .baseline
        .iter()
        .flat_map(|b| &b.entries)
        .filter(|e| e.state != EntryState::Fixed)
        .map(|e| Entry {
            case: e.case.clone(),
            check: e.check,
            reason: e.reason.clone(),
        })
        .collect();
    let mut new: Vec<Entry> = Vec::new();
    for case in &result.cases {
        // Redacted and free of generated values, so the written file is the same every run.
        let text = |s: &str| stable_text(result, case, s);
        for o in case.outcomes.iter().filter(|o| o.status == Status::Fail) {
            let mut reason = text(&o.message);
            if let (Some(e), Some(a)) = (&o.expected, &o.actual) {
                reason.push_str(&format!(" (expected {}, got {})", text(e), text(a)));
            }
            let entry = Entry {
                case: case.id.clone(),
                check: o.check,
                reason,
            };
            if !new.iter().any(|n| n.case == entry.case && n.check == entry.check) {
                new.push(entry);
            }
        }
    }
    // CheckId orders as the fixed check order.
    new.sort_by(|a, b| (a.case.as_str(), a.check).cmp(&(b.case.as_str(), b.check)));
    entries.extend(new);
    Baseline { entries }
}
