//! Conformance checks. One file each: a [`Check`] with an id, a one-line description, the spec
//! sentence it enforces, which evidence it applies to and how it judges it. Checks judge recorded
//! data only (no I/O): the runner gathers the [`Evidence`] of cases and scenarios, the fuzzers that
//! of the operations they send on their own (`step.rs`). One registry ([`REGISTRY`]) drives
//! [`judge`] for `rotcheck run`, `rotcheck fuzz`, `rotcheck fuzz --sequences` and the cargo-fuzz
//! oracles alike, so a rule changed here changes all four: adding a check is one new file plus
//! one line in the `registry!` list below (and what `tests/check_lists.rs` prints to paste).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::spec::facts::Citation;
use crate::wire::{parse_error, HttpResponse};

pub mod data_plane;
mod evidence;
mod outcome;
pub mod schema;
mod step;

pub use evidence::{AgedObservation, CaseEvidence, Evidence, Exchange, Subject};
pub use outcome::{CheckOutcome, Status};
pub use step::{
    judge_step, token_set_of, ExpectedStatus, ExpectedTunnel, ListingObservation, StepEvidence, StepExpectation,
    TagsObservation, TunnelObservation,
};
pub use token_fresh::{HandedOut, IssuedTokens};

/// What a check is: its name, what it asserts and the spec sentence behind it.
pub struct About {
    /// The check's public name (`--checks`, reports, fault table).
    pub id: CheckId,
    /// One line: what the check asserts.
    pub description: &'static str,
    /// The spec sentence the check enforces.
    pub citation: Citation,
    /// Ids of the statements of `fixtures/statements.json` the check enforces, the one a failure
    /// quotes first (`rotcheck spec` prints the map; tests/spec_coverage.rs holds it to the spec).
    pub statements: &'static [&'static str],
}

/// One conformance check.
pub trait Check: Sync {
    fn about(&self) -> About;
    fn id(&self) -> CheckId {
        self.about().id
    }
    fn description(&self) -> &'static str {
        self.about().description
    }
    fn citation(&self) -> Citation {
        self.about().citation
    }
    fn statements(&self) -> &'static [&'static str] {
        self.about().statements
    }
    /// Whether `--strict` may turn this check's advisories into failures: yes for points where
    /// PROTOCOL.md infers what the real service does; no where no source says what it does.
    fn strict_applies(&self) -> bool {
        true
    }
    /// Whether only a lifecycle sequence can show what the check judges (`rotcheck fuzz
    /// --sequences`, the cargo-fuzz `lifecycle` target): `rotcheck run` skips it, saying so.
    fn sequences_only(&self) -> bool {
        false
    }
    /// Whether the check is about this evidence. A case it applies to that could not be judged
    /// (setup failed, no answer) reports an Error for the check, never a silent pass.
    fn applies(&self, e: &Evidence) -> bool;
    /// The outcomes, called only for evidence the check applies to (none: nothing to say).
    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome>;
}

/// Declares the check modules and registers them, in report order, in one list.
macro_rules! registry {
    ($($module:ident :: $check:ident),+ $(,)?) => {
        $(pub mod $module;)+
        /// Every check, in report order.
        pub static REGISTRY: &[&dyn Check] = &[$(&$module::$check),+];
    };
}

registry! {
    response_schema::ResponseSchema,
    token_set::TokenSet,
    token_fresh::TokenFresh,
    tunnel_arn::TunnelArn,
    error_shape::ErrorShape,
    not_found::NotFound,
    source_destination_config::SourceDestinationConfig,
    invalid_rejected::InvalidRejected,
    valid_accepted::ValidAccepted,
    duration_static::DurationStatic,
    duration_live::DurationLive,
    closed_tunnel::ClosedTunnel,
    no_5xx::No5xx,
    describe_shape::DescribeShape,
    request_id::RequestId,
    handshake::HandshakeCheck,
    token_revoked::TokenRevoked,
    token_single_use::TokenSingleUse,
    connection_state::ConnectionState,
    rotated_connection::RotatedConnection,
    relay::Relay,
    listing::Listing,
    tags::Tags,
}

/// Judge `e` with every selected check that applies to it, in report order.
pub fn judge(e: &Evidence, selected: &BTreeSet<CheckId>) -> Vec<CheckOutcome> {
    // A scan by name, not `selected.contains`: a set lookup orders ids by rank (a hash of each
    // name per comparison), and this runs for every response (a third of the response fuzz
    // target's time went there).
    outcomes(e, |id| selected.iter().any(|s| *s == id)).collect()
}

/// The outcomes of the registry's checks that `keep` and that apply to `e`, in registry order,
/// produced as they are asked for.
fn outcomes<'e>(e: &'e Evidence, keep: impl Fn(CheckId) -> bool + 'e) -> impl Iterator<Item = CheckOutcome> + 'e {
    REGISTRY
        .iter()
        .filter(move |c| keep(c.id()))
        .filter(move |c| c.applies(e))
        .flat_map(move |c| c.judge(e))
}

/// A check's public name. Each check file defines its own as an associated constant
/// (`CheckId::TOKEN_SET`); ordering follows the registry (report order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CheckId(&'static str);

impl CheckId {
    pub const fn new(id: &'static str) -> CheckId {
        CheckId(id)
    }

    /// Every registered check, in report order.
    pub fn all() -> impl Iterator<Item = CheckId> {
        REGISTRY.iter().map(|c| c.id())
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        CheckId::all().find(|c| c.as_str() == s)
    }

    /// Position in report order (unregistered ids last).
    pub fn rank(self) -> usize {
        ranks().get(self.0).copied().unwrap_or(REGISTRY.len())
    }

    fn check(self) -> Option<&'static dyn Check> {
        ranks().get(self.0).map(|&i| REGISTRY[i])
    }

    /// One line: what the check asserts.
    pub fn description(self) -> &'static str {
        self.check().map_or("", |c| c.description())
    }

    /// Whether `--strict` may turn this check's advisories into failures.
    pub fn strict_applies(self) -> bool {
        self.check().is_none_or(|c| c.strict_applies())
    }

    /// Whether only a lifecycle sequence can show what the check judges.
    pub fn sequences_only(self) -> bool {
        self.check().is_some_and(|c| c.sequences_only())
    }

    /// The spec sentence the check enforces.
    pub fn citation(self) -> Citation {
        self.check().map_or(Citation { source: "", text: "" }, |c| c.citation())
    }

    /// Ids of the spec statements the check enforces, the primary one first.
    pub fn statements(self) -> &'static [&'static str] {
        self.check().map_or(&[], |c| c.statements())
    }
}

/// Each registered id's position in the registry, built once: ids are compared (sorted sets,
/// report order) in hot paths such as the fuzz oracles, and `Check::about` builds a value per call.
fn ranks() -> &'static std::collections::HashMap<&'static str, usize> {
    static RANKS: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> = std::sync::OnceLock::new();
    RANKS.get_or_init(|| REGISTRY.iter().enumerate().map(|(i, c)| (c.id().0, i)).collect())
}

impl PartialOrd for CheckId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CheckId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.rank(), self.0).cmp(&(other.rank(), other.0))
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// All the checks: what the fuzz oracles select (they hold the reference to every rule).
pub fn all_checks() -> &'static BTreeSet<CheckId> {
    static ALL: std::sync::OnceLock<BTreeSet<CheckId>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| CheckId::all().collect())
}

/// The first failure of every check that applies to `e`, in report order: how the fuzz oracles
/// and the lifecycle model turn the registry's outcomes into one finding (an advisory, an error
/// or a skip is none).
pub fn first_failure(e: &Evidence) -> Result<(), CheckOutcome> {
    // Every check, lazily: this runs for every fuzz step, and stops at the first failure.
    match outcomes(e, |_| true).find(|o| o.status == Status::Fail) {
        Some(o) => Err(o),
        None => Ok(()),
    }
}

/// For the checks of a successful rotation (or of a step whose success hands out tokens): the
/// answer and the token set to judge it by, or the outcome to report instead (Error when the
/// case could not be judged, Skip when the rotation was refused: valid-accepted reports that).
pub(crate) fn rotation_success<'a>(
    e: &Evidence<'a>,
    id: CheckId,
) -> Result<(&'a HttpResponse, crate::spec::facts::ClientMode), CheckOutcome> {
    if let Some(s) = e.as_step() {
        return match s.tokens {
            Some(mode) if s.succeeded() => Ok((s.response, mode)),
            _ => Err(CheckOutcome::skip(id, "no successful answer handing out tokens")),
        };
    }
    let Some(c) = e.as_case() else {
        return Err(CheckOutcome::skip(id, "not a case"));
    };
    let resp = c.answer().map_err(|why| CheckOutcome::error(id, why))?;
    match c.success_mode() {
        Some(mode) if resp.is_success() => Ok((resp, mode)),
        _ => Err(CheckOutcome::skip(
            id,
            "no successful response (valid-accepted reports it)",
        )),
    }
}

/// [`rotation_success`] plus the body as a JSON object.
pub(crate) fn rotation_body(
    e: &Evidence,
    id: CheckId,
) -> Result<(Value, crate::spec::facts::ClientMode), CheckOutcome> {
    let (resp, mode) = rotation_success(e, id)?;
    match resp.body_json().filter(Value::is_object) {
        Some(body) => Ok((body, mode)),
        None => Err(CheckOutcome::skip(
            id,
            "the success body is not a JSON object (response-schema reports it)",
        )),
    }
}

/// For a check about one expectation of a case: the answer, or an Error outcome saying why the
/// case could not be judged.
pub(crate) fn case_answer<'a>(
    e: &Evidence<'a>,
    id: CheckId,
) -> Result<(CaseEvidence<'a>, &'a HttpResponse), CheckOutcome> {
    let Some(c) = e.as_case() else {
        return Err(CheckOutcome::skip(id, "not a case"));
    };
    let resp = c.answer().map_err(|why| CheckOutcome::error(id, why))?;
    Ok((*c, resp))
}

/// The request and its answer, for a check about one expectation of a case or a step; or the
/// Error outcome saying why the case could not be judged.
pub(crate) fn answered<'a>(
    e: &Evidence<'a>,
    id: CheckId,
) -> Result<(&'a crate::wire::HttpRequest, &'a HttpResponse), CheckOutcome> {
    match e.as_step() {
        Some(s) => Ok((s.request, s.response)),
        None => case_answer(e, id).map(|(c, resp)| (c.request, resp)),
    }
}

/// The case's expectation, when `e` is about a case.
pub(crate) fn expects(e: &Evidence, f: impl Fn(&crate::cases::Expectation) -> bool) -> bool {
    e.as_case().is_some_and(|c| f(&c.case.expect))
}

/// Whether `e` is a step whose sender expects `x` of its answer.
pub(crate) fn step_expects(e: &Evidence, x: StepExpectation) -> bool {
    e.as_step().is_some_and(|s| s.expect == x)
}

/// One outcome or an early-returned one, as the `judge` of a single-outcome check returns.
pub(crate) fn one(r: Result<CheckOutcome, CheckOutcome>) -> Vec<CheckOutcome> {
    vec![r.unwrap_or_else(|o| o)]
}

/// `HTTP 400 ResourceNotFoundException`-style summary of a response, free of secrets (the body is
/// not quoted: it may carry tokens).
pub fn summary(resp: &HttpResponse) -> String {
    match parse_error(resp) {
        Some(e) if !resp.is_success() => format!("HTTP {} {}", resp.status, e.type_name),
        _ => format!("HTTP {}", resp.status),
    }
}

/// The `status` of a DescribeTunnel `tunnel` object.
pub fn tunnel_status(tunnel: &Value) -> Option<&str> {
    tunnel.get("status").and_then(Value::as_str)
}

/// Two JSON values are equal, numbers compared by value (`720` and `720.0` are the same).
pub fn same_json(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(Some(p), Some(q)))
        }
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            x.len() == y.len() && x.iter().all(|(k, v)| same_json(Some(v), y.get(k)))
        }
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Two JSON timestamps (epoch seconds) are the same instant: compared as numbers, so `1.0` and `1`
/// are equal. Absent equals absent.
pub fn same_timestamp(a: Option<&Value>, b: Option<&Value>) -> bool {
    same_json(a, b)
}

/// A member of a DescribeTunnel `tunnel` object as text for `expected`/`actual` (never a token:
/// callers only pass status, createdAt, timeoutConfig and destinationConfig).
pub fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "absent".to_owned(), Value::to_string)
}

/// The error type a client reports for `resp` when it is an error response (None for a 2xx).
pub fn error_type_of(resp: Option<&crate::wire::HttpResponse>) -> Option<String> {
    resp.filter(|r| !r.is_success())
        .and_then(parse_error)
        .map(|e| e.type_name)
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::wire::HttpResponse;

    pub fn json_response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "application/x-amz-json-1.1".into())],
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    /// Guards the one-file-one-line rule: every registered check has a unique id that `--checks`
    /// can parse back, a description and a citation, so a new check cannot be half-registered.
    #[test]
    fn every_registered_check_is_complete_and_unique() {
        let ids: Vec<CheckId> = CheckId::all().collect();
        assert_eq!(ids.len(), REGISTRY.len());
        for (rank, id) in ids.iter().enumerate() {
            assert_eq!(CheckId::parse(id.as_str()), Some(*id));
            assert_eq!(id.rank(), rank, "{id}");
            assert!(!id.description().is_empty(), "{id}");
            assert!(!id.citation().text.is_empty(), "{id}");
            assert!(!id.statements().is_empty(), "{id} enforces no statement");
            assert!(
                ids[..rank].iter().all(|other| other.as_str() != id.as_str()),
                "{id} twice"
            );
        }
    }

    /// Regression: scenario evidence must reach only the checks that apply to it (the live and
    /// aged scenarios used to assemble their outcomes by hand).
    #[test]
    fn scenario_evidence_is_judged_only_by_the_checks_that_apply() {
        let obs = AgedObservation {
            inconclusive: Some("no tunnel".into()),
            ..Default::default()
        };
        let e = Evidence {
            exchanges: &[],
            subject: Subject::Aged(&obs),
        };
        let got: Vec<(CheckId, Status)> = judge(&e, &CheckId::all().collect())
            .into_iter()
            .map(|o| (o.check, o.status))
            .collect();
        assert_eq!(
            got,
            vec![
                (CheckId::DURATION_STATIC, Status::Error),
                // Nothing was sent: nothing for no-5xx to judge.
                (CheckId::NO_5XX, Status::Skip)
            ]
        );
    }
}
