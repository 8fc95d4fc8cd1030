//! What checks judge: the exchanges recorded, and what they are about (one case or a scenario's
//! observation, gathered by the runner; or an operation sent on its own, and what a lifecycle
//! sequence observed, gathered by the fuzzers: `step.rs`). Plain data; checks do no I/O.

use serde::Serialize;
use serde_json::Value;

use super::duration_live::LiveObservation;
use super::step::{ListingObservation, StepEvidence, TagsObservation, TunnelObservation};
use crate::cases::{Case, Expectation};
use crate::secret::SecretString;
use crate::spec::facts::{self, ClientMode};
use crate::spec::model;
use crate::wire::{HttpRequest, HttpResponse};

/// One HTTP exchange the runner made for a case (setup calls included), in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// `setup`, `request` (the case's own request), `verify` or `cleanup`.
    pub role: String,
    pub request: HttpRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_error: Option<String>,
    /// Attempts made (1 + retries, see `client::retry`); the response is the last attempt's.
    pub attempts: u32,
    /// What each earlier attempt got (`HTTP 503`, `ThrottlingException`, a transport error).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retried: Vec<String>,
    pub elapsed_ms: u64,
}

/// Everything the runner recorded for one case.
#[derive(Clone, Copy)]
pub struct CaseEvidence<'a> {
    pub case: &'a Case,
    /// The case's request as sent.
    pub request: &'a HttpRequest,
    /// The answer to it; `Err` is a transport failure. `None` when it was never sent.
    pub response: Option<Result<&'a HttpResponse, &'a str>>,
    /// Why the case could not be prepared or run.
    pub setup_error: Option<&'a str>,
    pub tunnel_arn: Option<&'a str>,
    /// Every token the tunnel had before this request.
    pub earlier_tokens: &'a [SecretString],
    /// DescribeTunnel's `tunnel` object before and after the request.
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
    pub exchanges: &'a [Exchange],
}

impl<'a> CaseEvidence<'a> {
    /// The answer to the case's request, or why there is none to judge (setup failed, never sent,
    /// transport failure).
    pub fn answer(&self) -> Result<&'a HttpResponse, String> {
        match (self.setup_error, self.response) {
            (Some(why), _) => Err(format!("setup failed: {why}")),
            (None, None) => Err("the request was not sent".to_owned()),
            (None, Some(Err(err))) => Err(format!("no response: {err}")),
            (None, Some(Ok(resp))) => Ok(resp),
        }
    }

    /// The client mode whose success checks apply: always for an expected success; for a request
    /// the spec leaves open, only when it was accepted.
    pub fn success_mode(&self) -> Option<ClientMode> {
        match self.case.expect {
            Expectation::Success { mode } => Some(mode),
            Expectation::AnyNon5xx { mode: Some(mode) } => self.answer().ok().filter(|r| r.is_success()).map(|_| mode),
            _ => None,
        }
    }

    /// The request was another operation (CloseTunnel, say) that the endpoint accepted: it may
    /// legitimately have changed the tunnel.
    pub fn other_operation_accepted(&self) -> bool {
        let other_op = self
            .request
            .operation()
            .is_some_and(|op| op != facts::ROTATE && model().operation(op).is_some());
        other_op && self.answer().is_ok_and(HttpResponse::is_success)
    }
}

/// The aged-rotation scenario: a rotation at least a second after OpenTunnel, compared with the
/// DescribeTunnel read right after OpenTunnel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgedObservation {
    /// How long after OpenTunnel the rotation was sent.
    pub age_ms: u64,
    /// Why the scenario could not run or could not be judged.
    pub inconclusive: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// What a piece of evidence is about.
#[derive(Clone, Copy)]
pub enum Subject<'a> {
    Case(CaseEvidence<'a>),
    /// The duration-live scenario.
    Live(&'a LiveObservation),
    /// The aged-rotation scenario.
    Aged(&'a AgedObservation),
    /// A data-plane scenario (`runner::data_plane_scenarios`).
    DataPlane(&'a super::data_plane::DataPlaneObservation),
    /// An operation sent on its own: a request of the request fuzz targets, a lifecycle step.
    Step(StepEvidence<'a>),
    /// A tunnel as a lifecycle step's answer reported it.
    Observed(TunnelObservation<'a>),
    /// Which tunnels an endpoint shows, beside a lifecycle sequence's own.
    Listing(ListingObservation<'a>),
    /// The tags a tunnel lists, beside those a lifecycle sequence set.
    Tags(TagsObservation<'a>),
}

/// One unit the registry judges: the exchanges recorded for it and what they are about.
#[derive(Clone, Copy)]
pub struct Evidence<'a> {
    pub exchanges: &'a [Exchange],
    pub subject: Subject<'a>,
}

impl<'a> Evidence<'a> {
    pub fn case(e: CaseEvidence<'a>) -> Evidence<'a> {
        Evidence {
            exchanges: e.exchanges,
            subject: Subject::Case(e),
        }
    }

    /// Evidence about what `subject` says alone (no exchange recorded with it).
    pub fn of(subject: Subject<'a>) -> Evidence<'a> {
        Evidence {
            exchanges: &[],
            subject,
        }
    }

    /// The case evidence, when this is about a case.
    pub fn as_case(&self) -> Option<&CaseEvidence<'a>> {
        match &self.subject {
            Subject::Case(c) => Some(c),
            _ => None,
        }
    }

    /// The step, when this is about an operation sent on its own.
    pub fn as_step(&self) -> Option<&StepEvidence<'a>> {
        match &self.subject {
            Subject::Step(s) => Some(s),
            _ => None,
        }
    }

    /// The observed tunnel, when this is about one a lifecycle step's answer reported.
    pub fn as_observed(&self) -> Option<&TunnelObservation<'a>> {
        match &self.subject {
            Subject::Observed(o) => Some(o),
            _ => None,
        }
    }
}
