//! `rotcheck fuzz --sequences`: random sequences of lifecycle steps (open, rotate in every mode
//! with and without a destinationConfig, describe, close, list, tag, time passing) against any
//! endpoint, judged step by step by the lifecycle model (the one the cargo-fuzz target `lifecycle`
//! uses). Each distinct finding is shrunk (drop steps, then simplify each step) to a short
//! sequence, printed as text that `rotcheck fuzz --replay` runs again.
//!
//! Every sequence deletes the tunnels it opened. On a tunnel budget (`--max-tunnels-opened`; AWS
//! bills every tunnel opened) each concurrent sequence keeps one tunnel open for the next, the
//! sequences that need no new tunnel run on it, and the others are paced over the campaign's
//! duration (see [`super::reuse`]); the campaign stops when the budget is spent. Against a real
//! endpoint a throttled or failed call makes the sequence inconclusive (counted, never a
//! finding), and refused credentials or a full tunnel quota stop the campaign as a setup error.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use serde_json::Value;

use super::budget::TunnelBudget;
use super::driver::{
    cleanup, delete_tunnels, run_sequence, run_sequence_with, Api, NoAnswer, Options, SequenceEnd, SequenceRun, Until,
};
use super::lifecycle::{LifecycleInput, Step, MAX_STEPS};
use super::notation;
use super::reuse::{free_prefix, Lane, LaneTunnel, Needs, REUSE_GUARD, REUSE_ROOM};
use super::FuzzProgress;
use crate::cases::rng_for;
use crate::checks::CheckOutcome;
use crate::client::{retry, Client};
use crate::server::Control;
use crate::wire::{HttpRequest, HttpResponse};

/// How time passes on the endpoint a [`ClientApi`] talks to.
pub enum EndpointClock {
    /// The built-in server: its clock is moved forward, nothing waits.
    Moved(Control),
    /// A server whose tunnel clock runs `time_scale` times faster than real time: time steps
    /// wait for real (a tunnel-minute lasts `60 / time_scale` s).
    Waited { time_scale: f64 },
}

/// Any endpoint, through the protocol client (signing, the AWS SDKs' retries, rate limits).
pub struct ClientApi {
    pub client: Client,
    pub clock: EndpointClock,
    /// The campaign's run id, tagged on every tunnel (`rotcheck cleanup` finds leftovers by it).
    pub run_id: String,
}

impl ClientApi {
    /// Whether `Advance` steps run in reasonable time: on the built-in server, or when a
    /// tunnel-minute lasts at most a second (a server run with `--time-scale 60` or more).
    pub fn time_steps(&self) -> bool {
        match &self.clock {
            EndpointClock::Moved(_) => true,
            EndpointClock::Waited { time_scale } => *time_scale >= 60.0,
        }
    }
}

/// What a final answer means for a sequence, before the model judges it.
fn classify(op: &str, resp: HttpResponse) -> Result<HttpResponse, NoAnswer> {
    if let Some(auth) = retry::auth_failure(&resp) {
        return Err(NoAnswer::Setup(format!("{op}: {auth}")));
    }
    let error_type = crate::checks::error_type_of(Some(&resp));
    if op == "OpenTunnel" && error_type.as_deref() == Some(retry::TUNNEL_QUOTA_ERROR) {
        return Err(NoAnswer::Setup(
            "OpenTunnel refused with LimitExceededException: the account's tunnel quota is reached (close some tunnels, or lower --concurrency)".into(),
        ));
    }
    // Throttling or a transient error that outlasted the client's retries: nothing to judge. A
    // 5xx that outlasted them is what a client finally sees, and the driver judges it.
    match retry::classify(&resp, Some(op)) {
        Some(retry::RetryReason::Throttling | retry::RetryReason::Transient) => Err(NoAnswer::Inconclusive(format!(
            "{op}: still {} after the client's retries",
            error_type.unwrap_or_else(|| format!("HTTP {}", resp.status))
        ))),
        _ => Ok(resp),
    }
}

impl Api for ClientApi {
    async fn call(&self, op: &str, body: &Value) -> Result<HttpResponse, NoAnswer> {
        // What a real client finally sees: the SDKs' standard retry mode (a transient 503 that a
        // retry clears is no finding), with the fuzzer's short backoff.
        let request = HttpRequest::json(op, body);
        let policy = crate::client::RetryPolicy::with_base(super::FUZZ_RETRY_BASE);
        let done = retry::standard(&policy, Some(op), || self.client.send(&request), |_, _| {}).await;
        match done.result {
            Ok(resp) => classify(op, resp),
            Err(e) => Err(NoAnswer::Inconclusive(format!("{op}: {e}"))),
        }
    }

    async fn advance(&self, by: Duration) {
        match &self.clock {
            EndpointClock::Moved(control) => control.advance_clock(by),
            EndpointClock::Waited { .. } => tokio::time::sleep(by).await,
        }
    }

    fn moves_clock(&self) -> bool {
        matches!(self.clock, EndpointClock::Moved(_))
    }

    fn run_tag(&self) -> Option<&str> {
        Some(&self.run_id)
    }

    fn tunnel_minute(&self) -> Duration {
        match &self.clock {
            EndpointClock::Moved(control) => control.tunnel_minute(),
            EndpointClock::Waited { time_scale } => Duration::from_secs_f64(60.0 / time_scale.max(1e-3)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SequenceConfig {
    pub seed: u64,
    /// Stop starting sequences after this long (a running one stops at its next step).
    pub duration: Duration,
    /// Distinct findings (rule and message) shrunk and reported; later ones are counted only.
    pub max_findings: usize,
    /// Sequences run while shrinking one finding.
    pub shrink_runs: usize,
    /// Time spent shrinking, over all findings.
    pub shrink_time: Duration,
    /// Whether sequences may let time pass (`Advance` steps).
    pub time_steps: bool,
    /// The most tunnels the campaign opens, shrinking included (`None`: unlimited, and every
    /// sequence opens its own).
    pub max_tunnels_opened: Option<u64>,
}

impl Default for SequenceConfig {
    fn default() -> Self {
        SequenceConfig {
            seed: 1,
            duration: Duration::from_secs(60),
            max_findings: 10,
            shrink_runs: 300,
            shrink_time: Duration::from_secs(30),
            time_steps: true,
            max_tunnels_opened: None,
        }
    }
}

/// A sequence whose answers broke a rule, as found and as shrunk.
#[derive(Debug, Clone)]
pub struct SequenceFinding {
    pub original: Vec<Step>,
    pub shrunk: Vec<Step>,
    /// The failing outcome of the shrunk sequence, at step `step` (0-based).
    pub outcome: CheckOutcome,
    pub step: usize,
    /// Sequences run while shrinking.
    pub shrink_runs: usize,
    /// Found on a tunnel an earlier sequence left open, and not shown again on a fresh one (why):
    /// the failure may owe something to the tunnel's past, so the sequence is not shrunk and its
    /// replay (which opens a fresh tunnel) may pass.
    pub unconfirmed: Option<String>,
}

#[derive(Debug, Default)]
pub struct SequenceSummary {
    /// Sequences that ran to their end (or to the deadline) and were judged.
    pub sequences: u64,
    pub requests: u64,
    pub elapsed: Duration,
    pub findings: Vec<SequenceFinding>,
    /// Failing sequences beyond `max_findings` or repeating a reported finding.
    pub repeated: u64,
    /// Sequences stopped by a call nothing could be judged from (throttling, transport errors).
    pub inconclusive: u64,
    /// Why some were inconclusive (the first few, deduplicated).
    pub inconclusive_reasons: Vec<String>,
    /// A setup problem that stopped the campaign.
    pub setup: Option<String>,
    /// Tunnels the cleanup could not delete.
    pub left_behind: Vec<String>,
    pub interrupted: bool,
    /// OpenTunnel calls sent (the campaign's, its confirmations' and its shrinking's).
    pub tunnels_opened: u64,
    /// `--max-tunnels-opened` (`None`: unlimited).
    pub max_tunnels_opened: Option<u64>,
    /// The campaign stopped because its tunnel budget was spent.
    pub budget_spent: bool,
    /// Shrinking stopped early because the tunnel budget was spent.
    pub shrink_out_of_tunnels: bool,
    /// Sequences run on a tunnel an earlier one left open.
    pub reused: u64,
    /// Why kept tunnels were not reused (the first few): each changed while no sequence used it.
    pub not_reused: Vec<String>,
}

impl SequenceSummary {
    /// 1 on a finding; else 2 when the setup failed, nothing was judged, a sequence could not be
    /// judged or a tunnel was left behind; else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.findings.is_empty() {
            1
        } else if self.setup.is_some() || self.sequences == 0 || self.inconclusive > 0 || !self.left_behind.is_empty() {
            2
        } else {
            0
        }
    }
}

/// The sequences of a seed: first the hand-written lifecycle scenarios ([`opening_scenarios`]),
/// then random steps (at most [`MAX_STEPS`]) starting with an OpenTunnel; without time steps
/// unless allowed.
pub struct SequenceStream {
    rng: StdRng,
    time_steps: bool,
    scenarios: VecDeque<Vec<Step>>,
}

impl SequenceStream {
    pub fn new(seed: u64, time_steps: bool) -> SequenceStream {
        let scenarios = opening_scenarios()
            .into_iter()
            .map(|s| {
                s.into_iter()
                    .filter(|s| time_steps || !matches!(s, Step::Advance { .. }))
                    .collect::<Vec<_>>()
            })
            .filter(|s| s.len() >= 2)
            .collect();
        SequenceStream {
            rng: rng_for(seed, "fuzz-sequences"),
            time_steps,
            scenarios,
        }
    }

    /// The next sequence, and whether it is one of the opening scenarios (on a tunnel budget,
    /// they take their tunnels first, unpaced).
    pub fn next_sequence(&mut self) -> (Vec<Step>, bool) {
        if let Some(s) = self.scenarios.pop_front() {
            return (s, true);
        }
        loop {
            let mut bytes = vec![0u8; self.rng.random_range(16..=240)];
            self.rng.fill_bytes(&mut bytes);
            let Some(input) = LifecycleInput::decode(&bytes) else {
                continue;
            };
            let mut steps: Vec<Step> = input
                .steps
                .into_iter()
                .filter(|s| self.time_steps || !matches!(s, Step::Advance { .. }))
                .take(MAX_STEPS)
                .collect();
            if steps.len() < 2 {
                continue;
            }
            // Most steps name a tunnel: start with one.
            if !matches!(steps.first(), Some(Step::Open { .. })) {
                steps.insert(
                    0,
                    Step::Open {
                        lifetime: self.rng.random(),
                        config: self.rng.random(),
                    },
                );
                steps.truncate(MAX_STEPS);
            }
            return (steps, false);
        }
    }
}

impl Iterator for SequenceStream {
    type Item = Vec<Step>;

    fn next(&mut self) -> Option<Vec<Step>> {
        Some(self.next_sequence().0)
    }
}

/// The scenarios a campaign starts with, each a lifecycle rule put to the test on purpose: the
/// seed sequences of the cargo-fuzz target, then a tunnel looked at after its lifetime passed,
/// and one rotated shortly before its expiry and listed after it (a lifetime quietly pushed
/// back). Random sequences find these rarely; a campaign on a small tunnel budget runs few.
/// The margins around each expiry are whole tunnel-minutes: the model's slack is a second or
/// more of real time, a tunnel-minute on a server 60 times faster.
pub fn opening_scenarios() -> Vec<Vec<Step>> {
    let mut out: Vec<Vec<Step>> = super::lifecycle::seed_sequences()
        .into_iter()
        .map(|(_, input)| input.steps)
        .collect();
    // open:1m advance:240s describe:#0
    out.push(vec![
        Step::Open {
            lifetime: 0,
            config: false,
        },
        Step::Advance { secs: 11 },
        Step::Describe { tunnel: 0 },
    ]);
    // open:6m advance:300s rotate:#0:SOURCE advance:240s list
    out.push(vec![
        Step::Open {
            lifetime: 5,
            config: false,
        },
        Step::Advance { secs: 14 },
        Step::Rotate {
            tunnel: 0,
            mode: super::input::ModeChoice::Source,
            config: false,
        },
        Step::Advance { secs: 11 },
        Step::List,
    ]);
    out
}

/// What distinguishes findings: the check, and the message with its numbers masked.
fn finding_key(o: &CheckOutcome) -> (String, String) {
    let masked: String = o
        .message
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    (o.check.to_string(), masked)
}

/// A sequence run once on tunnels of its own, deleted after it: its verdict, the requests sent
/// (the cleanup's included) and the tunnels it could not delete.
pub async fn run_and_clean<A: Api>(api: &A, steps: &[Step], until: Until<'_>) -> (SequenceEnd, u64, Vec<String>) {
    let run = run_sequence(api, steps, until).await;
    let (left, deletes) = clean(api, &run, None).await;
    (run.end, run.requests + deletes, left)
}

/// Deletes a run's tunnels but `keep`: the ones it could not delete, and the requests sent.
async fn clean<A: Api>(api: &A, run: &SequenceRun, keep: Option<&str>) -> (Vec<String>, u64) {
    let sent = run
        .model
        .undeleted()
        .iter()
        .filter(|id| Some(id.as_str()) != keep)
        .count() as u64;
    (cleanup(api, &run.model, keep).await, sent)
}

/// A failing sequence kept for shrinking: its steps up to the failing one, the step and the outcome,
/// and, when it failed on a kept tunnel and a fresh one did not show it again, why.
struct Found {
    steps: Vec<Step>,
    step: usize,
    outcome: CheckOutcome,
    unconfirmed: Option<String>,
}

/// Sequences deferred at most, waiting for the budget's pace to allow a new tunnel.
const MAX_DEFERRED: usize = 16;

/// Shared between the workers.
struct CampaignState<'a> {
    stream: Mutex<SequenceStream>,
    /// Sequences that need new tunnels, waiting for the budget's pace to allow them.
    deferred: Mutex<VecDeque<(Vec<Step>, bool)>>,
    budget: &'a TunnelBudget,
    started: Instant,
    duration: Duration,
    sequences: AtomicU64,
    requests: AtomicU64,
    failing: AtomicU64,
    /// An interruption: running sequences stop at their next step.
    stop: AtomicBool,
    /// The tunnel budget is spent: running sequences end, no new one starts.
    no_more: AtomicBool,
    found: Mutex<Vec<Found>>,
    seen: Mutex<BTreeSet<(String, String)>>,
    summary: Mutex<SequenceSummary>,
    progress: &'a dyn FuzzProgress,
}

impl CampaignState<'_> {
    /// Tunnels held back once there is a finding: shrinking it needs fresh tunnels.
    fn reserve(&self) -> u64 {
        let found = !self.found.lock().unwrap_or_else(|e| e.into_inner()).is_empty();
        match self.budget.limit() {
            Some(l) if found => (l / 3).min(3),
            _ => 0,
        }
    }

    fn fraction(&self) -> f64 {
        self.started.elapsed().as_secs_f64() / self.duration.as_secs_f64().max(1e-9)
    }

    fn summary(&self) -> std::sync::MutexGuard<'_, SequenceSummary> {
        self.summary.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The next sequence a lane runs, and whether its first tunnel is the lane's kept one; `None`:
/// nothing to run now (wait for the budget's pace). On a budget, a sequence that needs new
/// tunnels while the pace allows none is deferred; with the queue full, or when the budget could
/// never pay for it, it is cut to the steps that need none.
fn next_sequence<A>(shared: &CampaignState<'_>, lane: &Lane<'_, A>, reuse: bool) -> Option<(Vec<Step>, bool)> {
    let next_from_stream = || shared.stream.lock().ok().map(|mut s| s.next_sequence());
    if !reuse {
        return next_from_stream().map(|(s, _)| (s, false));
    }
    let (budget, reserve, fraction) = (shared.budget, shared.reserve(), shared.fraction());
    let kept = lane.kept.is_some();
    let cost = |steps: &[Step]| {
        let needs = Needs::of(steps);
        let adopt = kept && needs.can_adopt();
        (adopt, needs.cost(adopt) as u64)
    };
    let mut deferred = shared.deferred.lock().unwrap_or_else(|e| e.into_inner());
    let steps = match deferred.front().map(|(s, _)| cost(s)) {
        Some((_, c)) if budget.may_open_paced(fraction, reserve, c) || !budget.fits(reserve, c) => deferred.pop_front(),
        _ => None,
    };
    let (mut steps, scenario) = match steps {
        Some(s) => s,
        None => next_from_stream()?,
    };
    let (adopt, c) = cost(&steps);
    if c == 0 || (scenario && budget.fits(reserve, c)) || budget.may_open_paced(fraction, reserve, c) {
        return Some((steps, adopt));
    }
    if budget.fits(reserve, c) && deferred.len() < MAX_DEFERRED {
        deferred.push_back((steps, scenario));
        return None;
    }
    if !kept {
        return None;
    }
    steps.truncate(free_prefix(&steps));
    (steps.len() >= 2).then_some((steps, true))
}

// Long: one lane's loop (the next sequence, a tunnel for it within the budget, the run, the
// tunnel kept or released, the findings), whose steps share the lane's state.
async fn worker<'l, A: Api>(
    mut lane: Lane<'l, A>,
    shared: &CampaignState<'_>,
    config: &SequenceConfig,
    deadline: Instant,
) -> Lane<'l, A> {
    let reuse = shared.budget.limit().is_some();
    while Instant::now() < deadline && !shared.stop.load(Ordering::Relaxed) && !shared.no_more.load(Ordering::Relaxed) {
        if shared.budget.spent(shared.reserve()) {
            shared.no_more.store(true, Ordering::Relaxed);
            shared.summary().budget_spent = true;
            break;
        }
        retire_if_aged(shared, &mut lane).await;
        let Some((steps, adopt)) = next_sequence(shared, &lane, reuse) else {
            // Waiting for the budget's pace (or the stream is done).
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let until = Until {
            deadline: Some(deadline),
            flag: Some(&shared.stop),
        };
        let kept = if adopt { lane.kept.take() } else { None };
        let labels = kept.as_ref().map_or(0, |k| k.labels_used);
        let adopted_id = kept.as_ref().map(|k| k.known.id.clone());
        let options = Options {
            until,
            timeline: lane.timeline,
            adopt: kept.map(|k| k.known),
            budget: Some(shared.budget),
            label_offset: labels,
            // A lane keeps one tunnel: a sequence that did not take the kept one keeps none.
            keep_one: reuse && lane.kept.is_none(),
            reuse_guard: REUSE_GUARD,
            reuse_room: REUSE_ROOM,
        };
        let run = run_sequence_with(lane.api, &steps, options).await;
        lane.timeline = run.timeline;
        shared.requests.fetch_add(run.requests, Ordering::Relaxed);
        // A kept tunnel the sequence could not adopt is not in its model: deleted here.
        if let Some(id) = adopted_id.filter(|id| !run.model.tunnels().iter().any(|t| t.id == *id)) {
            let left = delete_tunnels(lane.api, std::slice::from_ref(&id)).await;
            shared.requests.fetch_add(1, Ordering::Relaxed);
            shared.summary().left_behind.extend(left);
        }
        if let Some(why) = &run.not_adopted {
            // Not as it was left: the sequence goes back to be run on another tunnel.
            let mut summary = shared.summary();
            if summary.not_reused.len() < 5 {
                summary.not_reused.push(why.clone());
            }
            drop(summary);
            shared
                .deferred
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_front((steps, false));
            continue;
        }
        let keep = run.kept.as_ref().map(|k| k.id.clone());
        let (left, deletes) = clean(lane.api, &run, keep.as_deref()).await;
        shared.requests.fetch_add(deletes, Ordering::Relaxed);
        if let Some(known) = run.kept.clone() {
            lane.kept = Some(LaneTunnel {
                known,
                labels_used: labels + steps.len() + 1,
            });
        }
        shared.summary().left_behind.extend(left);
        if adopt {
            shared.summary().reused += 1;
        }
        match run.end {
            SequenceEnd::Passed | SequenceEnd::Truncated => {}
            SequenceEnd::Violation { step, outcome } => {
                shared.failing.fetch_add(1, Ordering::Relaxed);
                let mut failing: Vec<Step> = steps.iter().take(step).cloned().collect();
                failing.extend(steps.get(step).or(run.appended.as_ref()).cloned());
                found(shared, &mut lane, config, failing, step, outcome, adopt).await;
            }
            SequenceEnd::Inconclusive { why, .. } => {
                let mut summary = shared.summary();
                summary.inconclusive += 1;
                if summary.inconclusive_reasons.len() < 5 && !summary.inconclusive_reasons.contains(&why) {
                    summary.inconclusive_reasons.push(why);
                }
                // Nothing gets through: more sequences would only repeat it.
                if summary.inconclusive >= 20 && shared.sequences.load(Ordering::Relaxed) == 0 {
                    shared.stop.store(true, Ordering::Relaxed);
                }
                continue;
            }
            SequenceEnd::Setup(why) => {
                shared.summary().setup.get_or_insert(why);
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        let n = shared.sequences.fetch_add(1, Ordering::Relaxed) + 1;
        shared.progress.update(n, shared.failing.load(Ordering::Relaxed));
    }
    lane
}

/// Deletes the lane's kept tunnel once too little of its life is left to run a sequence on it
/// (time passes, and a sequence that lets time pass moves the built-in server's clock).
async fn retire_if_aged<A: Api>(shared: &CampaignState<'_>, lane: &mut Lane<'_, A>) {
    let minute = lane.api.tunnel_minute().as_secs_f64();
    let aged = lane
        .kept
        .as_ref()
        .is_some_and(|k| k.known.expires_at(minute) - lane.timeline.now() < (REUSE_GUARD + REUSE_ROOM).as_secs_f64());
    if let Some(k) = lane.kept.take_if(|_| aged) {
        let left = delete_tunnels(lane.api, std::slice::from_ref(&k.known.id)).await;
        shared.requests.fetch_add(1, Ordering::Relaxed);
        shared.summary().left_behind.extend(left);
    }
}

/// Records a failing sequence, unless its finding was seen or there are enough. One that failed
/// on a kept tunnel may owe it to the tunnel's past (a sequence's replay opens a fresh one): it is
/// run again on fresh tunnels first, and reported as it failed there; if it passes there (or the
/// budget cannot pay for it), it is reported as found on a reused tunnel, not shrunk.
async fn found<A: Api>(
    shared: &CampaignState<'_>,
    lane: &mut Lane<'_, A>,
    config: &SequenceConfig,
    failing: Vec<Step>,
    step: usize,
    outcome: CheckOutcome,
    reused: bool,
) {
    let key = finding_key(&outcome);
    {
        let seen = shared.seen.lock().unwrap_or_else(|e| e.into_inner());
        let found = shared.found.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(&key) || found.len() >= config.max_findings {
            shared.summary().repeated += 1;
            return;
        }
    }
    let mut f = Found {
        steps: failing,
        step,
        outcome,
        unconfirmed: None,
    };
    if reused {
        let needs = Needs::of(&f.steps).cost(false) as u64;
        let left = shared
            .budget
            .limit()
            .map_or(u64::MAX, |l| l.saturating_sub(shared.budget.opened()));
        if needs > left {
            f.unconfirmed = Some("the tunnel budget could not pay for a run on a fresh tunnel".into());
        } else {
            let options = Options {
                timeline: lane.timeline,
                budget: Some(shared.budget),
                ..Options::default()
            };
            let run = run_sequence_with(lane.api, &f.steps, options).await;
            lane.timeline = run.timeline;
            let (left, deletes) = clean(lane.api, &run, None).await;
            shared.requests.fetch_add(run.requests + deletes, Ordering::Relaxed);
            shared.summary().left_behind.extend(left);
            match run.end {
                SequenceEnd::Violation { step, outcome } if finding_key(&outcome) == key => {
                    f.steps.truncate(step + 1);
                    (f.step, f.outcome) = (step, outcome);
                }
                _ => f.unconfirmed = Some("a run on a fresh tunnel did not fail the same way".into()),
            }
        }
    }
    let mut seen = shared.seen.lock().unwrap_or_else(|e| e.into_inner());
    let mut found = shared.found.lock().unwrap_or_else(|e| e.into_inner());
    if seen.insert(key) && found.len() < config.max_findings {
        found.push(f);
    } else {
        shared.summary().repeated += 1;
    }
}

/// Runs random sequences on `apis` (one worker each: sequences in parallel, each on its own
/// tunnels) until `config.duration` has passed, `cancel` fires or the tunnel budget is spent,
/// then shrinks each finding on `apis[0]`. On a budget (`config.max_tunnels_opened`), each
/// worker keeps a tunnel open between sequences, and the sequences that need no new tunnel run
/// on it (see [`super::reuse`]).
// Long: the campaign's set-up, its lanes, and its end (shrinking, cleanup, summary) in order.
pub async fn fuzz_sequences<A: Api>(
    apis: &[A],
    config: &SequenceConfig,
    progress: &dyn FuzzProgress,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> SequenceSummary {
    let started = Instant::now();
    let deadline = started + config.duration;
    let budget = TunnelBudget::new(config.max_tunnels_opened);
    let shared = CampaignState {
        stream: Mutex::new(SequenceStream::new(config.seed, config.time_steps)),
        deferred: Mutex::new(VecDeque::new()),
        budget: &budget,
        started,
        duration: config.duration,
        sequences: AtomicU64::new(0),
        requests: AtomicU64::new(0),
        failing: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        no_more: AtomicBool::new(false),
        found: Mutex::new(Vec::new()),
        seen: Mutex::new(BTreeSet::new()),
        summary: Mutex::new(SequenceSummary::default()),
        progress,
    };
    let watch_cancel = async {
        let mut c = cancel.clone();
        if c.wait_for(|v| *v).await.is_ok() {
            shared.stop.store(true, Ordering::Relaxed);
        }
        std::future::pending::<()>().await;
    };
    let workers =
        futures_util::future::join_all(apis.iter().map(|api| worker(Lane::new(api), &shared, config, deadline)));
    // `watch_cancel` never completes: an interruption raises the stop flag, and the workers end
    // their sequences at the next step and still delete their tunnels.
    let mut lanes = tokio::select! {
        lanes = workers => lanes,
        () = watch_cancel => Vec::new(),
    };
    let mut summary = std::mem::take(&mut *shared.summary());
    summary.sequences = shared.sequences.load(Ordering::Relaxed);
    summary.requests = shared.requests.load(Ordering::Relaxed);
    summary.interrupted = *cancel.borrow();
    let found = std::mem::take(&mut *shared.found.lock().unwrap_or_else(|e| e.into_inner()));
    if !(summary.interrupted || summary.setup.is_some()) {
        let shrink_deadline = Instant::now() + config.shrink_time;
        if let Some(lane) = lanes.first_mut() {
            for (n, f) in found.into_iter().enumerate() {
                let (s, runs) = match &f.unconfirmed {
                    // Its replay would not show it: nothing to shrink it against.
                    Some(_) => (None, 0),
                    None => {
                        progress.shrinking_sequence(n + 1, f.outcome.check.as_str());
                        let ctx = ShrinkContext {
                            budget: &budget,
                            runs: config.shrink_runs,
                            deadline: shrink_deadline,
                            cancel: &cancel,
                        };
                        let s = shrink(lane, &f.steps, f.step, &f.outcome, &ctx).await;
                        summary.requests += s.requests;
                        summary.left_behind.extend(s.left_behind.iter().cloned());
                        summary.shrink_out_of_tunnels |= s.out_of_tunnels;
                        let runs = s.runs;
                        (Some(s), runs)
                    }
                };
                let (shrunk, step, outcome) = match s {
                    Some(s) => (s.steps, s.step, s.outcome),
                    None => (f.steps.clone(), f.step, f.outcome.clone()),
                };
                summary.findings.push(SequenceFinding {
                    original: f.steps,
                    shrunk,
                    outcome,
                    step,
                    shrink_runs: runs,
                    unconfirmed: f.unconfirmed,
                });
            }
        }
    }
    // The tunnels kept between sequences.
    for lane in &lanes {
        if let Some(k) = &lane.kept {
            let left = delete_tunnels(lane.api, std::slice::from_ref(&k.known.id)).await;
            summary.requests += 1;
            summary.left_behind.extend(left);
        }
    }
    summary.tunnels_opened = budget.opened();
    summary.max_tunnels_opened = budget.limit();
    summary.elapsed = started.elapsed();
    summary
}

/// What a shrink may spend.
struct ShrinkContext<'a> {
    budget: &'a TunnelBudget,
    runs: usize,
    deadline: Instant,
    cancel: &'a tokio::sync::watch::Receiver<bool>,
}

struct Shrunk {
    steps: Vec<Step>,
    step: usize,
    outcome: CheckOutcome,
    runs: usize,
    requests: u64,
    left_behind: Vec<String>,
    /// Shrinking stopped because the tunnel budget was spent.
    out_of_tunnels: bool,
}

/// Simpler versions of one step, simplest first.
fn simpler(step: &Step) -> Vec<Step> {
    let mut out = Vec::new();
    match *step {
        Step::Open { lifetime, config } => {
            if config {
                out.push(Step::Open {
                    lifetime,
                    config: false,
                });
            }
            if lifetime != u8::MAX {
                out.push(Step::Open {
                    lifetime: u8::MAX,
                    config,
                });
            }
        }
        Step::Rotate { tunnel, mode, config } => {
            if config {
                out.push(Step::Rotate {
                    tunnel,
                    mode,
                    config: false,
                });
            }
            if tunnel != 0 {
                out.push(Step::Rotate {
                    tunnel: 0,
                    mode,
                    config,
                });
            }
        }
        Step::Describe { tunnel } if tunnel != 0 => out.push(Step::Describe { tunnel: 0 }),
        Step::Close { tunnel, delete } => {
            if delete {
                out.push(Step::Close { tunnel, delete: false });
            }
            if tunnel != 0 {
                out.push(Step::Close { tunnel: 0, delete });
            }
        }
        Step::Tag { tunnel, key, value } if (tunnel, key % 4, value) != (0, 0, 0) => {
            out.push(Step::Tag {
                tunnel: 0,
                key: 0,
                value: 0,
            });
        }
        Step::Advance { secs } if secs % 64 != 0 => {
            out.push(Step::Advance { secs: 0 });
            out.push(Step::Advance { secs: (secs % 64) / 2 });
        }
        _ => {}
    }
    out
}

/// Greedy shrinking: drop each step in turn (last first), keeping a removal when the sequence
/// still breaks the same rule the same way; then replace each step by a simpler one under the same
/// condition; repeat until nothing changes or the budget is spent. The sequence is cut after the
/// failing step at every stage. Every candidate runs on tunnels of its own (a kept tunnel's past
/// could make it fail where its replay would not), taken from the tunnel budget: shrinking stops
/// when it is spent.
// Long: both shrinking passes (drop steps, simplify steps) share the candidate loop and budget.
async fn shrink<A: Api>(
    lane: &mut Lane<'_, A>,
    steps: &[Step],
    step: usize,
    outcome: &CheckOutcome,
    ctx: &ShrinkContext<'_>,
) -> Shrunk {
    let key = finding_key(outcome);
    let mut best = Shrunk {
        steps: steps[..=step.min(steps.len().saturating_sub(1))].to_vec(),
        step,
        outcome: outcome.clone(),
        runs: 0,
        requests: 0,
        left_behind: Vec::new(),
        out_of_tunnels: false,
    };
    let spent =
        |b: &Shrunk| b.runs >= ctx.runs || Instant::now() >= ctx.deadline || *ctx.cancel.borrow() || b.out_of_tunnels;
    // Whether `cand` still fails the same way; if so it becomes the best.
    async fn attempt<A: Api>(
        lane: &mut Lane<'_, A>,
        cand: Vec<Step>,
        key: &(String, String),
        best: &mut Shrunk,
        budget: &TunnelBudget,
    ) -> bool {
        if budget.spent(0) && Needs::of(&cand).opens > 0 {
            best.out_of_tunnels = true;
            return false;
        }
        best.runs += 1;
        let options = Options {
            timeline: lane.timeline,
            budget: Some(budget),
            ..Options::default()
        };
        let run = run_sequence_with(lane.api, &cand, options).await;
        lane.timeline = run.timeline;
        let (left, deletes) = clean(lane.api, &run, None).await;
        best.requests += run.requests + deletes;
        best.left_behind.extend(left);
        best.out_of_tunnels |= run.out_of_tunnels;
        match run.end {
            SequenceEnd::Violation { step, outcome } if finding_key(&outcome) == *key => {
                best.steps = cand[..=step].to_vec();
                best.step = step;
                best.outcome = outcome;
                true
            }
            _ => false,
        }
    }
    loop {
        let mut changed = false;
        let mut i = best.steps.len();
        while i > 0 && !spent(&best) {
            i -= 1;
            if i >= best.steps.len() {
                continue;
            }
            let mut cand = best.steps.clone();
            cand.remove(i);
            if !cand.is_empty() && attempt(lane, cand, &key, &mut best, ctx.budget).await {
                changed = true;
            }
        }
        let mut i = 0;
        while i < best.steps.len() && !spent(&best) {
            for s in simpler(&best.steps[i]) {
                if spent(&best) {
                    break;
                }
                let mut cand = best.steps.clone();
                cand[i] = s;
                if attempt(lane, cand, &key, &mut best, ctx.budget).await {
                    changed = true;
                    break;
                }
            }
            i += 1;
        }
        if !changed || spent(&best) {
            break;
        }
    }
    best
}

/// The text printed for one finding; `command` is the `rotcheck fuzz` invocation (endpoint and
/// time flags) the replay needs.
pub fn render_finding(n: usize, f: &SequenceFinding, command: &str) -> String {
    let text = notation::render(&f.shrunk);
    let mut out = render_violation(&format!("finding {n}"), &text, f.step, &f.outcome);
    out.push_str(&format!("  sequence: {text}\n"));
    match &f.unconfirmed {
        Some(why) => out.push_str(&format!(
            "  found on a tunnel an earlier sequence left open, not shown on a fresh one ({why}): the replay opens a fresh tunnel and may pass\n"
        )),
        None => out.push_str(&format!(
            "  shrunk: {} -> {} steps ({} sequences run)\n",
            f.original.len(),
            f.shrunk.len(),
            f.shrink_runs
        )),
    }
    out.push_str(&format!("  reproduce:\n    {command} --replay '{text}'\n"));
    out
}

/// The lines that say a sequence (`text`, in notation) failed at step `step`: `title`, the
/// check, the step, what was expected and what came, and the spec sentence.
pub fn render_violation(title: &str, text: &str, step: usize, outcome: &CheckOutcome) -> String {
    let safe = crate::report::summary::terminal_safe;
    let failing = text.split(' ').nth(step).unwrap_or("");
    let mut out = format!(
        "{title}: {} — step {} ({failing}): {}\n",
        outcome.check,
        step + 1,
        safe(&outcome.message)
    );
    if let (Some(expected), Some(actual)) = (&outcome.expected, &outcome.actual) {
        out.push_str(&format!(
            "  expected: {}\n  actual:   {}\n",
            safe(expected),
            safe(actual)
        ));
    }
    let cite = outcome.check.citation();
    out.push_str(&format!("  spec ({}): \"{}\"\n", cite.source, cite.text));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequences_follow_the_seed_and_leave_out_time_steps_when_asked() {
        let a: Vec<Vec<Step>> = SequenceStream::new(3, true).take(100).collect();
        let b: Vec<Vec<Step>> = SequenceStream::new(3, true).take(100).collect();
        let c: Vec<Vec<Step>> = SequenceStream::new(4, true).take(100).collect();
        let text = |v: &[Vec<Step>]| v.iter().map(|s| notation::render(s)).collect::<Vec<_>>();
        assert_eq!(text(&a), text(&b));
        assert_ne!(text(&a), text(&c));
        assert!(a
            .iter()
            .all(|s| matches!(s[0], Step::Open { .. }) && s.len() <= MAX_STEPS));
        assert!(a.iter().flatten().any(|s| matches!(s, Step::Advance { .. })));
        let no_time: Vec<Vec<Step>> = SequenceStream::new(3, false).take(100).collect();
        assert!(!no_time.iter().flatten().any(|s| matches!(s, Step::Advance { .. })));
    }

    #[test]
    fn findings_differ_by_check_and_message_not_by_numbers() {
        use crate::checks::CheckId;
        let a = CheckOutcome::fail(CheckId::NOT_FOUND, "DescribeTunnel: got HTTP 404");
        let b = CheckOutcome::fail(CheckId::NOT_FOUND, "DescribeTunnel: got HTTP 500");
        let c = CheckOutcome::fail(CheckId::LISTING, "DescribeTunnel: got HTTP 404");
        assert_eq!(finding_key(&a), finding_key(&b));
        assert_ne!(finding_key(&a), finding_key(&c));
    }
}
