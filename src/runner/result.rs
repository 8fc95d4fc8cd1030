//! What a run produces: plain data. Reports render it; nothing here prints.
//! Requests and responses are stored as sent and received; every renderer must pass them through
//! [`crate::redact::Redactor`] (the run's redactor is carried in [`RunResult::redactor`]).

use std::time::{Duration, Instant};

use serde::Serialize;

use super::gating::{BaselineApplied, RunMode};
use crate::cases::{CaseKind, Expectation, TunnelState};
use crate::checks::{self, CheckId};
pub use crate::checks::{CheckOutcome, Exchange, Status};
use crate::redact::Redactor;
use crate::spec::facts::ClientMode;
use crate::wire::{HttpRequest, HttpResponse};

/// Whole milliseconds, saturating (reports hold durations as `u64` milliseconds).
pub fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A request as sent and what it got: a case's own request, or the rotation a scenario reports
/// as its request.
#[derive(Debug, Clone)]
pub struct Sent {
    pub request: HttpRequest,
    pub response: Option<HttpResponse>,
    pub transport_error: Option<String>,
}

impl Sent {
    /// The answer's body when it was a success.
    pub fn success_body(&self) -> Option<serde_json::Value> {
        self.response
            .as_ref()
            .filter(|r| r.is_success())
            .and_then(HttpResponse::body_json)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub kind: CaseKind,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    pub tunnel: TunnelState,
    pub expect: Expectation,
    /// The case's own request as sent (placeholder replaced; SigV4 headers not included).
    pub request: HttpRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    /// The error type as a client parses it (namespace and suffix stripped), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_error: Option<String>,
    pub outcomes: Vec<CheckOutcome>,
    /// Every exchange of the case, including setup and verification calls.
    pub exchanges: Vec<Exchange>,
    pub duration_ms: u64,
}

impl CaseResult {
    /// The result of a scenario (on an OPEN tunnel, expecting a rotation in `mode`), judged as
    /// `outcomes`, `started` when it began.
    pub fn scenario(
        id: &str,
        description: String,
        mode: ClientMode,
        sent: Sent,
        outcomes: Vec<CheckOutcome>,
        exchanges: Vec<Exchange>,
        started: Instant,
    ) -> CaseResult {
        CaseResult {
            id: id.into(),
            kind: CaseKind::Fixture,
            description,
            operator: None,
            tunnel: TunnelState::Open {
                destination_config: None,
            },
            expect: Expectation::Success { mode },
            error_type: checks::error_type_of(sent.response.as_ref()),
            request: sent.request,
            response: sent.response,
            transport_error: sent.transport_error,
            outcomes,
            exchanges,
            duration_ms: ms(started.elapsed()),
        }
    }

    pub fn worst(&self) -> Status {
        self.outcomes
            .iter()
            .map(|o| o.status)
            .fold(Status::Pass, |a, b| match (a, b) {
                (Status::Fail, _) | (_, Status::Fail) => Status::Fail,
                (Status::Error, _) | (_, Status::Error) => Status::Error,
                (Status::Known, _) | (_, Status::Known) => Status::Known,
                _ => Status::Pass,
            })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunMeta {
    pub tool_version: String,
    pub seed: u64,
    /// The endpoint URL, or `embedded` for the built-in reference implementation.
    pub endpoint: String,
    pub embedded: bool,
    pub region: String,
    pub time_scale: f64,
    pub live: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
    pub checks: Vec<CheckId>,
    pub concurrency: usize,
    /// Which setting named the endpoint (`--endpoint`, `AWS_ENDPOINT_URL_IOTSECURETUNNELING`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_source: Option<String>,
    /// `spec`, or `strict` (`--strict`: inferred points fail).
    pub mode: RunMode,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedCheck {
    pub check: CheckId,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub meta: RunMeta,
    /// Sorted by case id (stable across runs with the same seed).
    pub cases: Vec<CaseResult>,
    /// Checks that did not run at all, with the reason (e.g. duration-live without `--live`).
    pub skipped_checks: Vec<SkippedCheck>,
    /// Problems of the harness or the endpoint that are not conformance findings.
    pub harness_errors: Vec<String>,
    /// True when the run was interrupted (Ctrl-C); cleanup still ran.
    pub interrupted: bool,
    /// Why the run stopped early for a setup problem (auth failure, tunnel quota held by
    /// others): exit 2 whatever the cases found, since their answers say nothing about conformance.
    pub setup_failure: Option<String>,
    /// How many tunnels the run opened, and the most it held at once.
    pub tunnels: super::budget::TunnelStats,
    /// HTTP requests sent to the endpoint (every attempt, setup and cleanup included).
    pub requests: u64,
    pub duration_ms: u64,
    /// The baseline the failures were gated with (`--baseline`), applied after the run.
    pub baseline: Option<BaselineApplied>,
    #[serde(skip)]
    pub redactor: Redactor,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckTally {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    pub advisory: usize,
    pub known: usize,
}

impl RunResult {
    /// A run that judged nothing: no case, no error, no footprint (a run that could not start
    /// adds its harness error).
    pub fn empty(meta: RunMeta) -> RunResult {
        RunResult {
            meta,
            cases: Vec::new(),
            skipped_checks: Vec::new(),
            harness_errors: Vec::new(),
            interrupted: false,
            setup_failure: None,
            tunnels: Default::default(),
            requests: 0,
            duration_ms: 0,
            baseline: None,
            redactor: Redactor::new(),
        }
    }

    /// A finished run of `cases` against the built-in target (seed 1, every check selected), for
    /// the tests of the modules that read results.
    #[cfg(test)]
    pub(crate) fn of_cases(cases: Vec<CaseResult>) -> RunResult {
        let meta = RunMeta {
            tool_version: String::new(),
            seed: 1,
            endpoint: "embedded".into(),
            embedded: true,
            region: "us-east-1".into(),
            time_scale: 60.0,
            live: false,
            only: None,
            checks: CheckId::all().collect(),
            concurrency: 1,
            endpoint_source: None,
            mode: RunMode::Spec,
        };
        RunResult {
            cases,
            ..RunResult::empty(meta)
        }
    }
}

impl RunResult {
    /// Per check, how its outcomes went, in report order.
    pub fn tally(&self) -> Vec<(CheckId, CheckTally)> {
        CheckId::all()
            .map(|id| {
                let mut t = CheckTally::default();
                for o in self.cases.iter().flat_map(|c| &c.outcomes).filter(|o| o.check == id) {
                    match o.status {
                        Status::Pass => t.pass += 1,
                        Status::Fail => t.fail += 1,
                        Status::Error => t.error += 1,
                        Status::Skip => t.skip += 1,
                        Status::Advisory => t.advisory += 1,
                        Status::Known => t.known += 1,
                    }
                }
                (id, t)
            })
            .collect()
    }

    /// 1 on any conformance failure (known failures excluded; a fixed baseline entry under
    /// `--baseline-strict` included); else 2 when the harness could not do its job; else 0.
    pub fn exit_code(&self) -> u8 {
        let statuses = || self.cases.iter().flat_map(|c| &c.outcomes).map(|o| o.status);
        let fixed_fails = self.baseline.as_ref().is_some_and(|b| b.failing_fixed() > 0);
        if self.setup_failure.is_some() {
            2
        } else if statuses().any(|s| s == Status::Fail) || fixed_fails {
            1
        } else if !self.harness_errors.is_empty() || statuses().any(|s| s == Status::Error) || self.interrupted {
            2
        } else {
            0
        }
    }

    /// Ids of the checks with at least one failure.
    pub fn failed_checks(&self) -> Vec<CheckId> {
        self.tally()
            .into_iter()
            .filter(|(_, t)| t.fail > 0)
            .map(|(id, _)| id)
            .collect()
    }
}
