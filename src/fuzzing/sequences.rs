//! `rotcheck fuzz --sequences`: random sequences of lifecycle steps (open, rotate in every mode
//! with and without a destinationConfig, describe, close, list, tag, time passing) against any
//! endpoint, judged step by step by the lifecycle model (the one the cargo-fuzz target `lifecycle`
//! uses). Each distinct finding is shrunk (drop steps, then simplify each step) to a short
//! sequence, printed as text that `rotcheck fuzz --replay` runs again.
//!
//! Every sequence deletes the tunnels it opened. Against a real endpoint a throttled or failed
//! call makes the sequence inconclusive (counted, never a finding), and refused credentials or a
//! full tunnel quota stop the campaign as a setup error.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use serde_json::Value;

use super::driver::{cleanup, run_sequence, Api, NoAnswer, Until, Verdict};
use super::lifecycle::{LifecycleInput, Step, MAX_STEPS};
use super::model::Broken;
use super::notation;
use super::FuzzProgress;
use crate::cases::rng_for;
use crate::client::{retry, Client};
use crate::server::Control;
use crate::wire::{HttpRequest, HttpResponse};

/// How time passes on the endpoint a [`ClientApi`] talks to.
pub enum Clock {
    /// The built-in server: its clock is moved forward, nothing waits.
    Moved(Control),
    /// A server whose tunnel clock runs `time_scale` times faster than real time: time steps
    /// wait for real (a tunnel-minute lasts `60 / time_scale` s).
    Waited { time_scale: f64 },
}

/// Any endpoint, through the protocol client (signing, the AWS SDKs' retries, rate limits).
pub struct ClientApi {
    pub client: Client,
    pub clock: Clock,
    /// The campaign's run id, tagged on every tunnel (`rotcheck cleanup` finds leftovers by it).
    pub run_id: String,
}

impl ClientApi {
    /// Whether `Advance` steps run in reasonable time: on the built-in server, or when a
    /// tunnel-minute lasts at most a second (a server run with `--time-scale 60` or more).
    pub fn time_steps(&self) -> bool {
        match &self.clock {
            Clock::Moved(_) => true,
            Clock::Waited { time_scale } => *time_scale >= 60.0,
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
        match self.client.send(&HttpRequest::json(op, body)).await {
            Ok(resp) => classify(op, resp),
            Err(e) => Err(NoAnswer::Inconclusive(format!("{op}: {e}"))),
        }
    }

    async fn advance(&self, by: Duration) {
        match &self.clock {
            Clock::Moved(control) => control.advance_clock(by),
            Clock::Waited { .. } => tokio::time::sleep(by).await,
        }
    }

    fn moves_clock(&self) -> bool {
        matches!(self.clock, Clock::Moved(_))
    }

    fn run_tag(&self) -> Option<&str> {
        Some(&self.run_id)
    }

    fn tunnel_minute(&self) -> Duration {
        match &self.clock {
            Clock::Moved(control) => control.tunnel_minute(),
            Clock::Waited { time_scale } => Duration::from_secs_f64(60.0 / time_scale.max(1e-3)),
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
        }
    }
}

/// A sequence whose answers broke a rule, as found and as shrunk.
#[derive(Debug, Clone)]
pub struct SequenceFinding {
    pub original: Vec<Step>,
    pub shrunk: Vec<Step>,
    /// The rule broken by the shrunk sequence, at step `step` (0-based).
    pub broken: Broken,
    pub step: usize,
    /// Sequences run while shrinking.
    pub shrink_runs: usize,
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

/// The sequences of a seed: random steps (at most [`MAX_STEPS`]) starting with an OpenTunnel,
/// without time steps unless allowed.
pub struct SequenceStream {
    rng: StdRng,
    time_steps: bool,
}

impl SequenceStream {
    pub fn new(seed: u64, time_steps: bool) -> SequenceStream {
        SequenceStream {
            rng: rng_for(seed, "fuzz-sequences"),
            time_steps,
        }
    }
}

impl Iterator for SequenceStream {
    type Item = Vec<Step>;

    fn next(&mut self) -> Option<Vec<Step>> {
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
            return Some(steps);
        }
    }
}

/// What distinguishes findings: the rule, and the message with its numbers masked.
fn finding_key(b: &Broken) -> (String, String) {
    let masked: String = b
        .message
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    (b.rule.name(), masked)
}

/// A sequence run once with its tunnels deleted after it: its verdict and requests sent.
pub async fn run_and_clean<A: Api>(api: &A, steps: &[Step], until: Until<'_>) -> (Verdict, u64, Vec<String>) {
    let run = run_sequence(api, steps, until).await;
    let left = cleanup(api, &run.model).await;
    (run.verdict, run.requests, left)
}

/// Shared between the workers.
struct Shared<'a> {
    stream: Mutex<SequenceStream>,
    sequences: AtomicU64,
    requests: AtomicU64,
    failing: AtomicU64,
    stop: AtomicBool,
    found: Mutex<Vec<(Vec<Step>, usize, Broken)>>,
    seen: Mutex<BTreeSet<(String, String)>>,
    summary: Mutex<SequenceSummary>,
    progress: &'a dyn FuzzProgress,
}

async fn worker<A: Api>(api: &A, shared: &Shared<'_>, config: &SequenceConfig, deadline: Instant) {
    while Instant::now() < deadline && !shared.stop.load(Ordering::Relaxed) {
        let steps = match shared.stream.lock() {
            Ok(mut s) => s.next(),
            Err(_) => None,
        };
        let Some(steps) = steps else { return };
        let until = Until {
            deadline: Some(deadline),
            flag: Some(&shared.stop),
        };
        let (verdict, requests, left) = run_and_clean(api, &steps, until).await;
        shared.requests.fetch_add(requests, Ordering::Relaxed);
        let mut summary = shared.summary.lock().unwrap_or_else(|e| e.into_inner());
        summary.left_behind.extend(left);
        match verdict {
            Verdict::Passed | Verdict::Truncated => {}
            Verdict::Violation { step, broken } => {
                shared.failing.fetch_add(1, Ordering::Relaxed);
                let key = finding_key(&broken);
                let mut seen = shared.seen.lock().unwrap_or_else(|e| e.into_inner());
                let mut found = shared.found.lock().unwrap_or_else(|e| e.into_inner());
                if seen.contains(&key) || found.len() >= config.max_findings {
                    summary.repeated += 1;
                } else {
                    seen.insert(key);
                    found.push((steps.clone(), step, broken));
                }
            }
            Verdict::Inconclusive { why, .. } => {
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
            Verdict::Setup(why) => {
                summary.setup.get_or_insert(why);
                shared.stop.store(true, Ordering::Relaxed);
                return;
            }
        }
        let n = shared.sequences.fetch_add(1, Ordering::Relaxed) + 1;
        drop(summary);
        shared.progress.update(n, shared.failing.load(Ordering::Relaxed));
    }
}

/// Runs random sequences on `apis` (one worker each: sequences in parallel, each on its own
/// tunnels) until `config.duration` has passed or `cancel` fires, then shrinks each finding on
/// `apis[0]`.
pub async fn fuzz_sequences<A: Api>(
    apis: &[A],
    config: &SequenceConfig,
    progress: &dyn FuzzProgress,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> SequenceSummary {
    let started = Instant::now();
    let deadline = started + config.duration;
    let shared = Shared {
        stream: Mutex::new(SequenceStream::new(config.seed, config.time_steps)),
        sequences: AtomicU64::new(0),
        requests: AtomicU64::new(0),
        failing: AtomicU64::new(0),
        stop: AtomicBool::new(false),
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
    let workers = futures_util::future::join_all(apis.iter().map(|api| worker(api, &shared, config, deadline)));
    // `watch_cancel` never completes: an interruption raises the stop flag, and the workers end
    // their sequences at the next step and still delete their tunnels.
    tokio::select! {
        _ = workers => {}
        () = watch_cancel => {}
    }
    let mut summary = shared.summary.into_inner().unwrap_or_else(|e| e.into_inner());
    summary.elapsed = started.elapsed();
    summary.sequences = shared.sequences.load(Ordering::Relaxed);
    summary.requests = shared.requests.load(Ordering::Relaxed);
    summary.interrupted = *cancel.borrow();
    if summary.interrupted || summary.setup.is_some() {
        return summary;
    }
    let found = shared.found.into_inner().unwrap_or_else(|e| e.into_inner());
    let shrink_deadline = Instant::now() + config.shrink_time;
    let Some(api) = apis.first() else { return summary };
    for (n, (steps, step, broken)) in found.into_iter().enumerate() {
        progress.shrinking_sequence(n + 1, &broken.rule.name());
        let s = shrink(api, &steps, step, &broken, config.shrink_runs, shrink_deadline, &cancel).await;
        summary.requests += s.requests;
        summary.left_behind.extend(s.left_behind);
        summary.findings.push(SequenceFinding {
            original: steps,
            shrunk: s.steps,
            broken: s.broken,
            step: s.step,
            shrink_runs: s.runs,
        });
    }
    summary
}

struct Shrunk {
    steps: Vec<Step>,
    step: usize,
    broken: Broken,
    runs: usize,
    requests: u64,
    left_behind: Vec<String>,
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
/// failing step at every stage.
async fn shrink<A: Api>(
    api: &A,
    steps: &[Step],
    step: usize,
    broken: &Broken,
    budget: usize,
    deadline: Instant,
    cancel: &tokio::sync::watch::Receiver<bool>,
) -> Shrunk {
    let key = finding_key(broken);
    let mut best = Shrunk {
        steps: steps[..=step.min(steps.len().saturating_sub(1))].to_vec(),
        step,
        broken: broken.clone(),
        runs: 0,
        requests: 0,
        left_behind: Vec::new(),
    };
    let spent = |b: &Shrunk| b.runs >= budget || Instant::now() >= deadline || *cancel.borrow();
    // Whether `cand` still fails the same way; if so it becomes the best.
    async fn attempt<A: Api>(api: &A, cand: Vec<Step>, key: &(String, String), best: &mut Shrunk) -> bool {
        best.runs += 1;
        let (verdict, requests, left) = run_and_clean(api, &cand, Until::NEVER).await;
        best.requests += requests;
        best.left_behind.extend(left);
        match verdict {
            Verdict::Violation { step, broken } if finding_key(&broken) == *key => {
                best.steps = cand[..=step].to_vec();
                best.step = step;
                best.broken = broken;
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
            if !cand.is_empty() && attempt(api, cand, &key, &mut best).await {
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
                if attempt(api, cand, &key, &mut best).await {
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
    let cite = f.broken.rule.citation();
    let text = notation::render(&f.shrunk);
    let failing = text.split(' ').nth(f.step).unwrap_or("");
    let mut out = format!(
        "finding {n}: {} — step {} ({failing}): {}\n",
        f.broken.rule.name(),
        f.step + 1,
        crate::report::summary::terminal_safe(&f.broken.message)
    );
    out.push_str(&format!("  spec ({}): \"{}\"\n", cite.source, cite.text));
    out.push_str(&format!("  sequence: {text}\n"));
    out.push_str(&format!(
        "  shrunk: {} -> {} steps ({} sequences run)\n",
        f.original.len(),
        f.shrunk.len(),
        f.shrink_runs
    ));
    out.push_str(&format!("  reproduce:\n    {command} --replay '{text}'\n"));
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
    fn findings_differ_by_rule_and_message_not_by_numbers() {
        use crate::checks::CheckId;
        use crate::fuzzing::model::{broken, Rule};
        let a = broken(Rule::Check(CheckId::NOT_FOUND), "DescribeTunnel: got HTTP 404");
        let b = broken(Rule::Check(CheckId::NOT_FOUND), "DescribeTunnel: got HTTP 500");
        let c = broken(Rule::Listing, "DescribeTunnel: got HTTP 404");
        assert_eq!(finding_key(&a), finding_key(&b));
        assert_ne!(finding_key(&a), finding_key(&c));
    }
}
