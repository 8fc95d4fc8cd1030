//! Runs a sequence of lifecycle steps ([`Step`]) against any endpoint behind an [`Api`] and judges
//! every answer with the lifecycle model ([`super::model`]). The cargo-fuzz target `lifecycle`
//! drives the reference implementation in-process through it, `rotcheck fuzz --sequences` drives
//! any endpoint through the protocol client: one driver, one model, whatever the endpoint.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::lifecycle::{Step, MAX_STEPS};
use super::model::{broken, Broken, Model, Rule};
use crate::checks::CheckId;
use crate::runner::budget::RUN_TAG_KEY;
use crate::spec::facts::ClientMode;
use crate::wire::HttpResponse;

/// ListTunnels pages followed at most per List step.
const MAX_PAGES: usize = MAX_STEPS + 1;
/// A well-formed tunnel id no tunnel has (the step's tunnel pick one past the opened ones).
pub const UNKNOWN_ID: &str = "rotcheckFuzzUnknownTunnel0";

/// Why a call got no answer the model can judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAnswer {
    /// Nothing to judge this time (transport failure, throttling that outlasted the retries):
    /// the sequence stops, neither passed nor failed.
    Inconclusive(String),
    /// The harness is set up wrong (credentials refused, tunnel quota reached): stop everything.
    Setup(String),
    /// The answer itself breaks a rule (a 5xx after the client's retries).
    Broken(Broken),
}

/// Where a sequence's operations go, and how time passes there.
pub trait Api: Sync {
    /// Sends operation `op` (`OpenTunnel`, ...) with a JSON body and returns what a client finally
    /// sees (after the retries it makes).
    fn call(&self, op: &str, body: &Value) -> impl Future<Output = Result<HttpResponse, NoAnswer>> + Send;
    /// Lets `by` of real time pass on the endpoint's tunnel clock: by moving its clock when
    /// [`Api::moves_clock`], else by waiting.
    fn advance(&self, by: Duration) -> impl Future<Output = ()> + Send;
    /// Real seconds one tunnel-minute lasts on the endpoint.
    fn tunnel_minute(&self) -> Duration;
    /// Whether [`Api::advance`] moves the clock (else it waits, and a deadline cuts it short).
    fn moves_clock(&self) -> bool;
    /// Whether the sequence's tunnels are the only ones the endpoint has (the in-process target):
    /// then a listed tunnel the sequence never opened is a finding.
    fn exclusive(&self) -> bool {
        false
    }
    /// The run tag (`rotcheck-run`) to put on every tunnel opened, if any.
    fn run_tag(&self) -> Option<&str> {
        None
    }
}

/// When a sequence stops before its last step: at a deadline, or once a flag is raised (an
/// interruption). Checked before each step; a time step that would wait past the deadline stops
/// the sequence instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct Until<'a> {
    pub deadline: Option<Instant>,
    pub flag: Option<&'a AtomicBool>,
}

impl Until<'_> {
    /// Never stops early.
    pub const NEVER: Until<'static> = Until {
        deadline: None,
        flag: None,
    };

    fn reached(&self, at: Instant) -> bool {
        self.deadline.is_some_and(|d| at >= d) || self.flag.is_some_and(|f| f.load(Ordering::Relaxed))
    }
}

/// How a sequence ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every step ran and every answer matched the model.
    Passed,
    /// The deadline (or an interruption) came before the last step: the steps that ran matched
    /// the model.
    Truncated,
    /// Step `step` (0-based) broke a rule of the model.
    Violation {
        step: usize,
        broken: Broken,
    },
    Inconclusive {
        step: usize,
        why: String,
    },
    Setup(String),
}

/// A sequence's verdict, the requests it sent and the model at its end.
#[derive(Debug)]
pub struct SequenceRun {
    pub verdict: Verdict,
    pub requests: u64,
    pub model: Model,
}

/// Time passed by an `Advance { secs }` step, in tunnel-seconds: 20 s to ~21 minutes.
pub fn advance_tunnel_secs(secs: u8) -> u64 {
    20 * (1 + u64::from(secs % 64))
}

/// An `Open { lifetime }` step's maxLifetimeTimeoutMinutes: `1 + lifetime % 12`, 720 for 255.
pub fn open_minutes(lifetime: u8) -> i64 {
    if lifetime == u8::MAX {
        720
    } else {
        1 + i64::from(lifetime % 12)
    }
}

/// The tunnel a step's `tunnel` byte picks among the `n` opened so far: `Some(i)`, or `None` for
/// the one-past value (an id no tunnel has).
pub fn pick_index(tunnel: u8, n: usize) -> Option<usize> {
    let i = usize::from(tunnel) % (n + 1);
    (i < n).then_some(i)
}

fn config(label: &str) -> Value {
    json!({"thingName": format!("rotcheck-{label}"), "services": ["SSH"]})
}

struct Driver<'a, A: Api> {
    api: &'a A,
    model: Model,
    requests: u64,
    started: Instant,
    /// Seconds the endpoint's clock was moved forward (beyond real time).
    moved: f64,
    /// The slowest call so far, in seconds (the model's expiry slack grows with it).
    slowest: f64,
    until: Until<'a>,
}

impl<A: Api> Driver<'_, A> {
    async fn call(&mut self, op: &str, body: Value) -> Result<HttpResponse, NoAnswer> {
        let sent = Instant::now();
        self.requests += 1;
        let resp = self.api.call(op, &body).await?;
        self.slowest = self.slowest.max(sent.elapsed().as_secs_f64());
        if resp.status >= 500 {
            return Err(NoAnswer::Broken(broken(
                Rule::Check(CheckId::NO_5XX),
                format!("{op}: server error HTTP {} (after the client's retries)", resp.status),
            )));
        }
        Ok(resp)
    }

    /// The model's clock: real time since the sequence started plus what the clock was moved by;
    /// its slack: a second plus twice the slowest call (the endpoint decides a tunnel's state
    /// somewhere between sending and receiving).
    fn sync_clock(&mut self) {
        self.model.set_now(self.started.elapsed().as_secs_f64() + self.moved);
        self.model.set_slack(1.0 + 2.0 * self.slowest);
    }

    fn pick(&self, t: u8) -> (Option<usize>, String) {
        let tunnels = self.model.tunnels();
        match pick_index(t, tunnels.len()) {
            Some(i) => (Some(i), tunnels[i].id.clone()),
            None => (None, UNKNOWN_ID.to_owned()),
        }
    }

    /// `Err(())`: the step would wait past the deadline (the sequence stops there).
    async fn step(&mut self, n: usize, step: &Step) -> Result<Result<(), NoAnswer>, ()> {
        if let Step::Advance { secs } = step {
            let minute = self.api.tunnel_minute().as_secs_f64();
            let by = Duration::from_secs_f64(advance_tunnel_secs(*secs) as f64 * minute / 60.0);
            let moves = self.api.moves_clock();
            if !moves && self.until.reached(Instant::now() + by) {
                return Err(());
            }
            self.api.advance(by).await;
            // A wait is real time already; a moved clock is ahead of it by `by`.
            if moves {
                self.moved += by.as_secs_f64();
            }
            return Ok(Ok(()));
        }
        Ok(self.call_step(n, step).await)
    }

    async fn call_step(&mut self, n: usize, step: &Step) -> Result<(), NoAnswer> {
        let judged = |r: Result<(), Broken>| r.map_err(NoAnswer::Broken);
        match step {
            Step::Open { lifetime, config: with } => {
                let minutes = open_minutes(*lifetime);
                let c = with.then(|| config(&format!("open-{n}")));
                let mut body = json!({"timeoutConfig": {"maxLifetimeTimeoutMinutes": minutes}});
                if let Some(c) = &c {
                    body["destinationConfig"] = c.clone();
                }
                let mut tags = BTreeMap::new();
                if let Some(run) = self.api.run_tag() {
                    // What `rotcheck cleanup` finds a tunnel left behind by.
                    body["tags"] = json!([{"key": RUN_TAG_KEY, "value": run}]);
                    tags.insert(RUN_TAG_KEY.to_owned(), run.to_owned());
                }
                let resp = self.call("OpenTunnel", body).await?;
                judged(self.model.open(minutes, c, tags, &resp))
            }
            Step::Rotate {
                tunnel,
                mode,
                config: with,
            } => {
                let (i, id) = self.pick(*tunnel);
                let mode: ClientMode = mode.client_mode();
                let c = with.then(|| config(&format!("rotate-{n}")));
                let mut body = json!({"tunnelId": id, "clientMode": mode.as_str()});
                if let Some(c) = &c {
                    body["destinationConfig"] = c.clone();
                }
                let resp = self.call("RotateTunnelAccessToken", body).await?;
                judged(self.model.rotate(i, mode, c, &resp))
            }
            Step::Describe { tunnel } => {
                let (i, id) = self.pick(*tunnel);
                let resp = self.call("DescribeTunnel", json!({"tunnelId": id})).await?;
                judged(self.model.describe(i, &resp))
            }
            Step::Close { tunnel, delete } => {
                let (i, id) = self.pick(*tunnel);
                let resp = self
                    .call("CloseTunnel", json!({"tunnelId": id, "delete": delete}))
                    .await?;
                judged(self.model.close(i, *delete, &resp))
            }
            Step::List => {
                let mut pages = Vec::new();
                let mut token = Value::Null;
                for _ in 0..MAX_PAGES {
                    let resp = self.call("ListTunnels", json!({"nextToken": token})).await?;
                    token = resp
                        .body_json()
                        .and_then(|b| b.get("nextToken").cloned())
                        .unwrap_or(Value::Null);
                    pages.push(resp);
                    if token.is_null() {
                        break;
                    }
                }
                // Pages left unread (an account with many tunnels): what was read is still judged.
                let complete = token.is_null();
                judged(self.model.list(&pages, complete, self.api.exclusive()))
            }
            Step::Tag { tunnel, key, value } => {
                let (i, _) = self.pick(*tunnel);
                let arn = match i {
                    Some(i) => self.model.tunnels()[i].arn.clone(),
                    // The unknown tunnel in the account and region of the ones opened (an ARN of
                    // another account could be refused as access denied instead).
                    None => self
                        .model
                        .tunnels()
                        .first()
                        .and_then(|t| t.arn.rsplit_once('/'))
                        .map_or_else(
                            || format!("arn:aws:iot:us-east-1:123456789012:tunnel/{UNKNOWN_ID}"),
                            |(prefix, _)| format!("{prefix}/{UNKNOWN_ID}"),
                        ),
                };
                let (key, value) = (format!("k{}", key % 4), format!("v{value}"));
                let tags = json!([{"key": key, "value": value}]);
                let tagged = self
                    .call("TagResource", json!({"resourceArn": arn, "tags": tags}))
                    .await?;
                let listed = self.call("ListTagsForResource", json!({"resourceArn": arn})).await?;
                judged(self.model.tag(i, &key, &value, &tagged, &listed))
            }
            Step::Advance { .. } => Ok(()),
        }
    }
}

/// Runs `steps` (at most [`MAX_STEPS`]) against `api`, stopping early at `until`, and judges every
/// answer. The tunnels the sequence opened are left as they are (see [`cleanup`]).
pub async fn run_sequence<A: Api>(api: &A, steps: &[Step], until: Until<'_>) -> SequenceRun {
    let mut d = Driver {
        api,
        model: Model::new(api.tunnel_minute().as_secs_f64()),
        requests: 0,
        started: Instant::now(),
        moved: 0.0,
        slowest: 0.0,
        until,
    };
    let mut verdict = Verdict::Passed;
    for (n, step) in steps.iter().take(MAX_STEPS).enumerate() {
        if until.reached(Instant::now()) {
            verdict = Verdict::Truncated;
            break;
        }
        d.sync_clock();
        let Ok(result) = d.step(n, step).await else {
            verdict = Verdict::Truncated;
            break;
        };
        match result {
            Ok(()) => {}
            Err(NoAnswer::Broken(broken)) => {
                verdict = Verdict::Violation { step: n, broken };
                break;
            }
            Err(NoAnswer::Inconclusive(why)) => {
                verdict = Verdict::Inconclusive { step: n, why };
                break;
            }
            Err(NoAnswer::Setup(why)) => {
                verdict = Verdict::Setup(why);
                break;
            }
        }
    }
    SequenceRun {
        verdict,
        requests: d.requests,
        model: d.model,
    }
}

/// Deletes every tunnel the sequence opened and did not delete (CloseTunnel with `delete`).
/// Returns the ids it could not delete, with why.
pub async fn cleanup<A: Api>(api: &A, model: &Model) -> Vec<String> {
    let mut failed = Vec::new();
    for id in model.undeleted() {
        match api.call("CloseTunnel", &json!({"tunnelId": id, "delete": true})).await {
            Ok(r) if r.status == 200 => {}
            // Already gone (expired and forgotten, or deleted by a fault): nothing left behind.
            Ok(r)
                if r.status == 400
                    && crate::checks::error_type_of(Some(&r)).as_deref() == Some("ResourceNotFoundException") => {}
            Ok(r) => failed.push(format!("{id}: CloseTunnel answered HTTP {}", r.status)),
            Err(NoAnswer::Inconclusive(e) | NoAnswer::Setup(e)) => failed.push(format!("{id}: {e}")),
            Err(NoAnswer::Broken(b)) => failed.push(format!("{id}: {}", b.message)),
        }
    }
    failed
}
