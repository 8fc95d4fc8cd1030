//! The runner: prepares tunnel state, sends each case, gathers what the checks need, runs the
//! checks, and returns a [`RunResult`]. It prints nothing; progress goes to a [`ProgressSink`] and
//! reports render the result.

pub mod aged;
pub mod budget;
pub mod compact;
pub mod coverage;
pub mod dataplane;
mod error;
pub mod gating;
pub mod guard;
pub mod history;
pub mod judge;
pub mod leftovers;
pub mod live;
pub mod preflight;
pub mod recorder;
pub mod relay;
pub mod result;
pub mod select;
pub mod state;
pub mod strict;
pub mod transport;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use budget::{Limits, TunnelStats};
pub use error::SetupError;
pub use gating::{BaselineApplied, BaselineEntryResult, EntryState, Mode};
pub use result::{CaseResult, CheckOutcome, Exchange, RunMeta, RunResult, SkippedCheck, Status};
pub use transport::Transport;

use crate::cases::{Case, TunnelState};
use crate::checks::{self, CheckId};
use crate::redact::Redactor;
use recorder::{REQUEST, VERIFY};
use state::Harness;

/// How to run. `Default` is a sensible local run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// The seed the cases were generated with (recorded in the result).
    pub seed: u64,
    /// How many times faster than real time the endpoint's clock runs (1.0 for AWS).
    pub time_scale: f64,
    /// Run the duration-live scenario (waits about 1.2 tunnel lifetimes of real time).
    pub live: bool,
    /// Only cases whose id matches: a glob (`*`, `?`) or else a prefix.
    pub only: Option<String>,
    /// Checks to run; empty selects every check.
    pub checks: Vec<CheckId>,
    /// Cases run at once (each on its own tunnel); at least 1.
    pub concurrency: usize,
    /// For the result's metadata.
    pub endpoint: String,
    pub embedded: bool,
    pub region: String,
    /// No silent passes: a selection that judges nothing, or a check in `checks` that never runs,
    /// is a harness error (exit 2). The CLI sets it; a fuzz batch does not need it.
    pub strict_selection: bool,
    /// Which setting named the endpoint (for the result's metadata).
    pub endpoint_source: Option<String>,
    /// Retries, tunnel budget and run tag.
    pub limits: Limits,
    /// How late after createdAt + lifetime the live check still accepts the tunnel's closing;
    /// None: 20 % of the lifetime.
    pub expiry_grace: Option<std::time::Duration>,
    /// `Mode::Strict` turns the advisories (inferred points) into failures.
    pub mode: Mode,
    /// Where the data plane is; without one the data-plane checks are skipped.
    pub data_plane: DataPlaneTarget,
}

/// The data plane a run connects to, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataPlaneTarget {
    /// A `ws://` or `wss://` URL.
    Url(String),
    /// No data plane: the reason the data-plane checks are skipped.
    Off(String),
}

impl Default for DataPlaneTarget {
    fn default() -> Self {
        DataPlaneTarget::Off(dataplane::NO_DATA_PLANE.into())
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            seed: 0,
            time_scale: 1.0,
            live: false,
            only: None,
            checks: Vec::new(),
            concurrency: 4,
            endpoint: "embedded".into(),
            embedded: true,
            region: "us-east-1".into(),
            strict_selection: false,
            endpoint_source: None,
            // A local run: the SDKs' 1 s backoff base buys nothing against a loopback server (the
            // CLI sets the standard policy, `--retry-base`).
            limits: Limits {
                retry: crate::client::RetryPolicy::with_base(std::time::Duration::from_millis(50)),
                ..Limits::default()
            },
            expiry_grace: None,
            mode: Mode::Spec,
            data_plane: DataPlaneTarget::default(),
        }
    }
}

/// Where the runner reports progress (the CLI draws a bar). Every method has a no-op default.
pub trait ProgressSink: Send + Sync {
    /// `total` cases (the live scenario included) will run.
    fn run_started(&self, _total: usize) {}
    fn case_started(&self, _id: &str) {}
    fn case_finished(&self, _id: &str, _status: Status) {}
    /// Closing the `_tunnels` tunnels the run opened.
    fn cleanup_started(&self, _tunnels: usize) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl ProgressSink for NoProgress {}

/// A cancellation signal: the run stops when the value becomes `true` (the CLI's Ctrl-C handler
/// sends it). Cleanup still runs. A dropped sender never cancels.
pub type Cancel = watch::Receiver<bool>;

/// A `Cancel` that never fires.
pub fn never_cancel() -> Cancel {
    let (tx, rx) = watch::channel(false);
    // Leak-free: the receiver treats a closed channel as "never".
    drop(tx);
    rx
}

async fn cancelled(cancel: &mut Cancel) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Run `cases` against the endpoint behind `transport`.
pub async fn run<T: Transport>(
    transport: Arc<T>,
    cases: Vec<Case>,
    config: &RunConfig,
    progress: &dyn ProgressSink,
    mut cancel: Cancel,
) -> RunResult {
    let started = Instant::now();
    let redactor = Redactor::new();
    let time_scale = if config.time_scale.is_finite() && config.time_scale > 0.0 {
        config.time_scale
    } else {
        1.0
    };
    let harness = Arc::new(Harness::new(
        transport,
        redactor.clone(),
        time_scale,
        config.limits.clone(),
    ));
    if time_scale != config.time_scale {
        harness.harness_error(format!(
            "invalid time scale {}: it must be a positive number",
            config.time_scale
        ));
    }
    let selected = select::selected_checks(&config.checks);
    let only = select::OnlyFilter::new(config.only.as_deref());
    let mut skipped_checks = select::unselected(&selected);

    let mut cases: Vec<Case> = cases.into_iter().filter(|c| only.matches(&c.id)).collect();
    // Grouped by the tunnel they need, so that all lanes work through one kind of tunnel at a
    // time: a lane then holds about one tunnel, and a tunnel budget is not spent re-opening
    // tunnels of other kinds (see budget.rs). Still a fixed order, so runs stay deterministic.
    cases.sort_by(|a, b| (state::pool_key(&a.tunnel), &a.id).cmp(&(state::pool_key(&b.tunnel), &b.id)));
    let run_live = live_plan(config, &selected, &only, &mut skipped_checks);
    let run_aged = selected.contains(&CheckId::DURATION_STATIC) && only.matches(aged::AGED_CASE_ID);
    let data_plane = data_plane_plan(config, &harness, &selected, &only, &mut skipped_checks);
    progress.run_started(
        cases.len() + usize::from(run_live) + usize::from(run_aged) + data_plane.as_ref().map_or(0, |(_, s)| s.len()),
    );

    let mut results = Vec::new();
    let mut interrupted = *cancel.borrow();
    // An auth failure (here or later) or a tunnel quota held by others stops the run: exit 2.
    let mut setup_stop = harness.guard.stopped();
    let mut stopped = interrupted || !harness.preflight().await;
    // Scenarios run beside the cases: they mostly wait.
    let mut scenarios = Vec::new();
    if run_live && !stopped {
        let (h, scale, sel) = (harness.clone(), config.time_scale, selected.clone());
        let grace = config.expiry_grace;
        progress.case_started(live::LIVE_CASE_ID);
        scenarios.push((
            live::LIVE_CASE_ID,
            tokio::spawn(async move { live::run(&h, scale, grace, &sel).await }),
        ));
    }
    if run_aged && !stopped {
        let (h, sel) = (harness.clone(), selected.clone());
        progress.case_started(aged::AGED_CASE_ID);
        scenarios.push((
            aged::AGED_CASE_ID,
            tokio::spawn(async move { aged::run(&h, &sel).await }),
        ));
    }
    if let (Some((dp, planned)), false) = (&data_plane, interrupted) {
        for &scenario in planned {
            let (h, dp, sel) = (harness.clone(), dp.clone(), selected.clone());
            progress.case_started(scenario.id());
            scenarios.push((
                scenario.id(),
                tokio::spawn(async move { dataplane::run(&h, &dp, scenario, &sel).await }),
            ));
        }
    }

    // Lanes: case i always runs in lane i % concurrency, and a lane runs its cases one after the
    // other on tunnels of its own. Which tunnel serves which case, and so every request and
    // recorded exchange, is then the same on every run with the same seed, whatever the timing.
    // Each lane holds one tunnel at a time, and so does each scenario: more lanes than the tunnel
    // budget leaves room for would only take tunnels from each other.
    let scenario_tunnels = usize::from(run_live) + usize::from(run_aged);
    let concurrency = match config.limits.max_tunnels {
        Some(max) => config.concurrency.min(max.saturating_sub(scenario_tunnels)).max(1),
        None => config.concurrency,
    }
    .max(1);
    let mut lanes: Vec<Vec<Case>> = (0..concurrency).map(|_| Vec::new()).collect();
    for (i, case) in cases.into_iter().enumerate() {
        lanes[i % concurrency].push(case);
    }
    let mut lanes: Vec<std::vec::IntoIter<Case>> = lanes.into_iter().map(Vec::into_iter).collect();
    let mut idle: Vec<usize> = (0..concurrency).rev().collect();
    let mut running: JoinSet<CaseResult> = JoinSet::new();
    let mut names = BTreeMap::new();
    while !stopped {
        while let Some(lane) = idle.pop() {
            let Some(case) = lanes[lane].next() else {
                harness.retire_lane(lane);
                continue;
            };
            progress.case_started(&case.id);
            let id = case.id.clone();
            let handle = running.spawn(run_case(harness.clone(), case, selected.clone(), lane));
            names.insert(handle.id(), (id, lane));
        }
        tokio::select! {
            biased;
            () = cancelled(&mut cancel) => (interrupted, stopped) = (true, true),
            () = cancelled(&mut setup_stop) => stopped = true,
            joined = running.join_next_with_id() => match joined {
                None => break,
                Some(Ok((task, mut r))) => {
                    idle.extend(names.get(&task).map(|(_, lane)| *lane));
                    strict::apply(config.mode, &mut r);
                    progress.case_finished(&r.id, r.worst());
                    compact::compact(&mut r, &redactor);
                    results.push(r);
                }
                Some(Err(e)) => {
                    let (id, lane) = names.get(&e.id()).cloned().unwrap_or_default();
                    idle.push(lane);
                    harness.harness_error(format!("case {id}: internal error: {e}"));
                }
            },
        }
    }
    if stopped {
        running.abort_all();
        // Wait for aborted cases to stop, so none opens a tunnel after cleanup has listed them.
        while running.join_next().await.is_some() {}
    }
    for (scenario_id, mut task) in scenarios {
        let finished = tokio::select! {
            biased;
            () = cancelled(&mut cancel) => {
                interrupted = true;
                task.abort();
                // Let it stop before cleanup lists the tunnels (it may be opening one).
                let _ = (&mut task).await;
                None
            }
            () = cancelled(&mut setup_stop) => {
                task.abort();
                // Let it stop before cleanup lists the tunnels (it may be opening one).
                let _ = (&mut task).await;
                None
            }
            r = &mut task => Some(r),
        };
        if let Some(r) = finished {
            match r {
                Ok(mut r) => {
                    strict::apply(config.mode, &mut r);
                    progress.case_finished(&r.id, r.worst());
                    compact::compact(&mut r, &redactor);
                    results.push(r);
                }
                Err(e) if e.is_cancelled() => {}
                Err(e) => harness.harness_error(format!("{scenario_id}: internal error: {e}")),
            }
        }
    }

    progress.cleanup_started(harness.opened_count());
    harness.cleanup().await;
    if let Some(why) = harness.unreachable_reason() {
        harness.harness_error(why);
    }
    results.sort_by(|a, b| a.id.cmp(&b.id));
    if config.strict_selection && !stopped {
        for gap in coverage::gaps(&config.checks, &results, &skipped_checks) {
            harness.harness_error(gap);
        }
    }
    let mut harness_errors = harness.take_harness_errors();
    harness_errors.sort();
    RunResult {
        meta: RunMeta {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            seed: config.seed,
            endpoint: config.endpoint.clone(),
            embedded: config.embedded,
            region: config.region.clone(),
            time_scale: config.time_scale,
            live: config.live,
            only: config.only.clone(),
            checks: selected.iter().copied().collect(),
            concurrency,
            endpoint_source: config.endpoint_source.clone(),
            mode: config.mode,
        },
        cases: results,
        skipped_checks,
        harness_errors,
        interrupted,
        setup_failure: harness.guard.setup_failure(),
        tunnels: harness.tunnel_stats(),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        baseline: None,
        redactor,
    }
}

/// Whether the live scenario runs; when it cannot, say why in `skipped`.
fn live_plan(
    config: &RunConfig,
    selected: &BTreeSet<CheckId>,
    only: &select::OnlyFilter,
    skipped: &mut Vec<SkippedCheck>,
) -> bool {
    if !selected.contains(&CheckId::DURATION_LIVE) {
        return false;
    }
    let reason = if !config.live {
        "the live scenario is off: it waits about 1.2 tunnel lifetimes of real time (60 s / time scale); enable it with --live"
            .to_owned()
    } else if !(config.time_scale.is_finite() && config.time_scale > 0.0) {
        format!("invalid time scale {}", config.time_scale)
    } else if !only.matches(live::LIVE_CASE_ID) {
        format!("{} is excluded by --only", live::LIVE_CASE_ID)
    } else {
        return true;
    };
    skipped.push(SkippedCheck {
        check: CheckId::DURATION_LIVE,
        reason,
    });
    false
}

/// The data plane and the scenarios to run on it; without one, the data-plane checks are skipped.
fn data_plane_plan<T: Transport>(
    config: &RunConfig,
    harness: &Harness<T>,
    selected: &BTreeSet<CheckId>,
    only: &select::OnlyFilter,
    skipped: &mut Vec<SkippedCheck>,
) -> Option<(Arc<crate::client::dataplane::DataPlane>, Vec<dataplane::Scenario>)> {
    let planned = dataplane::planned(selected, only);
    let url = match &config.data_plane {
        DataPlaneTarget::Url(url) => url,
        DataPlaneTarget::Off(reason) => {
            for check in dataplane::DATA_PLANE_ONLY.into_iter().filter(|c| selected.contains(c)) {
                skipped.push(SkippedCheck {
                    check,
                    reason: reason.clone(),
                });
            }
            return None;
        }
    };
    if planned.is_empty() {
        return None;
    }
    let tls = harness.transport.tls();
    match crate::client::dataplane::DataPlane::with_tls(url, &tls, DATA_PLANE_CONNECT_TIMEOUT, DATA_PLANE_TIMEOUT) {
        Ok(dp) => Some((Arc::new(dp), planned)),
        Err(e) => {
            harness.harness_error(format!("data plane: {e}"));
            None
        }
    }
}

/// Timeouts of a data-plane handshake (connect, and the whole handshake).
const DATA_PLANE_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const DATA_PLANE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Prepare, send, verify and judge one case.
async fn run_case<T: Transport>(
    h: Arc<Harness<T>>,
    case: Case,
    selected: BTreeSet<CheckId>,
    lane: usize,
) -> CaseResult {
    let started = Instant::now();
    let mut rec = h.recorder();
    let mut setup_error = h
        .unreachable_reason()
        .or_else(|| h.guard.setup_failure())
        .map(SetupError::NotRun);

    let mut prepared = None;
    if setup_error.is_none() && state::pool_key(&case.tunnel).is_some() {
        match h.prepare(&mut rec, &case.tunnel, lane).await {
            Ok(p) => prepared = Some(p),
            Err(e) => {
                // Recorded without the case id, so a failure every case meets (an account's tunnel
                // limit, an unreachable endpoint) is one line; the case's outcomes name it too.
                if h.unreachable_reason().is_none() {
                    h.harness_error(format!("setup: {e}"));
                }
                setup_error = Some(e);
            }
        }
    }
    let request = match (&case.tunnel, &prepared) {
        (_, Some(p)) => case.materialize(&p.tunnel.id),
        (TunnelState::Unknown { id }, _) => case.materialize(id),
        _ => case.request.clone(),
    };

    let mut response = None;
    let mut transport_error = None;
    let mut after = None;
    if setup_error.is_none() {
        match rec.send(REQUEST, request.clone()).await {
            Ok(r) => response = Some(r),
            Err(e) => {
                transport_error = Some(e.to_string());
                h.transport_failed(format!("case {}", case.id), e);
            }
        }
        if let Some(p) = &prepared {
            after = h.describe(&mut rec, VERIFY, &p.tunnel.id).await;
        }
    }
    let body: Option<Value> = response.as_ref().filter(|r| r.is_success()).and_then(|r| r.body_json());
    // A request another operation accepted may have opened a tunnel (a mutated X-Amz-Target).
    if let (Some(b), Some("OpenTunnel")) = (&body, request.operation()) {
        if let Some(id) = b.get("tunnelId").and_then(Value::as_str) {
            h.register_opened(id);
        }
    }

    let setup_error = setup_error.map(|e| e.to_string());
    let outcomes = {
        let evidence = judge::Evidence {
            case: &case,
            request: &request,
            response: match (&response, &transport_error) {
                (Some(r), _) => Some(Ok(r)),
                (None, Some(e)) => Some(Err(e.as_str())),
                (None, None) => None,
            },
            setup_error: setup_error.as_deref(),
            tunnel_arn: prepared.as_ref().and_then(|p| p.tunnel.arn.as_deref()),
            earlier_tokens: prepared.as_ref().map_or(&[], |p| p.tunnel.tokens.tokens()),
            before: prepared.as_ref().and_then(|p| p.before.as_ref()),
            after: after.as_ref(),
            exchanges: &rec.exchanges,
        };
        judge::judge(&evidence, &selected)
    };

    if let Some(mut p) = prepared {
        if let Some(b) = &body {
            p.tunnel.tokens.record(b);
        }
        h.release(&case.tunnel, p.tunnel, after.as_ref(), lane);
    }
    CaseResult {
        error_type: checks::error_type_of(response.as_ref()),
        id: case.id,
        kind: case.kind,
        description: case.description,
        operator: case.operator,
        tunnel: case.tunnel,
        expect: case.expect,
        request,
        response,
        transport_error,
        outcomes,
        exchanges: rec.exchanges,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}
