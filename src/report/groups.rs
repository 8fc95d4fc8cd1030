//! Failures grouped by cause: the same check with the same message, expected and actual once
//! the parts that name the case are removed (tunnel ids, ARNs, request ids, timestamps, tokens,
//! the case id). One bug (say a 404 for every unknown tunnel) then reads as one group with its
//! case ids, not as ten near-identical blocks. The terminal summary and the CI summary group;
//! the JSON and JUnit reports keep every case.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::checks::CheckId;
use crate::runner::{CaseResult, CheckOutcome, RunResult, Status};

use super::snapshot::redact_text;

/// Failures with one cause.
pub struct Group<'a> {
    pub check: CheckId,
    /// In case order; the first is the one shown in full.
    pub items: Vec<(&'a CaseResult, &'a CheckOutcome)>,
}

impl<'a> Group<'a> {
    pub fn first(&self) -> (&'a CaseResult, &'a CheckOutcome) {
        self.items[0]
    }

    pub fn case_ids(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.items.iter().map(|(c, _)| c.id.as_str())
    }
}

/// The outcomes with `status`, grouped by cause: groups in check order, then by their first case.
pub fn groups(result: &RunResult, status: Status) -> Vec<Group<'_>> {
    let mut keyed: Vec<(Signature, Group<'_>)> = Vec::new();
    for case in super::sorted_cases(result) {
        for o in super::sorted_outcomes(case).into_iter().filter(|o| o.status == status) {
            let sig = signature(result, case, o);
            match keyed.iter_mut().find(|(s, _)| *s == sig) {
                Some((_, g)) => g.items.push((case, o)),
                None => keyed.push((
                    sig,
                    Group {
                        check: o.check,
                        items: vec![(case, o)],
                    },
                )),
            }
        }
    }
    let mut groups: Vec<Group<'_>> = keyed.into_iter().map(|(_, g)| g).collect();
    // Stable: keeps first-case order within a check.
    groups.sort_by_key(|g| super::check_rank(g.check));
    groups
}

#[derive(PartialEq)]
struct Signature {
    check: CheckId,
    message: String,
    expected: Option<String>,
    actual: Option<String>,
}

fn signature(result: &RunResult, case: &CaseResult, o: &CheckOutcome) -> Signature {
    let ids = case_tunnel_ids(case);
    let norm = |s: &str| {
        let text = redact_text(&result.redactor.scrub(s), &ids);
        // Messages may quote the case id (or a part of it).
        text.replace(case.id.as_str(), "[case]")
    };
    Signature {
        check: o.check,
        message: norm(&o.message),
        expected: o.expected.as_deref().map(norm),
        actual: o.actual.as_deref().map(norm),
    }
}

/// Tunnel ids a case's exchanges name (in request and response bodies).
fn case_tunnel_ids(case: &CaseResult) -> BTreeSet<String> {
    fn collect(body: &[u8], ids: &mut BTreeSet<String>) {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        for id in [v.get("tunnelId"), v.get("tunnel").and_then(|t| t.get("tunnelId"))]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|id| !id.is_empty())
        {
            ids.insert(id.to_owned());
        }
    }
    let mut ids = BTreeSet::new();
    collect(&case.request.body, &mut ids);
    for e in &case.exchanges {
        collect(&e.request.body, &mut ids);
        if let Some(resp) = &e.response {
            collect(&resp.body, &mut ids);
        }
    }
    ids
}
