//! What checks judge of operations sent on their own, outside a case: each request of the request
//! fuzz targets, and each step of a lifecycle sequence (`rotcheck fuzz --sequences`, the
//! cargo-fuzz `lifecycle` target). Their senders decide what the spec requires of each answer, as
//! a case's generator does; for a sequence that is the expected state of each tunnel, which only
//! the sequence's model knows (`fuzzing::model`). The rules stay in the checks.
//!
//! - [`StepEvidence`]: one answer, with what its sender expects of it ([`StepExpectation`]);
//! - [`TunnelObservation`]: a tunnel as DescribeTunnel or ListTunnels reported it, beside what the
//!   model expects of it ([`ExpectedTunnel`]);
//! - [`ListingObservation`]: which tunnels an endpoint shows (a new id from OpenTunnel, a
//!   ListTunnels walk), beside the sequence's own;
//! - [`TagsObservation`]: the tags ListTagsForResource listed, beside those the sequence set.

use std::collections::BTreeMap;

use serde_json::Value;

use super::token_fresh::HandedOut;
use super::{CheckOutcome, Evidence, Exchange, Subject};
use crate::spec::facts::{self, ClientMode};
use crate::wire::{HttpRequest, HttpResponse};

/// What the spec requires of the answer to a step: the counterpart of a case's
/// [`crate::cases::Expectation`], for any operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepExpectation {
    /// Valid input on a tunnel that exists (or input that names none): HTTP 200.
    Accepted,
    /// DescribeTunnel of a tunnel that must still be visible (OPEN, or closed less than 3 hours
    /// ago): HTTP 200.
    Visible,
    /// A well-formed id no tunnel has (never opened, or deleted): exactly 400
    /// ResourceNotFoundException.
    NotFound,
    /// Input the spec forbids: a 4xx with an error type.
    Invalid,
    /// SOURCE mode with a destinationConfig: a 4xx.
    SourceWithDestinationConfig,
    /// A rotation of a CLOSED tunnel: refusing it is inferred (a 2xx is only an advisory).
    ClosedTunnel,
    /// Left open by the spec: anything but a 5xx.
    AnyNon5xx,
}

/// One operation sent on its own and its answer, with what its sender expects of the answer.
#[derive(Clone, Copy)]
pub struct StepEvidence<'a> {
    /// The request as sent.
    pub request: &'a HttpRequest,
    pub response: &'a HttpResponse,
    pub expect: StepExpectation,
    /// The token set a success hands out: a rotation's client mode (ALL for OpenTunnel's two
    /// tokens). None: the answer hands out no token.
    pub tokens: Option<ClientMode>,
    /// The ARN a success must carry: the named tunnel's, when its sender knows it.
    pub tunnel_arn: Option<&'a str>,
    /// Every token handed out before (its sender's record; none known: empty).
    pub earlier: &'a dyn HandedOut,
}

impl StepEvidence<'_> {
    /// The operation the request names, if any.
    pub fn operation(&self) -> Option<&str> {
        self.request.operation()
    }

    /// The answer is a 2xx: the success checks apply.
    pub fn succeeded(&self) -> bool {
        self.response.is_success()
    }
}

/// The status a tunnel may report at one moment, as far as the spec decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedStatus {
    Open,
    Closed,
    /// Within the slack of its expiry: OPEN or CLOSED.
    Expiring,
    /// Closed for longer than the retention ("at least 3 hours"): CLOSED, or already forgotten.
    MaybeGone,
    /// Deleted (CloseTunnel with delete), or never opened.
    Gone,
}

impl ExpectedStatus {
    /// Whether a reported `status` is one the tunnel may show.
    pub fn allows(self, status: Option<&str>) -> bool {
        match self {
            ExpectedStatus::Open => status == Some("OPEN"),
            ExpectedStatus::Closed | ExpectedStatus::MaybeGone => status == Some("CLOSED"),
            ExpectedStatus::Expiring => matches!(status, Some("OPEN" | "CLOSED")),
            ExpectedStatus::Gone => false,
        }
    }

    /// Whether DescribeTunnel must still show it and ListTunnels list it.
    pub fn visible(self) -> bool {
        matches!(
            self,
            ExpectedStatus::Open | ExpectedStatus::Closed | ExpectedStatus::Expiring
        )
    }
}

/// What a sequence's model expects of one tunnel when an answer reports it.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedTunnel<'a> {
    pub status: ExpectedStatus,
    /// CloseTunnel closed it (else, if it is closed at all, its lifetime ended).
    pub closed_by_request: bool,
    /// createdAt as first reported (None: not reported yet).
    pub created_at: Option<&'a Value>,
    /// The maxLifetimeTimeoutMinutes it was opened with.
    pub lifetime_minutes: f64,
    /// Tunnel-minutes since it opened (for messages).
    pub age_minutes: f64,
    /// The destinationConfig values it may report (None: absent); one once observed.
    pub configs: &'a [Option<Value>],
}

/// A tunnel as an answer of a sequence reported it.
#[derive(Clone, Copy)]
pub struct TunnelObservation<'a> {
    /// `DescribeTunnel` or `ListTunnels`.
    pub operation: &'a str,
    /// DescribeTunnel's `tunnel` object, or one ListTunnels summary.
    pub reported: &'a Value,
    /// Every member is reported (DescribeTunnel); a ListTunnels summary has no timeoutConfig or
    /// destinationConfig, and may leave createdAt out.
    pub full: bool,
    pub expected: ExpectedTunnel<'a>,
}

/// Which tunnels an endpoint shows, beside the sequence's own (lifecycle-listing).
#[derive(Clone, Copy)]
pub enum ListingObservation<'a> {
    /// OpenTunnel answered with tunnel id `id`; `known`: every id the sequence saw before.
    Opened { id: &'a str, known: &'a [&'a str] },
    /// A ListTunnels walk: the ids listed, in order, beside the sequence's tunnels (in the order
    /// they were opened, with their expected status).
    Listed {
        listed: &'a [&'a str],
        tunnels: &'a [(&'a str, ExpectedStatus)],
        /// The walk read every page (a cut walk may miss the sequence's tunnels).
        complete: bool,
        /// The sequence's tunnels are the endpoint's only ones (then listing another is wrong).
        exclusive: bool,
    },
}

/// The answer to ListTagsForResource, beside the tags the sequence set on the tunnel.
#[derive(Clone, Copy)]
pub struct TagsObservation<'a> {
    pub response: &'a HttpResponse,
    pub expected: &'a BTreeMap<String, String>,
}

/// The first failure any check finds in a step's answer (see [`super::first_failure`]): the one
/// way the request fuzz oracles and the lifecycle model judge an answer. The step's exchange is
/// recorded with it (no-5xx judges exchanges).
pub fn judge_step(step: StepEvidence) -> Result<(), CheckOutcome> {
    let exchanges = [Exchange {
        role: "request".into(),
        request: step.request.clone(),
        response: Some(step.response.clone()),
        transport_error: None,
        attempts: 1,
        retried: Vec::new(),
        elapsed_ms: 0,
    }];
    super::first_failure(&Evidence {
        exchanges: &exchanges,
        subject: Subject::Step(step),
    })
}

/// The token set a success of `request` hands out: OpenTunnel's two tokens (as ALL does), a
/// rotation's client mode (None: no token, or a mode the request does not name validly).
pub fn token_set_of(request: &HttpRequest) -> Option<ClientMode> {
    match request.operation()? {
        "OpenTunnel" => Some(ClientMode::All),
        facts::ROTATE => {
            let body: Value = serde_json::from_slice(&request.body).ok()?;
            body.get("clientMode")
                .and_then(Value::as_str)
                .and_then(ClientMode::parse)
        }
        _ => None,
    }
}
