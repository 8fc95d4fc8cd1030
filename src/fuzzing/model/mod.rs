//! The lifecycle model: what a sequence of lifecycle steps expects of each tunnel it opened,
//! written from PROTOCOL.md and the API page alone (nothing here reads the reference server's
//! code): which tunnels exist, whether each is OPEN or CLOSED at the model's clock, which access
//! tokens were ever handed out, and what `createdAt`, `timeoutConfig`, `destinationConfig` and the
//! tags must keep saying.
//!
//! That expected state is all the model keeps. The driver tells it what was sent and what came
//! back, one operation at a time; the model turns the answer into evidence (the step with what the
//! expected state requires of its answer, each tunnel the answer reports beside its expected
//! state, the tunnels listed, the tags) and the registry of checks judges it
//! ([`checks::first_failure`]): every rule lives in its check, the one `rotcheck run` uses. Then
//! the model updates its state from the answer.
//!
//! What the expected state requires, with its source (points PROTOCOL.md marks as inferred or
//! leaves open are accepted either way):
//! - Status is OPEN until CloseTunnel or until createdAt + maxLifetimeTimeoutMinutes, then CLOSED
//!   ("Tunnel lifecycle"); within the slack of an expiry either is accepted. Rotation does not
//!   extend the lifetime.
//! - A tunnel never opened, or deleted (CloseTunnel with `delete`), is not found; a closed one
//!   stays visible for at least 3 hours, then may be gone.
//! - An OPEN tunnel's rotation, CloseTunnel and TagResource are accepted; a CLOSED tunnel's
//!   rotation is refused as inferred (a 200 is allowed, the tunnel must stay CLOSED); closing or
//!   tagging a CLOSED tunnel is left open. SOURCE + destinationConfig is refused whatever the
//!   tunnel (which error wins on a missing one is left open).
//! - Whether a DESTINATION/ALL rotation replaces the destinationConfig is inferred: either value
//!   may show until one is observed. ListTunnels' page size is left open.

mod adopt;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::checks::{
    self, CheckOutcome, Evidence, ExpectedStatus, ExpectedTunnel, IssuedTokens, ListingObservation, StepEvidence,
    StepExpectation, Subject, TagsObservation, TunnelObservation,
};
use crate::spec::facts::{ClientMode, DESTINATION_TOKEN, SOURCE_TOKEN, TOKEN_MEMBERS};
use crate::wire::{HttpRequest, HttpResponse};

pub use adopt::KeptTunnel;

/// How long a closed tunnel stays visible at least, in tunnel-minutes ("at least 3 hours").
const RETENTION_MINUTES: f64 = 180.0;
/// Seconds either side of an expiry during which OPEN and CLOSED are both accepted, at least (the
/// driver widens it with the endpoint's latency: see [`LifecycleModel::set_slack`]).
const EXPIRY_SLACK_SECS: f64 = 1.0;

/// What the model knows of one tunnel the sequence opened.
#[derive(Debug, Clone)]
pub struct SequenceTunnel {
    pub id: String,
    pub arn: String,
    lifetime_minutes: f64,
    /// Model clock (seconds) at OpenTunnel.
    opened_at: f64,
    /// Model clock at the first successful CloseTunnel.
    closed_at: Option<f64>,
    deleted: bool,
    /// `createdAt` as first reported; every later report must equal it.
    created_at: Option<Value>,
    /// The destinationConfig values the tunnel may report (one once observed).
    configs: Vec<Option<Value>>,
    tags: BTreeMap<String, String>,
}

/// The expected state of a sequence's tunnels, on the model's clock.
#[derive(Debug, Default)]
pub struct LifecycleModel {
    tunnels: Vec<SequenceTunnel>,
    /// Seconds the sequence has advanced the server's clock by.
    now: f64,
    /// Real seconds of one tunnel-minute on the server's clock.
    minute: f64,
    /// Every token handed out so far (by OpenTunnel or a rotation, any tunnel; with an adopted
    /// tunnel, its whole history).
    issued: IssuedTokens,
    /// Seconds either side of an expiry during which both states are accepted.
    slack: f64,
}

/// The first failing outcome of the checks on an answer, if any.
type Judged = Result<(), CheckOutcome>;

fn str_of<'a>(v: &'a Value, member: &str) -> Option<&'a str> {
    v.get(member).and_then(Value::as_str)
}

/// An answer's body, or null (the checks have judged its shape).
fn body_of(resp: &HttpResponse) -> Value {
    resp.body_json().unwrap_or(Value::Null)
}

impl LifecycleModel {
    /// A model for a server whose tunnel-minute lasts `minute` real seconds.
    pub fn new(minute: f64) -> LifecycleModel {
        LifecycleModel {
            minute,
            slack: EXPIRY_SLACK_SECS,
            ..LifecycleModel::default()
        }
    }

    /// The server's clock now reads `secs` past the sequence's start (it never goes back).
    pub fn set_now(&mut self, secs: f64) {
        self.now = self.now.max(secs);
    }

    /// Accept both states within `secs` of an expiry (at least the default second): a remote
    /// endpoint decides a tunnel's state somewhere between sending and receiving.
    pub fn set_slack(&mut self, secs: f64) {
        self.slack = secs.max(EXPIRY_SLACK_SECS);
    }

    /// The ids of the tunnels opened and not deleted (what a cleanup must delete).
    pub fn undeleted(&self) -> Vec<String> {
        self.tunnels
            .iter()
            .filter(|t| !t.deleted)
            .map(|t| t.id.clone())
            .collect()
    }

    pub fn tunnels(&self) -> &[SequenceTunnel] {
        &self.tunnels
    }

    /// The server's clock moved `secs` real seconds forward.
    pub fn advance(&mut self, secs: f64) {
        self.now += secs;
    }

    /// The status `t` may report at the model's clock.
    pub fn status(&self, t: &SequenceTunnel) -> ExpectedStatus {
        if t.deleted {
            return ExpectedStatus::Gone;
        }
        let expiry = t.opened_at + t.lifetime_minutes * self.minute;
        let closed = match t.closed_at {
            Some(c) => Some(c.min(expiry)),
            None => (self.now >= expiry + self.slack).then_some(expiry),
        };
        match closed {
            // "At least 3 hours": from exactly 3 hours on (less the slack) it may be gone.
            Some(c) if self.now - c >= RETENTION_MINUTES * self.minute - self.slack => ExpectedStatus::MaybeGone,
            Some(_) => ExpectedStatus::Closed,
            None if (self.now - expiry).abs() < self.slack => ExpectedStatus::Expiring,
            None => ExpectedStatus::Open,
        }
    }

    fn status_of(&self, i: Option<usize>) -> ExpectedStatus {
        i.and_then(|i| self.tunnels.get(i))
            .map_or(ExpectedStatus::Gone, |t| self.status(t))
    }

    /// The checks on one answer, which `expect`s what the expected state requires; a success
    /// handing out the `tokens` of a mode, carrying `tunnel_arn`.
    fn judge(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
        expect: StepExpectation,
        tokens: Option<ClientMode>,
        tunnel_arn: Option<&str>,
    ) -> Judged {
        checks::judge_step(StepEvidence {
            request,
            response,
            expect,
            tokens,
            tunnel_arn,
            earlier: &self.issued,
        })
    }

    /// The checks on an answer the spec leaves open but for a 5xx (an answer the model learns
    /// nothing from, such as the DescribeTunnel that adopts a tunnel).
    pub fn judge_any(&self, request: &HttpRequest, response: &HttpResponse) -> Judged {
        self.judge(request, response, StepExpectation::AnyNon5xx, None, None)
    }

    /// Records the tokens of `members` an accepted answer handed out.
    fn record_tokens(&mut self, body: &Value, members: &[&str]) {
        for m in members {
            if let Some(token) = str_of(body, m) {
                self.issued.insert(token);
            }
        }
    }

    /// OpenTunnel (`request`) with `lifetime_minutes`, `config` and `tags`: accepted, with an id,
    /// an ARN and two new tokens.
    pub fn open(
        &mut self,
        lifetime_minutes: i64,
        config: Option<Value>,
        tags: BTreeMap<String, String>,
        request: &HttpRequest,
        resp: &HttpResponse,
    ) -> Judged {
        self.judge(request, resp, StepExpectation::Accepted, Some(ClientMode::All), None)?;
        let b = body_of(resp);
        let member = |m: &str| str_of(&b, m).unwrap_or_default().to_owned();
        let (id, arn) = (member("tunnelId"), member("tunnelArn"));
        let known: Vec<&str> = self.tunnels.iter().map(|t| t.id.as_str()).collect();
        checks::first_failure(&Evidence::of(Subject::Listing(ListingObservation::Opened {
            id: &id,
            known: &known,
        })))?;
        self.record_tokens(&b, &[SOURCE_TOKEN, DESTINATION_TOKEN]);
        self.tunnels.push(SequenceTunnel {
            id,
            arn,
            lifetime_minutes: lifetime_minutes as f64,
            opened_at: self.now,
            closed_at: None,
            deleted: false,
            created_at: None,
            configs: vec![config],
            tags,
        });
        Ok(())
    }

    /// RotateTunnelAccessToken (`request`) of tunnel `i` (`None`: an id no tunnel has).
    pub fn rotate(
        &mut self,
        i: Option<usize>,
        mode: ClientMode,
        config: Option<Value>,
        request: &HttpRequest,
        resp: &HttpResponse,
    ) -> Judged {
        let status = self.status_of(i);
        let expect = if mode == ClientMode::Source && config.is_some() {
            StepExpectation::SourceWithDestinationConfig
        } else {
            match status {
                ExpectedStatus::Gone => StepExpectation::NotFound,
                ExpectedStatus::Open => StepExpectation::Accepted,
                ExpectedStatus::Closed => StepExpectation::ClosedTunnel,
                ExpectedStatus::Expiring | ExpectedStatus::MaybeGone => StepExpectation::AnyNon5xx,
            }
        };
        let arn = i.and_then(|i| self.tunnels.get(i)).map(|t| t.arn.as_str());
        self.judge(request, resp, expect, Some(mode), arn)?;
        let Some(i) = i.filter(|_| resp.status == 200) else {
            return Ok(());
        };
        let rotated: Vec<&str> = TOKEN_MEMBERS
            .into_iter()
            .filter(|m| mode.token_members().contains(m))
            .collect();
        self.record_tokens(&body_of(resp), &rotated);
        if let (Some(c), true) = (config, mode != ClientMode::Source) {
            // Replacing the stored destinationConfig is inferred: either value may show.
            let t = &mut self.tunnels[i];
            if !t.configs.contains(&Some(c.clone())) {
                t.configs.push(Some(c));
            }
        }
        Ok(())
    }

    /// The tunnel object DescribeTunnel or ListTunnels (`operation`) reported for tunnel `i`:
    /// judged against what the model expects of it, then recorded (the first createdAt seen;
    /// the destinationConfig a DescribeTunnel shows).
    fn observe(&mut self, i: usize, reported: &Value, operation: &str, full: bool) -> Judged {
        let t = &self.tunnels[i];
        let expected = ExpectedTunnel {
            status: self.status(t),
            closed_by_request: t.closed_at.is_some(),
            created_at: t.created_at.as_ref(),
            lifetime_minutes: t.lifetime_minutes,
            age_minutes: (self.now - t.opened_at) / self.minute.max(1e-9),
            configs: &t.configs,
        };
        checks::first_failure(&Evidence::of(Subject::Observed(TunnelObservation {
            operation,
            reported,
            full,
            expected,
        })))?;
        let t = &mut self.tunnels[i];
        if t.created_at.is_none() {
            t.created_at = reported.get("createdAt").cloned();
        }
        if full {
            t.configs = vec![reported.get("destinationConfig").filter(|v| !v.is_null()).cloned()];
        }
        Ok(())
    }

    /// DescribeTunnel (`request`) of tunnel `i`: shown while it is visible (after the retention
    /// either shown or not found), not found once gone.
    pub fn describe(&mut self, i: Option<usize>, request: &HttpRequest, resp: &HttpResponse) -> Judged {
        let status = self.status_of(i);
        let shown = status.visible() || (status == ExpectedStatus::MaybeGone && resp.status == 200);
        let Some(i) = i.filter(|_| shown) else {
            return self.judge(request, resp, StepExpectation::NotFound, None, None);
        };
        self.judge(request, resp, StepExpectation::Visible, None, None)?;
        let tunnel = body_of(resp).get("tunnel").cloned().unwrap_or(Value::Null);
        self.observe(i, &tunnel, "DescribeTunnel", true)
    }

    /// CloseTunnel (`request`) of tunnel `i`.
    pub fn close(&mut self, i: Option<usize>, delete: bool, request: &HttpRequest, resp: &HttpResponse) -> Judged {
        let status = self.status_of(i);
        let expect = match status {
            ExpectedStatus::Gone => StepExpectation::NotFound,
            ExpectedStatus::Open | ExpectedStatus::Expiring => StepExpectation::Accepted,
            // Closing a CLOSED tunnel again: the spec says nothing.
            ExpectedStatus::Closed | ExpectedStatus::MaybeGone => StepExpectation::AnyNon5xx,
        };
        self.judge(request, resp, expect, None, None)?;
        if let Some(i) = i.filter(|_| resp.status == 200 && status != ExpectedStatus::Gone) {
            let now = self.now;
            let t = &mut self.tunnels[i];
            t.closed_at.get_or_insert(now);
            t.deleted |= delete;
        }
        Ok(())
    }

    /// Every page of a ListTunnels walk (each request with its answer, following nextToken;
    /// `complete` when the last page had none): each page accepted; the tunnels listed as the
    /// sequence's visible ones; each of them as the model expects. Tunnels the sequence did not
    /// open are someone else's unless `exclusive` (the sequence owns the endpoint).
    pub fn list(&mut self, pages: &[(HttpRequest, HttpResponse)], complete: bool, exclusive: bool) -> Judged {
        let mut listed: Vec<Value> = Vec::new();
        for (request, resp) in pages {
            self.judge(request, resp, StepExpectation::Accepted, None, None)?;
            let summaries = body_of(resp).get("tunnelSummaries").cloned();
            listed.extend(summaries.and_then(|s| s.as_array().cloned()).unwrap_or_default());
        }
        let ids: Vec<&str> = listed
            .iter()
            .map(|s| str_of(s, "tunnelId").unwrap_or_default())
            .collect();
        let tunnels: Vec<(&str, ExpectedStatus)> =
            self.tunnels.iter().map(|t| (t.id.as_str(), self.status(t))).collect();
        checks::first_failure(&Evidence::of(Subject::Listing(ListingObservation::Listed {
            listed: &ids,
            tunnels: &tunnels,
            complete,
            exclusive,
        })))?;
        let mine: Vec<(usize, &Value)> = listed
            .iter()
            .filter_map(|s| {
                let id = str_of(s, "tunnelId")?;
                Some((self.tunnels.iter().position(|t| t.id == id)?, s))
            })
            .collect();
        for (i, summary) in mine {
            self.observe(i, summary, "ListTunnels", false)?;
        }
        Ok(())
    }

    /// TagResource (`tag`) of tunnel `i` with one tag, then ListTagsForResource (`list`): each
    /// request with its answer.
    pub fn tag(
        &mut self,
        i: Option<usize>,
        (key, value): (&str, &str),
        tag: (&HttpRequest, &HttpResponse),
        list: (&HttpRequest, &HttpResponse),
    ) -> Judged {
        let status = self.status_of(i);
        let (tag_expect, then) = match status {
            ExpectedStatus::Gone => (StepExpectation::NotFound, StepExpectation::NotFound),
            // Closed for longer than the retention: there or not, either answer will do.
            ExpectedStatus::MaybeGone => (StepExpectation::AnyNon5xx, StepExpectation::AnyNon5xx),
            ExpectedStatus::Open => (StepExpectation::Accepted, StepExpectation::Accepted),
            // Tagging a CLOSED tunnel: the spec says nothing.
            ExpectedStatus::Closed | ExpectedStatus::Expiring => {
                (StepExpectation::AnyNon5xx, StepExpectation::Accepted)
            }
        };
        self.judge(tag.0, tag.1, tag_expect, None, None)?;
        let Some(i) = i.filter(|_| tag.1.status == 200 && then == StepExpectation::Accepted) else {
            // The tags are not known to have changed: only what holds for any answer.
            let then = if then == StepExpectation::Accepted {
                StepExpectation::AnyNon5xx
            } else {
                then
            };
            return self.judge(list.0, list.1, then, None, None);
        };
        self.tunnels[i].tags.insert(key.to_owned(), value.to_owned());
        self.judge(list.0, list.1, StepExpectation::Accepted, None, None)?;
        checks::first_failure(&Evidence::of(Subject::Tags(TagsObservation {
            response: list.1,
            expected: &self.tunnels[i].tags,
        })))
    }
}

#[cfg(test)]
mod tests;
