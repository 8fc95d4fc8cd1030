//! The runner: prepares tunnel state, sends each case, gathers what the checks need, runs the
//! checks, and returns a [`RunResult`]. It prints nothing; progress goes to a [`ProgressSink`] and
//! reports render the result.

pub mod aged;
pub mod budget;
mod case;
pub mod compact;
pub mod coverage;
pub mod data_plane_scenarios;
mod error;
pub mod gating;
pub mod guard;
pub mod history;
pub mod judge;
pub mod leftovers;
pub mod live;
mod out;
pub mod plan;
pub mod preflight;
pub mod recorder;
pub mod relay;
pub mod result;
pub mod select;
mod shared;
mod shared_track;
pub mod state;
pub mod strict;
pub mod transport;
mod tunnel_less;
pub mod watchdog;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

pub use budget::{Limits, TunnelStats};
pub use error::SetupError;
pub use gating::{BaselineApplied, BaselineEntryResult, EntryState, RunMode};
pub use result::{CaseResult, CheckOutcome, Exchange, RunMeta, RunResult, SkippedCheck, Status};
pub use transport::Transport;

use crate::cases::Case;
use crate::checks::CheckId;
use crate::redact::Redactor;
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
    /// Cases that need no tunnel run this many at a time beside the shared tunnel's (which run
    /// one at a time: their verdicts depend on its state); at least 1.
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
    /// `RunMode::Strict` turns the advisories (inferred points) into failures.
    pub mode: RunMode,
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
        DataPlaneTarget::Off(data_plane_scenarios::NO_DATA_PLANE.into())
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
            mode: RunMode::Spec,
            data_plane: DataPlaneTarget::default(),
        }
    }
}

/// Where the runner reports progress (the CLI draws a bar). Every method has a no-op default.
/// Called from the run's own task.
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

/// What a run will do, decided before anything is sent: the plan, the checks and why some are
/// skipped, and the data plane's URL.
pub struct Prepared {
    pub plan: plan::Plan,
    pub selected: BTreeSet<CheckId>,
    pub skipped_checks: Vec<SkippedCheck>,
    pub data_plane: Option<String>,
}

/// Plan a run of `cases` under `config` (also what `--plan` prints the footprint of).
pub fn prepare(cases: Vec<Case>, config: &RunConfig) -> Prepared {
    let selected = select::selected_checks(&config.checks);
    let only = select::OnlyFilter::new(config.only.as_deref());
    let mut skipped_checks = select::unselected(&selected);
    let cases: Vec<Case> = cases.into_iter().filter(|c| only.matches(&c.id)).collect();
    let live = live_plan(config, &selected, &only, &mut skipped_checks);
    let aged = selected.contains(&CheckId::DURATION_STATIC) && only.matches(aged::AGED_CASE_ID);
    let (data_plane, scenarios) = data_plane_plan(config, &selected, &only, &mut skipped_checks);
    Prepared {
        plan: plan::Plan::new(cases, aged, live, scenarios),
        selected,
        skipped_checks,
        data_plane,
    }
}

/// Run `cases` against the endpoint behind `transport`; every tunnel the run opened is deleted
/// by the time it returns.
pub async fn run<T: Transport>(
    transport: Arc<T>,
    cases: Vec<Case>,
    config: &RunConfig,
    progress: &dyn ProgressSink,
    cancel: Cancel,
) -> RunResult {
    let session = Session::new(transport, config, false);
    let mut result = session.run(cases, config, progress, cancel).await;
    progress.cleanup_started(session.h.held_count());
    let end = session.close().await;
    result.harness_errors.extend(end.harness_errors);
    result.harness_errors.sort();
    result.harness_errors.dedup();
    result.tunnels = end.tunnels;
    result.requests = end.requests;
    result
}

/// Runs that share their tunnels: the request fuzzer sends batch after batch of cases on the
/// same shared tunnel (rotations are free; tunnels are not). [`run`] is one batch and the end.
pub struct Session<T: Transport> {
    h: Arc<Harness<T>>,
    /// Tunnels kept from one batch for the next.
    kept: std::sync::Mutex<shared_track::Kept>,
    /// Whether the preflight passed (None: not sent yet).
    preflight: std::sync::Mutex<Option<bool>>,
    keep: bool,
}

/// What [`Session::close`] reports.
pub struct SessionEnd {
    pub tunnels: TunnelStats,
    /// Requests sent in all (every attempt).
    pub requests: u64,
    /// Problems of the cleanup.
    pub harness_errors: Vec<String>,
}

/// How long a stopped run waits for its tracks to end the step they are in.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

impl<T: Transport> Session<T> {
    /// `keep`: hand the shared tunnels from batch to batch (deleted by [`Session::close`]).
    pub fn new(transport: Arc<T>, config: &RunConfig, keep: bool) -> Session<T> {
        let time_scale = if config.time_scale.is_finite() && config.time_scale > 0.0 {
            config.time_scale
        } else {
            1.0
        };
        let h = Arc::new(Harness::new(
            transport,
            Redactor::new(),
            time_scale,
            config.limits.clone(),
        ));
        if time_scale != config.time_scale {
            h.harness_error(format!(
                "invalid time scale {}: it must be a positive number",
                config.time_scale
            ));
        }
        // Keeping a CLOSED tunnel between batches needs room for a second one at once.
        let keep = keep && config.limits.max_tunnels.is_none_or(|m| m >= 2);
        Session {
            h,
            kept: std::sync::Mutex::new(shared_track::Kept::default()),
            preflight: std::sync::Mutex::new(None),
            keep,
        }
    }

    /// Tunnels opened so far and the budgets.
    pub fn tunnel_stats(&self) -> TunnelStats {
        self.h.tunnel_stats()
    }

    /// Whether a tunnel could not be opened because `--max-tunnels-opened` was spent.
    pub fn budget_spent(&self) -> bool {
        self.h.budget.spent()
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.h.guard.requests()
    }

    /// Why the session cannot go on (auth refused, unreachable, stalled, quota held by others).
    pub fn stop_reason(&self) -> Option<String> {
        self.h.stop_reason()
    }

    async fn preflight_ok(&self) -> bool {
        if let Some(ok) = *state::lock(&self.preflight) {
            return ok;
        }
        let ok = self.h.preflight().await;
        *state::lock(&self.preflight) = Some(ok);
        ok
    }

    /// Run one batch of cases.
    pub async fn run(
        &self,
        cases: Vec<Case>,
        config: &RunConfig,
        progress: &dyn ProgressSink,
        mut cancel: Cancel,
    ) -> RunResult {
        let started = Instant::now();
        let h = &self.h;
        h.guard.watchdog.progress();
        let Prepared {
            plan,
            selected,
            mut skipped_checks,
            data_plane,
        } = prepare(cases, config);
        let dp = data_plane.and_then(|url| self.data_plane_client(&url));
        progress.run_started(plan.total());

        let mut interrupted = *cancel.borrow();
        let mut stopped = interrupted || !self.preflight_ok().await;
        let (stop_tx, stop_rx) = watch::channel(stopped);
        let out = out::Out::new(
            progress,
            config.mode,
            &h.redactor,
            selected.clone(),
            out::Stop::new(stop_rx),
        );
        if !stopped {
            interrupted = self
                .run_tracks(plan, dp.as_ref(), &out, config, &mut cancel, &stop_tx)
                .await;
            stopped = h.guard.setup_failure().is_some();
        }
        drop(stop_tx);
        let mut results = out.into_results();
        if let Some(why) = h.unreachable_reason() {
            h.harness_error(why);
        }
        results.sort_by(|a, b| a.id.cmp(&b.id));
        if config.strict_selection && !stopped && !interrupted {
            for gap in coverage::gaps(&config.checks, &results, &skipped_checks) {
                h.harness_error(gap);
            }
        }
        skipped_checks.sort_by_key(|s| report_rank(s.check));
        let mut harness_errors = h.take_harness_errors();
        harness_errors.sort();
        RunResult {
            meta: run_meta(config, &selected),
            cases: results,
            skipped_checks,
            harness_errors,
            interrupted,
            setup_failure: h.guard.setup_failure(),
            tunnels: h.tunnel_stats(),
            requests: h.guard.requests(),
            duration_ms: result::ms(started.elapsed()),
            baseline: None,
            redactor: h.redactor.clone(),
        }
    }

    /// The data-plane client for `url`, with the control plane's TLS settings; none (a harness
    /// error) when it cannot be built.
    fn data_plane_client(&self, url: &str) -> Option<crate::client::local_proxy::DataPlane> {
        let h = &self.h;
        let tls = h.transport.tls();
        let built =
            crate::client::local_proxy::DataPlane::with_tls(url, &tls, DATA_PLANE_CONNECT_TIMEOUT, DATA_PLANE_TIMEOUT);
        built.map_err(|e| h.harness_error(format!("data plane: {e}"))).ok()
    }

    /// The three tracks (the shared tunnel's, the live tunnel's, the cases without a tunnel) side
    /// by side, until they end, the setup fails, the watchdog sees no progress or `cancel` fires;
    /// true when it fired. What the shared track still holds is kept for the next batch.
    async fn run_tracks(
        &self,
        plan: plan::Plan,
        dp: Option<&crate::client::local_proxy::DataPlane>,
        out: &out::Out<'_>,
        config: &RunConfig,
        cancel: &mut Cancel,
        stop_tx: &watch::Sender<bool>,
    ) -> bool {
        let h = &self.h;
        let mut interrupted = false;
        let kept = std::mem::take(&mut *state::lock(&self.kept));
        let shared_work = shared_track::run(h, plan.shared, dp, out, kept, self.keep);
        let live_work = async {
            if plan.live {
                out.started(live::LIVE_CASE_ID);
                let r = live::run(h, config.time_scale, config.expiry_grace, &out.selected, &out.stop).await;
                if let Some(r) = r {
                    out.finished(r);
                }
            }
        };
        let lanes = config.concurrency.max(1);
        let tracks = async {
            let (kept, (), ()) = tokio::join!(
                shared_work,
                live_work,
                tunnel_less::run(h, plan.tunnel_less, lanes, out)
            );
            kept
        };
        let mut tracks = Box::pin(tracks);
        let mut setup_stop = h.guard.stopped();
        let stall = config.limits.stall;
        let watchdog = async {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                if let Some(why) = h.guard.watchdog.stalled(stall) {
                    h.guard.fail_setup(why);
                    return;
                }
            }
        };
        let kept = tokio::select! {
            biased;
            () = cancelled(&mut setup_stop) => None,
            () = watchdog => None,
            kept = &mut tracks => Some(kept),
            () = cancelled(cancel) => {
                interrupted = true;
                let _ = stop_tx.send(true);
                // Each track ends the step it is in (what it holds is then handed back in
                // order), unless that takes too long or the run must stop now.
                tokio::select! {
                    biased;
                    () = cancelled(&mut setup_stop) => None,
                    kept = &mut tracks => Some(kept),
                    () = tokio::time::sleep(STOP_GRACE) => None,
                }
            }
        };
        drop(tracks);
        if let Some(kept) = kept {
            *state::lock(&self.kept) = kept;
        }
        interrupted
    }

    /// Delete every tunnel the session opened; its footprint and the cleanup's problems.
    pub async fn close(self) -> SessionEnd {
        *state::lock(&self.kept) = shared_track::Kept::default();
        self.h.cleanup().await;
        SessionEnd {
            tunnels: self.h.tunnel_stats(),
            requests: self.h.guard.requests(),
            harness_errors: self.h.take_harness_errors(),
        }
    }
}

/// What a run was: its parameters, as the reports state them.
fn run_meta(config: &RunConfig, selected: &BTreeSet<CheckId>) -> RunMeta {
    RunMeta {
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        seed: config.seed,
        endpoint: config.endpoint.clone(),
        embedded: config.embedded,
        region: config.region.clone(),
        time_scale: config.time_scale,
        live: config.live,
        only: config.only.clone(),
        checks: selected.iter().copied().collect(),
        concurrency: config.concurrency.max(1),
        endpoint_source: config.endpoint_source.clone(),
        mode: config.mode,
    }
}

/// Skipped checks in report order (the order they were found in is the plan's).
fn report_rank(id: CheckId) -> usize {
    CheckId::all().position(|c| c == id).unwrap_or(usize::MAX)
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

/// The data plane's URL and the scenarios to run on it; without one, the data-plane checks are
/// skipped.
fn data_plane_plan(
    config: &RunConfig,
    selected: &BTreeSet<CheckId>,
    only: &select::OnlyFilter,
    skipped: &mut Vec<SkippedCheck>,
) -> (Option<String>, Vec<data_plane_scenarios::Scenario>) {
    let planned = data_plane_scenarios::planned(selected, only);
    match &config.data_plane {
        DataPlaneTarget::Url(url) if !planned.is_empty() => (Some(url.clone()), planned),
        DataPlaneTarget::Url(_) => (None, Vec::new()),
        DataPlaneTarget::Off(reason) => {
            for check in data_plane_scenarios::DATA_PLANE_ONLY
                .into_iter()
                .filter(|c| selected.contains(c))
            {
                skipped.push(SkippedCheck {
                    check,
                    reason: reason.clone(),
                });
            }
            (None, Vec::new())
        }
    }
}

/// Timeouts of a data-plane handshake (connect, and the whole handshake).
const DATA_PLANE_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const DATA_PLANE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
