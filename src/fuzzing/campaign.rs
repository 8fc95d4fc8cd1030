//! `rotcheck fuzz`: random requests from the mutation catalog, sent in batches through the runner
//! (so tunnels are prepared and every response is judged by the same checks as `rotcheck run`),
//! each distinct finding shrunk to a minimal request. The boundary and fixture cases are mixed in, so
//! unknown and closed tunnels are exercised too.
//!
//! Deterministic for a seed: the request sequence comes from one RNG stream. Bounded: requests
//! stop at the deadline (in-flight cases are cancelled, their tunnels still deleted), shrinking
//! has its own budget of requests and time, and only findings (at most `max_findings`) are kept.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::Rng;
use tokio::sync::watch;

use super::shrink;
use crate::cases::{boundary, embedded_fixtures, mutate, rng_for, valid, BaseRequest, Case, TUNNEL_ID_PLACEHOLDER};
use crate::checks::CheckId;
use crate::redact::Redactor;
use crate::runner::{self, CaseResult, CheckOutcome, ProgressSink, RunConfig, Status, Transport};
use crate::wire::HttpRequest;

/// Shrink candidates sent at once.
const SHRINK_GROUP: usize = 8;

#[derive(Debug, Clone)]
pub struct FuzzConfig {
    pub seed: u64,
    /// Stop sending new requests after this long.
    pub duration: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Cases per runner batch (each batch opens its tunnels and deletes them at the end).
    pub batch: usize,
    /// Distinct findings (check and operator) shrunk and reported; later ones are counted only.
    pub max_findings: usize,
    /// Requests spent shrinking one finding.
    pub shrink_requests: usize,
    /// Time spent shrinking, over all findings.
    pub shrink_time: Duration,
    /// For the runner's metadata.
    pub endpoint: String,
    pub embedded: bool,
    pub region: String,
    /// Most tunnels opened in all (`--max-tunnels-opened`); None: unlimited. The campaign keeps
    /// its tunnels from batch to batch (rotations are free), so it opens two unless the endpoint
    /// closes them; when the budget is spent it stops and says so.
    pub max_tunnels_opened: Option<usize>,
    /// How long one request may wait for its answer (`--timeout`): the watchdog allows it.
    pub request_timeout: Duration,
}

impl Default for FuzzConfig {
    fn default() -> Self {
        FuzzConfig {
            seed: 1,
            duration: Duration::from_secs(60),
            concurrency: 4,
            batch: 128,
            max_findings: 10,
            shrink_requests: 200,
            shrink_time: Duration::from_secs(30),
            endpoint: "embedded".into(),
            embedded: true,
            region: "us-east-1".into(),
            max_tunnels_opened: None,
            request_timeout: runner::Limits::default().request_timeout,
        }
    }
}

/// A check that failed, on the request as generated and as shrunk.
#[derive(Debug, Clone)]
pub struct Finding {
    pub check: CheckId,
    /// What made the request: its mutation operator, else its case family (`valid/all`,
    /// `boundary/tunnelId`, ...).
    pub operator: String,
    pub original: CaseResult,
    pub shrunk: CaseResult,
    /// The failing outcome on the shrunk request.
    pub outcome: CheckOutcome,
    /// Candidate requests sent while shrinking.
    pub shrink_requests: usize,
    /// Whether the shrunk request names the tunnel prepared for it (its id is in the request).
    pub names_tunnel: bool,
}

#[derive(Debug)]
pub struct FuzzSummary {
    /// Fuzz requests judged (setup and verification calls not counted).
    pub requests: u64,
    pub elapsed: Duration,
    pub findings: Vec<Finding>,
    /// Failures beyond `max_findings` or repeating a reported (check, operator).
    pub repeated_failures: u64,
    /// Cases the harness could not judge (transport or setup failures).
    pub unjudged: u64,
    /// Harness-level errors (unreachable endpoint, failed setup), deduplicated.
    pub harness_errors: Vec<String>,
    /// Holds every token seen: reproductions go through it.
    pub redactor: Redactor,
    pub interrupted: bool,
    /// Tunnels opened, and the budgets.
    pub tunnels: runner::TunnelStats,
    /// HTTP requests sent in all (setup, verification, shrinking and cleanup included).
    pub requests_sent: u64,
    /// The campaign stopped because `--max-tunnels-opened` was spent.
    pub budget_spent: bool,
}

impl FuzzSummary {
    /// 1 on any finding; else 2 when a request could not be judged (as `rotcheck run`: setup or
    /// transport failures) or none was; else 0. A campaign that stopped on its spent tunnel
    /// budget judged what it could: the requests it could not send are not a failure.
    pub fn exit_code(&self) -> u8 {
        if !self.findings.is_empty() {
            1
        } else if self.requests == 0 || (self.unjudged > 0 && !self.budget_spent) {
            // A campaign that judged nothing (an endpoint too slow for --duration, say) found
            // nothing: that is not a pass.
            2
        } else {
            0
        }
    }
}

/// What the campaign reports while it runs.
pub trait FuzzProgress: Send + Sync {
    /// Called after every judged request.
    fn update(&self, _requests: u64, _findings: u64) {}
    /// Shrinking finding `n` (1-based) of check `check`.
    fn shrinking(&self, _n: usize, _check: CheckId) {}
    /// Shrinking sequence finding `n` (1-based), which broke `rule`.
    fn shrinking_sequence(&self, _n: usize, _rule: &str) {}
}

pub struct NoFuzzProgress;
impl FuzzProgress for NoFuzzProgress {}

/// The request sequence of a seed: a base and an operator drawn at random, one of the operator's
/// mutants drawn at random; now and then an unmutated valid request, or one of the boundary and
/// fixture cases (unknown and closed tunnels, values at the model's limits).
pub struct CaseStream {
    rng: StdRng,
    bases: Vec<BaseRequest>,
    others: Vec<Case>,
    n: u64,
}

impl CaseStream {
    pub fn new(seed: u64) -> CaseStream {
        let mut bases = valid::bases(&mut rng_for(seed, "fuzz-bases"));
        bases.push(valid::full_base(&mut rng_for(seed, "fuzz-bases")));
        let mut others = boundary::cases(&mut rng_for(seed, "fuzz-boundary"));
        others.extend(embedded_fixtures().unwrap_or_default());
        CaseStream {
            rng: rng_for(seed, "fuzz"),
            bases,
            others,
            n: 0,
        }
    }
}

impl Iterator for CaseStream {
    type Item = Case;

    fn next(&mut self) -> Option<Case> {
        let ops = mutate::catalog();
        loop {
            self.n += 1;
            let base = &self.bases[self.rng.random_range(0..self.bases.len())];
            let mut case = if !self.others.is_empty() && self.rng.random_ratio(1, 8) {
                self.others[self.rng.random_range(0..self.others.len())].clone()
            } else if self.rng.random_ratio(1, 20) {
                base.valid_case()
            } else {
                let op = &ops[self.rng.random_range(0..ops.len())];
                let mut mutants = op.apply(base, &mut self.rng);
                if mutants.is_empty() {
                    continue;
                }
                let i = self.rng.random_range(0..mutants.len());
                let mut case = mutants.swap_remove(i);
                case.description = format!("{} (base: {})", case.description, base.summary());
                case
            };
            // Unique and sortable: the runner orders cases by id.
            case.id = format!("fuzz/{:08}/{}", self.n, case.id);
            return Some(case);
        }
    }
}

/// Counts judged requests for the progress display.
struct Counter<'a> {
    requests: &'a AtomicU64,
    findings: &'a AtomicU64,
    progress: &'a dyn FuzzProgress,
}

impl ProgressSink for Counter<'_> {
    fn case_finished(&self, _id: &str, status: Status) {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if status == Status::Fail {
            self.findings.fetch_add(1, Ordering::Relaxed);
        }
        self.progress.update(n, self.findings.load(Ordering::Relaxed));
    }
}

/// The runner's configuration for batches whose case ids start with `prefix`. The filter keeps
/// the runner's own timed scenarios (aged rotation, duration-live) out of every batch: they wait
/// seconds and send no fuzzed request.
fn run_config(config: &FuzzConfig, prefix: &str) -> RunConfig {
    RunConfig {
        seed: config.seed,
        time_scale: 1.0,
        live: false,
        only: Some(prefix.to_owned()),
        checks: CheckId::all()
            .filter(|c| *c != CheckId::DURATION_LIVE && !runner::data_plane_scenarios::DATA_PLANE_ONLY.contains(c))
            .collect(),
        concurrency: config.concurrency.max(1),
        endpoint: config.endpoint.clone(),
        embedded: config.embedded,
        region: config.region.clone(),
        limits: runner::Limits {
            retry: crate::client::RetryPolicy::with_base(super::FUZZ_RETRY_BASE),
            max_opened: config.max_tunnels_opened,
            request_timeout: config.request_timeout,
            ..runner::Limits::default()
        },
        // Fuzzing judges by the spec only: an advisory is never a finding.
        mode: crate::runner::RunMode::Spec,
        data_plane: runner::DataPlaneTarget::Off("rotcheck fuzz does not connect to the data plane".into()),
        ..RunConfig::default()
    }
}

/// A cancellation that fires at `deadline` or when `outer` does.
fn deadline_cancel(deadline: tokio::time::Instant, mut outer: runner::Cancel) -> runner::Cancel {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let outer_fired = async {
            if outer.wait_for(|c| *c).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            () = outer_fired => {}
            () = tx.closed() => return,
        }
        let _ = tx.send(true);
    });
    rx
}

/// Fuzz the endpoint behind `transport` until `config.duration` has passed (or `cancel` fires).
pub async fn fuzz<T: Transport>(
    transport: Arc<T>,
    config: &FuzzConfig,
    progress: &dyn FuzzProgress,
    cancel: runner::Cancel,
) -> FuzzSummary {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + config.duration;
    let stop = deadline_cancel(deadline, cancel.clone());
    let (requests, failing) = (AtomicU64::new(0), AtomicU64::new(0));
    let counter = Counter {
        requests: &requests,
        findings: &failing,
        progress,
    };
    let run_cfg = run_config(config, "fuzz/");
    let redactor = Redactor::new();
    // One session for every batch and the shrinking: its shared tunnels are kept throughout.
    let session = runner::Session::new(transport.clone(), &run_cfg, true);
    let mut stream = CaseStream::new(config.seed);
    let mut tally = Tally::default();
    let mut interrupted = false;

    while !*stop.borrow() {
        let batch: Vec<Case> = stream.by_ref().take(config.batch.max(1)).collect();
        let by_id: HashMap<String, Case> = batch.iter().map(|c| (c.id.clone(), c.clone())).collect();
        let result = session.run(batch, &run_cfg, &counter, stop.clone()).await;
        tally.budget_spent = session.budget_spent();
        merge_tokens(&redactor, &result.cases);
        tally.note_errors(result.harness_errors);
        for case in result.cases {
            tally.absorb(case, &by_id, config.max_findings);
        }
        if result.interrupted {
            interrupted = *cancel.borrow();
            break;
        }
        // Out of tunnels, or nothing answers: more batches would only repeat the same error.
        let judged = requests.load(Ordering::Relaxed);
        if tally.budget_spent || (judged > 0 && tally.unjudged == judged && !tally.harness_errors.is_empty()) {
            break;
        }
    }
    let fuzz_elapsed = started.elapsed();
    let findings = shrink_all(
        &session,
        config,
        progress,
        &cancel,
        &redactor,
        std::mem::take(&mut tally.found),
    )
    .await;
    let end = session.close().await;
    tally.note_errors(end.harness_errors);
    if tally.budget_spent {
        tally.harness_errors.retain(|e| !e.contains("tunnel budget is spent"));
    }
    FuzzSummary {
        tunnels: end.tunnels,
        requests_sent: end.requests,
        budget_spent: tally.budget_spent,
        requests: requests.load(Ordering::Relaxed),
        elapsed: fuzz_elapsed,
        findings,
        repeated_failures: tally.repeated,
        unjudged: tally.unjudged,
        harness_errors: tally.harness_errors,
        redactor,
        interrupted,
    }
}

/// A failing (check, source) found in a batch: the case template and its result, to shrink.
type Found = (CheckId, String, Case, CaseResult);

/// What the batches found so far.
#[derive(Default)]
struct Tally {
    seen: BTreeSet<(CheckId, String)>,
    found: Vec<Found>,
    repeated: u64,
    unjudged: u64,
    harness_errors: Vec<String>,
    /// `--max-tunnels-opened` ran out: the cases left were not sent.
    budget_spent: bool,
}

/// Harness errors listed at most (the rest repeat them).
const HARNESS_ERRORS_KEPT: usize = 10;

impl Tally {
    fn note_errors(&mut self, errors: Vec<String>) {
        for e in errors {
            if !self.harness_errors.contains(&e) && self.harness_errors.len() < HARNESS_ERRORS_KEPT {
                self.harness_errors.push(e);
            }
        }
    }

    /// Count one judged case: an error it could not be judged for, and each new failing check
    /// as a finding (in the checks' order: a request's own checks before the ones about the
    /// tunnel it left behind).
    fn absorb(&mut self, case: CaseResult, by_id: &HashMap<String, Case>, max_findings: usize) {
        if let Some(o) = case.outcomes.iter().find(|o| o.status == Status::Error) {
            self.unjudged += 1;
            // With the budget spent, these were not sent for want of a tunnel: said once.
            if !self.budget_spent && self.harness_errors.len() < HARNESS_ERRORS_KEPT {
                self.harness_errors
                    .push(format!("{} {}: {}", o.check, case.id, o.message));
            }
        }
        let mut fails: Vec<CheckId> = case
            .outcomes
            .iter()
            .filter(|o| o.status == Status::Fail)
            .map(|o| o.check)
            .collect();
        fails.sort();
        fails.dedup();
        for check in fails {
            let key = (check, finding_source(&case));
            if self.seen.contains(&key) || self.found.len() >= max_findings {
                self.repeated += 1;
                continue;
            }
            self.seen.insert(key.clone());
            if let Some(template) = by_id.get(&case.id) {
                self.found.push((key.0, key.1, template.clone(), case.clone()));
            }
        }
    }
}

/// Shrink every finding within the campaign's shrinking time.
async fn shrink_all<T: Transport>(
    session: &runner::Session<T>,
    config: &FuzzConfig,
    progress: &dyn FuzzProgress,
    cancel: &runner::Cancel,
    redactor: &Redactor,
    found: Vec<Found>,
) -> Vec<Finding> {
    let shrink_cfg = run_config(config, "shrink/");
    let shrink_deadline = tokio::time::Instant::now() + config.shrink_time;
    let mut findings = Vec::new();
    for (n, (check, operator, template, original)) in found.into_iter().enumerate() {
        progress.shrinking(n + 1, check);
        let stop = deadline_cancel(shrink_deadline, cancel.clone());
        let (shrunk, outcome, spent, names_tunnel) = shrink_finding(
            session,
            &shrink_cfg,
            &template,
            &original,
            check,
            config.shrink_requests,
            &stop,
        )
        .await;
        merge_tokens(redactor, std::slice::from_ref(&shrunk));
        findings.push(Finding {
            check,
            operator,
            original,
            shrunk,
            outcome,
            shrink_requests: spent,
            names_tunnel,
        });
    }
    findings
}

/// What made a failing request, for telling findings apart: the mutation operator, else the
/// case family (`valid/all`, `boundary/tunnelId`, a fixture's file).
fn finding_source(case: &CaseResult) -> String {
    if let Some(op) = &case.operator {
        return op.clone();
    }
    // Ids are `fuzz/<n>/<case id>`.
    let id = case.id.splitn(3, '/').nth(2).unwrap_or(&case.id);
    id.split('/').take(2).collect::<Vec<_>>().join("/")
}

/// Every token of these results, remembered by `into` (so reproductions can redact them).
fn merge_tokens(into: &Redactor, cases: &[CaseResult]) {
    for c in cases {
        for x in &c.exchanges {
            if let Some(v) = x.response.as_ref().and_then(|r| r.body_json()) {
                into.add_tokens_from(&v);
            }
        }
        if let Some(v) = c.response.as_ref().and_then(|r| r.body_json()) {
            into.add_tokens_from(&v);
        }
    }
}

fn failing(result: &CaseResult, check: CheckId) -> Option<CheckOutcome> {
    result
        .outcomes
        .iter()
        .find(|o| o.check == check && o.status == Status::Fail)
        .cloned()
}

/// Greedy shrinking: send the one-step candidates of the current request as one batch, keep the
/// first (largest reduction) that still fails `check`, repeat.
async fn shrink_finding<T: Transport>(
    session: &runner::Session<T>,
    run_cfg: &RunConfig,
    template: &Case,
    original: &CaseResult,
    check: CheckId,
    budget: usize,
    stop: &runner::Cancel,
) -> (CaseResult, CheckOutcome, usize, bool) {
    let mut best_case = template.clone();
    let mut best = original.clone();
    let mut outcome = failing(original, check).unwrap_or_else(|| CheckOutcome::fail(check, ""));
    let mut spent = 0;
    'steps: while spent < budget && !*stop.borrow() {
        let cands: Vec<HttpRequest> = shrink::candidates(&best_case, check);
        if cands.is_empty() {
            break;
        }
        // Candidates are ordered (largest reduction first): send them a group at a time and take
        // the first that still fails, so a step usually costs one group, not every candidate.
        for group in cands.chunks(SHRINK_GROUP) {
            let group = &group[..group.len().min(budget.saturating_sub(spent))];
            if group.is_empty() || *stop.borrow() {
                break 'steps;
            }
            spent += group.len();
            let cases: Vec<Case> = group
                .iter()
                .enumerate()
                .map(|(i, request)| Case {
                    id: format!("shrink/{i:03}"),
                    request: request.clone(),
                    ..best_case.clone()
                })
                .collect();
            let result = session
                .run(cases.clone(), run_cfg, &runner::NoProgress, stop.clone())
                .await;
            // Results are sorted by id, which follows the candidates' order.
            let hit = result
                .cases
                .into_iter()
                .find_map(|r| failing(&r, check).map(|o| (r, o)));
            if let Some((r, o)) = hit {
                best_case = cases.into_iter().find(|c| c.id == r.id).unwrap_or(best_case);
                best = r;
                outcome = o;
                continue 'steps;
            }
        }
        break;
    }
    let placeholder = TUNNEL_ID_PLACEHOLDER.as_bytes();
    let names_tunnel = best_case
        .request
        .body
        .windows(placeholder.len())
        .any(|w| w == placeholder)
        || best_case
            .request
            .headers
            .iter()
            .any(|(_, v)| v.contains(TUNNEL_ID_PLACEHOLDER));
    (best, outcome, spent, names_tunnel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_sequence_follows_the_seed() {
        let a: Vec<Case> = CaseStream::new(5).take(200).collect();
        let b: Vec<Case> = CaseStream::new(5).take(200).collect();
        let c: Vec<Case> = CaseStream::new(6).take(200).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let ids: BTreeSet<&str> = a.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), a.len(), "ids are unique");
        // Many operators and some unmutated requests.
        let ops: BTreeSet<Option<&str>> = a.iter().map(|c| c.operator.as_deref()).collect();
        assert!(ops.len() > 30, "{} operators", ops.len());
        assert!(ops.contains(&None));
    }

    #[test]
    fn exit_codes() {
        let mut s = FuzzSummary {
            requests: 10,
            elapsed: Duration::from_secs(1),
            findings: Vec::new(),
            repeated_failures: 0,
            unjudged: 0,
            harness_errors: Vec::new(),
            redactor: Redactor::new(),
            interrupted: false,
            tunnels: Default::default(),
            requests_sent: 0,
            budget_spent: false,
        };
        assert_eq!(s.exit_code(), 0);
        s.unjudged = 10;
        s.harness_errors.push("endpoint unreachable".into());
        assert_eq!(s.exit_code(), 2);
        s.unjudged = 0;
        s.harness_errors.clear();
        s.requests = 0;
        s.harness_errors.push("cannot open a tunnel".into());
        assert_eq!(s.exit_code(), 2);
        // Regression: a campaign that judged no request (too slow for --duration) exited 0.
        s.harness_errors.clear();
        assert_eq!(s.exit_code(), 2);
    }
}
