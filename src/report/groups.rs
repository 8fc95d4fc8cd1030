//! Failures grouped by cause: the same check with the same message, expected and actual once
//! the parts that name the case are removed (tunnel ids, ARNs, request ids, timestamps, tokens,
//! the case id, and numbers such as byte counts and indexes; HTTP status codes are kept). One bug (say a 404 for every unknown tunnel) then reads as one group with its
//! case ids, not as ten near-identical blocks. The terminal summary and the CI summary group;
//! the JSON and JUnit reports keep every case.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;
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

/// `text` about `case` without secrets or values the target generates: the snapshot
/// redactions (tunnel ids the case's exchanges name, ARNs, UUIDs, timestamps) after the run's
/// redactor. Stable from run to run against the same target.
pub fn stable_text(result: &RunResult, case: &CaseResult, text: &str) -> String {
    redact_text(&result.redactor.scrub(text), &case_tunnel_ids(case))
}

fn signature(result: &RunResult, case: &CaseResult, o: &CheckOutcome) -> Signature {
    let norm = |s: &str| {
        let text = stable_text(result, case, s);
        // Messages may quote the case id (or a part of it).
        let text = text.replace(case.id.as_str(), "[case]");
        numbers()
            .replace_all(&text, |c: &regex::Captures| match c.get(1) {
                Some(_) => c[0].to_owned(),
                None => "[n]".to_owned(),
            })
            .into_owned()
    };
    Signature {
        check: o.check,
        message: norm(&o.message),
        expected: o.expected.as_deref().map(norm),
        actual: o.actual.as_deref().map(norm),
    }
}

/// Digit runs, with the `HTTP ` before a status code captured so it is kept.
fn numbers() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(HTTP )?\d+").expect("a valid regex"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{CaseKind, Expectation, TunnelState};
    use crate::checks::CheckOutcome;
    use crate::spec::facts;
    use crate::wire::HttpRequest;

    fn case(id: &str, tunnel: &str, outcome: CheckOutcome) -> CaseResult {
        CaseResult {
            id: id.into(),
            kind: CaseKind::Boundary,
            description: String::new(),
            operator: None,
            tunnel: TunnelState::Unknown { id: tunnel.into() },
            expect: Expectation::NotFound,
            request: HttpRequest::json(
                facts::ROTATE,
                &serde_json::json!({"tunnelId": tunnel, "clientMode": "ALL"}),
            ),
            response: None,
            error_type: None,
            transport_error: None,
            outcomes: vec![outcome],
            exchanges: vec![],
            duration_ms: 0,
        }
    }

    fn result(cases: Vec<CaseResult>) -> RunResult {
        RunResult::of_cases(cases)
    }

    fn fail(message: &str, actual: &str) -> CheckOutcome {
        CheckOutcome::fail(CheckId::NOT_FOUND, message).with("HTTP 400 ResourceNotFoundException", actual)
    }

    /// Regression: one bug must read as one group even when messages quote the case's own tunnel
    /// id or a byte count, while another status code stays another cause.
    #[test]
    fn case_specific_parts_do_not_split_a_cause_status_codes_do() {
        let r = result(vec![
            case(
                "boundary/x/a",
                "tunnel-aaaa",
                fail("tunnel-aaaa: 81 byte(s)", "HTTP 404 ResourceNotFoundException"),
            ),
            case(
                "boundary/x/b",
                "tunnel-bbbb",
                fail("tunnel-bbbb: 190 byte(s)", "HTTP 404 ResourceNotFoundException"),
            ),
            case(
                "boundary/x/c",
                "tunnel-cccc",
                fail("tunnel-cccc: 7 byte(s)", "HTTP 500"),
            ),
        ]);
        let groups = groups(&r, Status::Fail);
        let sizes: Vec<Vec<&str>> = groups.iter().map(|g| g.case_ids().collect()).collect();
        assert_eq!(sizes, [vec!["boundary/x/a", "boundary/x/b"], vec!["boundary/x/c"]]);
    }
}
