//! Runs a sequence of lifecycle steps ([`Step`]) against any endpoint behind an [`Api`] and has
//! every answer judged: the lifecycle model ([`super::model`]) says what its expected state
//! requires, the registry of checks judges. The cargo-fuzz target `lifecycle`
//! drives the reference implementation in-process through it, `rotcheck fuzz --sequences` drives
//! any endpoint through the protocol client: one driver, one model, whatever the endpoint.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::budget::TunnelBudget;
use super::lifecycle::{Step, MAX_STEPS};
use super::model::{KeptTunnel, LifecycleModel};
use crate::checks::{CheckOutcome, ExpectedStatus};
use crate::runner::budget::RUN_TAG_KEY;
use crate::spec::facts::ClientMode;
use crate::wire::{HttpRequest, HttpResponse};

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
}

/// Why a step ends the sequence: no answer to judge, or an answer a check fails.
enum Ended {
    NoAnswer(NoAnswer),
    Failed(CheckOutcome),
}

impl From<NoAnswer> for Ended {
    fn from(n: NoAnswer) -> Ended {
        Ended::NoAnswer(n)
    }
}

impl From<CheckOutcome> for Ended {
    fn from(o: CheckOutcome) -> Ended {
        Ended::Failed(o)
    }
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
#[derive(Debug, Clone, PartialEq)]
pub enum SequenceEnd {
    /// Every step ran and every answer passed the checks.
    Passed,
    /// The deadline (or an interruption) came before the last step: the answers of the steps
    /// that ran passed the checks.
    Truncated,
    /// The answer to step `step` (0-based) failed a check: its outcome.
    Violation {
        step: usize,
        outcome: CheckOutcome,
    },
    Inconclusive {
        step: usize,
        why: String,
    },
    Setup(String),
}

/// How a sequence ended, the requests it sent and the model at its end.
#[derive(Debug)]
pub struct SequenceRun {
    pub end: SequenceEnd,
    pub requests: u64,
    pub model: LifecycleModel,
    /// The timeline after the sequence (how far it moved the endpoint's clock).
    pub timeline: Timeline,
    /// The sequence stopped at an Open step its tunnel budget could not pay for.
    pub out_of_tunnels: bool,
    /// The tunnel to adopt was not as the campaign left it (why): no step ran.
    pub not_adopted: Option<String>,
    /// The DescribeTunnel step run after the sequence to check the tunnel it keeps (see
    /// [`Options::keep_one`]); a violation there is at index `steps.len()`.
    pub appended: Option<Step>,
    /// The tunnel kept open for a later sequence, and what the model knows of it.
    pub kept: Option<KeptTunnel>,
}

/// The clock a campaign's sequences on one endpoint share: real time since `origin` plus how far
/// the endpoint's clock was moved. A tunnel kept for a later sequence opened at a reading of it,
/// so the later model knows how old the tunnel is.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    pub origin: Instant,
    /// Seconds the endpoint's clock was moved forward (beyond real time).
    pub moved: f64,
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline {
            origin: Instant::now(),
            moved: 0.0,
        }
    }

    /// The reading now.
    pub fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64() + self.moved
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::new()
    }
}

/// How a sequence runs, beyond its steps.
#[derive(Debug, Default)]
pub struct Options<'a> {
    pub until: Until<'a>,
    pub timeline: Timeline,
    /// The sequence's first tunnel is this one, which an earlier sequence left OPEN: its first
    /// step (an Open) is not sent; a DescribeTunnel adopts the tunnel into the model instead.
    pub adopt: Option<KeptTunnel>,
    /// Each OpenTunnel takes a tunnel from it; the sequence stops at an Open it cannot pay for.
    pub budget: Option<&'a TunnelBudget>,
    /// Added to the step numbers that the destinationConfig values sent are named after, so that
    /// the values a reused tunnel sees stay distinct across sequences (a value it already has
    /// would hide a config applied when it should not be).
    pub label_offset: usize,
    /// After a sequence that passed, keep its OPEN tunnel with the most life left (at least
    /// `reuse_guard` and `reuse_room` of real time) for a later sequence: a DescribeTunnel of it is judged as
    /// one more step, so whatever the sequence did to it is checked before another sequence
    /// takes it as it is.
    pub keep_one: bool,
    /// An adopted tunnel is left alone this long (real time) before its expiry: a sequence on it
    /// stops there (expiry is judged on tunnels a sequence opened itself, whose whole life it saw).
    pub reuse_guard: Duration,
    /// See `keep_one`.
    pub reuse_room: Duration,
}

/// Why a step did not run.
enum Cut {
    /// The deadline or a flag: the sequence is cut here.
    Until,
    /// An Open step the tunnel budget cannot pay for.
    Budget,
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
    model: LifecycleModel,
    requests: u64,
    timeline: Timeline,
    /// The slowest call so far, in seconds (the model's expiry slack grows with it).
    slowest: f64,
    until: Until<'a>,
    budget: Option<&'a TunnelBudget>,
    label_offset: usize,
    /// The timeline reading at which a sequence on an adopted tunnel stops.
    reuse_until: Option<f64>,
}

impl<A: Api> Driver<'_, A> {
    /// Sends `op` with `body`: the request (as the checks see it) and what a client finally sees.
    async fn call(&mut self, op: &str, body: Value) -> Result<(HttpRequest, HttpResponse), NoAnswer> {
        let sent = Instant::now();
        self.requests += 1;
        let resp = self.api.call(op, &body).await?;
        self.slowest = self.slowest.max(sent.elapsed().as_secs_f64());
        Ok((HttpRequest::json(op, &body), resp))
    }

    /// The run as it ended (nothing kept yet).
    fn finish(self, end: SequenceEnd, out_of_tunnels: bool, not_adopted: Option<String>) -> SequenceRun {
        SequenceRun {
            end,
            requests: self.requests,
            model: self.model,
            timeline: self.timeline,
            out_of_tunnels,
            not_adopted,
            appended: None,
            kept: None,
        }
    }

    /// The model's clock: the timeline's reading (real time plus what the clock was moved by);
    /// its slack: a second plus twice the slowest call (the endpoint decides a tunnel's state
    /// somewhere between sending and receiving).
    fn sync_clock(&mut self) {
        self.model.set_now(self.timeline.now());
        self.model.set_slack(1.0 + 2.0 * self.slowest);
    }

    /// Whether letting `by` more seconds pass (on the timeline) reaches the adopted tunnel's
    /// guard before its expiry.
    fn past_reuse(&self, by: f64) -> bool {
        self.reuse_until.is_some_and(|limit| self.timeline.now() + by >= limit)
    }

    fn pick(&self, t: u8) -> (Option<usize>, String) {
        let tunnels = self.model.tunnels();
        match pick_index(t, tunnels.len()) {
            Some(i) => (Some(i), tunnels[i].id.clone()),
            None => (None, UNKNOWN_ID.to_owned()),
        }
    }

    /// `Err`: the step would wait past the deadline, or open a tunnel the budget cannot pay for
    /// (the sequence stops there).
    async fn step(&mut self, n: usize, step: &Step) -> Result<Result<(), Ended>, Cut> {
        if let Step::Advance { secs } = step {
            let minute = self.api.tunnel_minute().as_secs_f64();
            let by = Duration::from_secs_f64(advance_tunnel_secs(*secs) as f64 * minute / 60.0);
            let moves = self.api.moves_clock();
            if (!moves && self.until.reached(Instant::now() + by)) || self.past_reuse(by.as_secs_f64()) {
                return Err(Cut::Until);
            }
            self.api.advance(by).await;
            // A wait is real time already; a moved clock is ahead of it by `by`.
            if moves {
                self.timeline.moved += by.as_secs_f64();
            }
            return Ok(Ok(()));
        }
        if matches!(step, Step::Open { .. }) {
            if let Some(b) = self.budget {
                if !b.take() {
                    return Err(Cut::Budget);
                }
            }
        }
        Ok(self.call_step(n, step).await)
    }

    // Long: one arm per kind of step, each a request and what the model expects of its answer.
    async fn call_step(&mut self, n: usize, step: &Step) -> Result<(), Ended> {
        match step {
            Step::Open { lifetime, config: with } => {
                let minutes = open_minutes(*lifetime);
                let c = with.then(|| config(&format!("open-{}", n + self.label_offset)));
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
                let (req, resp) = self.call("OpenTunnel", body).await?;
                Ok(self.model.open(minutes, c, tags, &req, &resp)?)
            }
            Step::Rotate {
                tunnel,
                mode,
                config: with,
            } => {
                let (i, id) = self.pick(*tunnel);
                let mode: ClientMode = mode.client_mode();
                let c = with.then(|| config(&format!("rotate-{}", n + self.label_offset)));
                let mut body = json!({"tunnelId": id, "clientMode": mode.as_str()});
                if let Some(c) = &c {
                    body["destinationConfig"] = c.clone();
                }
                let (req, resp) = self.call("RotateTunnelAccessToken", body).await?;
                Ok(self.model.rotate(i, mode, c, &req, &resp)?)
            }
            Step::Describe { tunnel } => {
                let (i, id) = self.pick(*tunnel);
                let (req, resp) = self.call("DescribeTunnel", json!({"tunnelId": id})).await?;
                Ok(self.model.describe(i, &req, &resp)?)
            }
            Step::Close { tunnel, delete } => {
                let (i, id) = self.pick(*tunnel);
                let (req, resp) = self
                    .call("CloseTunnel", json!({"tunnelId": id, "delete": delete}))
                    .await?;
                Ok(self.model.close(i, *delete, &req, &resp)?)
            }
            Step::List => {
                let mut pages = Vec::new();
                let mut token = Value::Null;
                for _ in 0..MAX_PAGES {
                    let page = self.call("ListTunnels", json!({"nextToken": token})).await?;
                    token = page
                        .1
                        .body_json()
                        .and_then(|b| b.get("nextToken").cloned())
                        .unwrap_or(Value::Null);
                    pages.push(page);
                    if token.is_null() {
                        break;
                    }
                }
                // Pages left unread (an account with many tunnels): what was read is still judged.
                let complete = token.is_null();
                Ok(self.model.list(&pages, complete, self.api.exclusive())?)
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
                let (tag, list) = ((&tagged.0, &tagged.1), (&listed.0, &listed.1));
                Ok(self.model.tag(i, (&key, &value), tag, list)?)
            }
            Step::Advance { .. } => Ok(()),
        }
    }
}

/// Runs `steps` (at most [`MAX_STEPS`]) against `api`, stopping early at `until`, and judges every
/// answer. The tunnels the sequence opened are left as they are (see [`cleanup`]).
pub async fn run_sequence<A: Api>(api: &A, steps: &[Step], until: Until<'_>) -> SequenceRun {
    let options = Options {
        until,
        ..Options::default()
    };
    run_sequence_with(api, steps, options).await
}

/// [`run_sequence`] with a timeline, a tunnel budget, an adopted first tunnel, and a tunnel kept
/// for the next sequence (see [`Options`]).
pub async fn run_sequence_with<A: Api>(api: &A, steps: &[Step], options: Options<'_>) -> SequenceRun {
    let until = options.until;
    let mut d = Driver {
        api,
        model: LifecycleModel::new(api.tunnel_minute().as_secs_f64()),
        requests: 0,
        timeline: options.timeline,
        slowest: 0.0,
        until,
        budget: options.budget,
        label_offset: options.label_offset,
        reuse_until: None,
    };
    let guard = options.reuse_guard.as_secs_f64();
    let mut first = 0;
    let mut end = SequenceEnd::Passed;
    let mut out_of_tunnels = false;
    if let Some(kept) = &options.adopt {
        if !matches!(steps.first(), Some(Step::Open { .. })) {
            return d.finish(
                SequenceEnd::Passed,
                false,
                Some("the sequence does not start with an Open step".into()),
            );
        }
        d.sync_clock();
        match d.call("DescribeTunnel", json!({"tunnelId": kept.id})).await {
            Ok((req, resp)) => {
                // Nothing is expected of it yet but what holds for any answer.
                if let Err(outcome) = d.model.judge_any(&req, &resp) {
                    return d.finish(SequenceEnd::Violation { step: 0, outcome }, false, None);
                }
                if let Err(why) = d.model.adopt(kept, &resp) {
                    return d.finish(SequenceEnd::Passed, false, Some(why));
                }
            }
            Err(NoAnswer::Inconclusive(why)) => {
                return d.finish(SequenceEnd::Inconclusive { step: 0, why }, false, None)
            }
            Err(NoAnswer::Setup(why)) => return d.finish(SequenceEnd::Setup(why), false, None),
        }
        d.reuse_until = d.model.expires_at(0).map(|e| e - guard);
        first = 1;
    }
    for (n, step) in steps.iter().enumerate().take(MAX_STEPS).skip(first) {
        if until.reached(Instant::now()) || d.past_reuse(0.0) {
            end = SequenceEnd::Truncated;
            break;
        }
        d.sync_clock();
        let result = match d.step(n, step).await {
            Ok(result) => result,
            Err(stop) => {
                out_of_tunnels = matches!(stop, Cut::Budget);
                end = SequenceEnd::Truncated;
                break;
            }
        };
        if let Some(v) = judged(n, result) {
            end = v;
            break;
        }
    }
    let mut run = d.finish(end, out_of_tunnels, None);
    if options.keep_one && run.end == SequenceEnd::Passed {
        let least = guard + options.reuse_room.as_secs_f64();
        keep_one(api, &mut run, steps.len().min(MAX_STEPS), options, least).await;
    }
    run
}

/// How a step's result ends the sequence, if it does.
fn judged(n: usize, result: Result<(), Ended>) -> Option<SequenceEnd> {
    match result {
        Ok(()) => None,
        Err(Ended::Failed(outcome)) => Some(SequenceEnd::Violation { step: n, outcome }),
        Err(Ended::NoAnswer(NoAnswer::Inconclusive(why))) => Some(SequenceEnd::Inconclusive { step: n, why }),
        Err(Ended::NoAnswer(NoAnswer::Setup(why))) => Some(SequenceEnd::Setup(why)),
    }
}

/// Picks the OPEN tunnel with the most life left (more than `least` seconds), checks it with a
/// DescribeTunnel judged as step `n`, and keeps it (`run.kept`) if the answer is as the model
/// expects.
async fn keep_one<A: Api>(api: &A, run: &mut SequenceRun, n: usize, options: Options<'_>, least: f64) {
    let now = run.timeline.now();
    run.model.set_now(now);
    let best = (0..run.model.tunnels().len())
        .filter(|&i| {
            let t = &run.model.tunnels()[i];
            run.model.status(t) == ExpectedStatus::Open && !run.model.closed(i)
        })
        .filter_map(|i| run.model.expires_at(i).map(|e| (i, e)))
        .filter(|&(_, e)| e - now > least)
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let Some((i, _)) = best else { return };
    let Ok(tunnel) = u8::try_from(i) else { return };
    let step = Step::Describe { tunnel };
    let mut d = Driver {
        api,
        model: std::mem::take(&mut run.model),
        requests: 0,
        timeline: run.timeline,
        slowest: 0.0,
        until: options.until,
        budget: None,
        label_offset: options.label_offset,
        reuse_until: None,
    };
    d.sync_clock();
    let result = d.call_step(n, &step).await;
    run.requests += d.requests;
    run.model = d.model;
    run.appended = Some(step);
    match judged(n, result) {
        None => run.kept = run.model.kept(i),
        Some(v) => run.end = v,
    }
}

/// Deletes every tunnel the sequence opened (or adopted) and did not delete (CloseTunnel with
/// `delete`), but the one it keeps for a later sequence. Returns the ids it could not delete,
/// with why.
pub async fn cleanup<A: Api>(api: &A, model: &LifecycleModel, keep: Option<&str>) -> Vec<String> {
    let ids: Vec<String> = model
        .undeleted()
        .into_iter()
        .filter(|id| Some(id.as_str()) != keep)
        .collect();
    delete_tunnels(api, &ids).await
}

/// Deletes the tunnels `ids` (CloseTunnel with `delete`); an unknown one is already gone.
/// Returns the ids it could not delete, with why.
pub async fn delete_tunnels<A: Api>(api: &A, ids: &[String]) -> Vec<String> {
    let mut failed = Vec::new();
    for id in ids {
        match api.call("CloseTunnel", &json!({"tunnelId": id, "delete": true})).await {
            Ok(r) if r.status == 200 => {}
            // Already gone (expired and forgotten, or deleted by a fault): nothing left behind.
            Ok(r)
                if r.status == 400
                    && crate::checks::error_type_of(Some(&r)).as_deref() == Some("ResourceNotFoundException") => {}
            Ok(r) => failed.push(format!("{id}: CloseTunnel answered HTTP {}", r.status)),
            Err(NoAnswer::Inconclusive(e) | NoAnswer::Setup(e)) => failed.push(format!("{id}: {e}")),
        }
    }
    failed
}
