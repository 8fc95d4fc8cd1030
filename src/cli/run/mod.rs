//! `rotcheck run`: test an endpoint (by default the built-in reference implementation) for
//! conformance, print a summary, write reports, and exit 0 / 1 / 2 (130 on Ctrl-C).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use rotcheck::checks::CheckId;
use rotcheck::report::progress::{Progress, ProgressMode};
use rotcheck::report::repro::{fmt_num, EMBEDDED_TIME_SCALE, ENDPOINT_TIME_SCALE};
use rotcheck::report::{self, RenderOptions, RunVerdict};
use rotcheck::runner::{RunMeta, RunResult};

/// The seed used when `--seed` is not given: runs are reproducible by default.
pub const DEFAULT_SEED: u64 = 1;

/// Requests per second against a remote endpoint unless --rate says otherwise.
pub const DEFAULT_REMOTE_RATE: f64 = 5.0;

/// Tunnels held at once against a remote endpoint unless --max-tunnels says otherwise.
pub const DEFAULT_REMOTE_MAX_TUNNELS: usize = 5;

/// Tunnels opened in all against a remote endpoint unless --max-tunnels-opened says otherwise:
/// the two a run needs (the shared tunnel, the live check's) and one to replace a tunnel an
/// implementation closed when it should not have.
pub const DEFAULT_REMOTE_MAX_TUNNELS_OPENED: usize = 3;

/// From this time scale on, the live scenario's wait (1.2 x 60 s / scale) is at most 6 s, so it
/// runs without --live.
pub const AUTO_LIVE_TIME_SCALE: f64 = 12.0;

const EXAMPLES: &str = "\
Examples:
  Test the built-in reference implementation (started in-process on 127.0.0.1 with a fast clock):
    rotcheck run

  Test your implementation, or a local mock, on a loopback port (no credentials needed there):
    rotcheck serve --port 8080 --time-scale 60 &        # or start your own server
    rotcheck run --endpoint http://127.0.0.1:8080 --time-scale 60   # live check on (fast clock)

  Test real AWS. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
  AWS_SESSION_TOKEN, else from AWS_PROFILE (or the default profile) in ~/.aws/credentials and
  ~/.aws/config; the instance metadata service is never queried. Requests are SigV4-signed:
    AWS_PROFILE=ci rotcheck run --endpoint https://api.tunneling.iot.us-east-1.amazonaws.com \\
        --region us-east-1 --concurrency 2 --junit rotcheck.xml --report-json rotcheck.json

  Rerun one case exactly as a failure report printed it:
    rotcheck run --only 'boundary/tunnelId/len-128' --seed 1

  A subset of checks, all cases under a prefix or glob:
    rotcheck run --checks not-found,token-set --only 'mutate/*'

  Gate CI on new failures only: record today's failures once, then compare against them
  (--strict also fails every advisory: inferred points and differences from the real service;
  --snapshot FILE.snap pins the results):
    rotcheck run --endpoint http://127.0.0.1:8080 --write-baseline rotcheck-baseline.json
    rotcheck run --endpoint http://127.0.0.1:8080 --baseline rotcheck-baseline.json --junit rotcheck.xml

Exit codes:
  0    every selected check passed (advisories, which mark behaviour the spec only infers, are
       never failures)
  1    at least one conformance violation (the summary lists each with the spec sentence and a
       reproduction); failures the --baseline lists do not count, a fixed entry does with
       --baseline-strict, and so does a --snapshot that differs
  2    usage or setup error, endpoint unreachable, the credentials, region or clock refused
       (the message names the likely cause), the tunnel quota held by others, a selection that
       judges nothing, or the harness could not judge a case
  130  interrupted by Ctrl-C, SIGTERM or SIGHUP: the run stopped, the tunnels it opened were
       deleted, and the summary and reports were still written (a second interruption does not
       skip the cleanup; a third exits at once)

Reports are written whatever the verdict. Tokens, credentials and signatures never appear in
any output (-v included).";

/// Test an endpoint for conformance to RotateTunnelAccessToken.
///
/// Without --endpoint (and without AWS_ENDPOINT_URL) rotcheck starts its reference
/// implementation in-process on 127.0.0.1 with a fast clock (time-scale 60) and tests it, the
/// duration-live check included. With an endpoint, every case the seed generates (valid,
/// boundary and mutated requests, plus the fixtures) is sent against tunnels the run opens and
/// deletes again, and each response is judged by the checks (see --list-checks).
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct RunArgs {
    /// Endpoint URL to test, e.g. http://127.0.0.1:8080 or
    /// https://api.tunneling.iot.us-east-1.amazonaws.com. Else AWS_ENDPOINT_URL_IOTSECURETUNNELING,
    /// else AWS_ENDPOINT_URL (as the AWS SDKs); else the built-in reference implementation,
    /// started in-process. An empty value is an error, never a silent fallback.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// AWS region to sign for. Default: the region in an AWS endpoint's host name, else
    /// AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. A --region that contradicts the host is an
    /// error.
    #[arg(long, value_name = "R")]
    pub region: Option<String>,

    /// Named profile of ~/.aws/config and ~/.aws/credentials for the credentials (static keys,
    /// credential_process, SSO, assume-role). Default: AWS_PROFILE, else the environment's keys,
    /// else `default`.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// How many times faster than real time the endpoint's tunnel clock runs (its
    /// maxLifetimeTimeoutMinutes pass that much faster). Default: 60 for the built-in target, 1
    /// (real time, as AWS) for --endpoint.
    #[arg(long, value_name = "N")]
    pub time_scale: Option<f64>,

    /// Run the duration-live check: opens a 1-minute tunnel, rotates it and waits until it must
    /// have closed (about 70 s at time-scale 1). On by default when that wait is short: for the
    /// built-in target and whenever --time-scale is at least 12 (a wait of at most ~6 s).
    #[arg(long, conflicts_with = "no_live")]
    pub live: bool,

    /// Skip the duration-live check even when the wait would be short.
    #[arg(long)]
    pub no_live: bool,

    /// The data plane (the WebSocket local proxies connect to), where the data-plane checks
    /// prove that a rotated token stops working: ws://HOST:PORT or wss://HOST. Default: derived
    /// for the built-in target (same port) and for AWS (https://api.tunneling.iot.R.amazonaws.com
    /// -> wss://data.tunneling.iot.R.amazonaws.com); for any other endpoint the data-plane checks
    /// are skipped ("no data plane given"), never passed.
    #[arg(long, value_name = "URL", conflicts_with = "no_data_plane")]
    pub data_plane: Option<String>,

    /// Skip the data-plane checks even when the data plane is known.
    #[arg(long)]
    pub no_data_plane: bool,

    /// Seed of the generated cases (random ids and strings). The same seed sends the same cases.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    pub seed: u64,

    /// Only run cases whose id matches PATTERN: a glob (`*` any characters, `?` one) or else a
    /// prefix, e.g. `valid/` or 'mutate/*/tunnelId'.
    #[arg(long, value_name = "PATTERN")]
    pub only: Option<String>,

    /// Only run these checks (comma separated ids; see --list-checks). Default: all.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_check)]
    pub checks: Vec<CheckId>,

    /// Cases in flight at once, each on its own tunnel (keep it low against AWS: tunnel limits
    /// and throttling apply).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    #[command(flatten, next_help_heading = "Limits (for real endpoints)")]
    pub limits: Box<LimitArgs>,

    /// Use the fixture cases in DIR (*.json, format in fixtures/README.md) instead of the
    /// built-in fixtures.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    // Boxed: keeps the subcommand enum small.
    #[command(flatten, next_help_heading = "Reports and output")]
    pub output: Box<OutputArgs>,

    #[command(flatten, next_help_heading = "Connection")]
    pub connection: Box<ConnectionArgs>,

    #[command(flatten, next_help_heading = "CI gating")]
    pub gate: Box<gate::GateArgs>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Most requests per second across the run, retries included (0: unlimited). Default: 5 for
    /// a remote endpoint (a conservative share of an account's API rate limits), unlimited on
    /// loopback.
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,

    /// Most tunnels held open at once (each counts from OpenTunnel until its deletion). Default:
    /// 5 for a remote endpoint (accounts have a tunnel quota), unlimited on loopback. At 1 the
    /// live check waits for the shared tunnel to be deleted.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tunnels: Option<u32>,

    /// Most tunnels opened in all: AWS bills each tunnel opened, rotations are free. A run opens
    /// two: one shared by every case and scenario, one for the live check (one without it); more
    /// only to replace a tunnel the implementation closed. When the budget is spent, the cases
    /// left are not run (an error, exit 2, unless a failure was found). Default: 3 for a remote
    /// endpoint, unlimited on loopback; 0: unlimited.
    #[arg(long, value_name = "N")]
    pub max_tunnels_opened: Option<u32>,

    /// Stop the run (exit 2, naming what it was waiting for) when it makes no progress (no
    /// answer from the endpoint) for SECS plus one --timeout, beyond the waits it schedules
    /// itself (the live check's, the retries' backoff).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub stall_timeout: f64,

    /// Print what the command will use against the endpoint (tunnels, requests, and the time at
    /// --rate), then exit 0 without sending anything.
    #[arg(long)]
    pub plan: bool,

    /// How late after createdAt + lifetime the live check accepts a tunnel's closing (default:
    /// 20 % of the lifetime). A real service may close expired tunnels in a periodic sweep.
    #[arg(long, value_name = "SECS")]
    pub expiry_grace: Option<f64>,

    /// Base delay of the retries' exponential backoff (full jitter, capped at 20 s; at most 3
    /// attempts, as the AWS SDKs' standard retry mode).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub retry_base: f64,
}

#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Write the JSON report (schema: docs/report.schema.json) to PATH.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// Write a JUnit XML report (one testsuite per check, one testcase per case) to PATH.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// No progress bar or per-case lines on stderr (the summary is still printed).
    #[arg(long)]
    pub no_progress: bool,

    /// List the checks (id, what it asserts, the spec sentence) and exit.
    #[arg(long)]
    pub list_checks: bool,
}

#[derive(Debug, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds to wait for a TCP/TLS connection.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub connect_timeout: f64,

    /// Seconds to wait for a whole response.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Largest response body read; longer bodies are cut (and judged as received).
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// PEM file of CA certificates to trust besides the bundled and the system's roots (a
    /// private CA). Default: AWS_CA_BUNDLE. Proxies: HTTPS_PROXY / NO_PROXY are honoured for
    /// remote endpoints.
    #[arg(long, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
}

fn parse_check(s: &str) -> Result<CheckId, String> {
    CheckId::parse(s.trim()).ok_or_else(|| {
        let valid: Vec<&str> = CheckId::all().map(|c| c.as_str()).collect();
        format!("unknown check id '{s}'; valid ids: {}", valid.join(", "))
    })
}

/// The validated settings of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub endpoint: Option<String>,
    /// Which setting named the endpoint.
    pub endpoint_source: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Requests per second; None: unlimited.
    pub rate: Option<f64>,
    pub max_tunnels: Option<usize>,
    /// None: unlimited.
    pub max_tunnels_opened: Option<usize>,
    pub stall: Duration,
    /// `--plan`: print the footprint and send nothing.
    pub plan: bool,
    /// Whether the endpoint is remote (not loopback, not the built-in target).
    pub remote: bool,
    pub expiry_grace: Option<Duration>,
    pub retry_base: Duration,
    pub time_scale: f64,
    pub live: bool,
    pub seed: u64,
    pub only: Option<String>,
    /// Empty selects every check.
    pub checks: Vec<CheckId>,
    pub concurrency: usize,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub fixtures: Option<PathBuf>,
    pub ca_bundle: Option<PathBuf>,
    /// `--strict`: inferred points fail.
    pub mode: rotcheck::runner::Strictness,
    /// `--data-plane` (validated), and `--no-data-plane`.
    pub data_plane: Option<String>,
    pub no_data_plane: bool,
}

impl Settings {
    pub fn from_args(args: &RunArgs) -> anyhow::Result<Settings> {
        let chosen = rotcheck::client::choose_endpoint(args.endpoint.as_deref(), |k| std::env::var(k).ok())?;
        let (endpoint, endpoint_source) = match chosen {
            Some((url, source)) => (Some(url), Some(source.to_string())),
            None => (None, None),
        };
        let embedded = endpoint.is_none();
        // Loopback endpoints (and the built-in target) get no rate or tunnel limit by default.
        let remote = endpoint
            .as_deref()
            .and_then(|e| rotcheck::client::config::parse_endpoint(e).ok())
            .is_some_and(|u| !rotcheck::client::config::is_loopback(&u));
        let l = &args.limits;
        let rate = match l.rate {
            Some(r) if !(r.is_finite() && r >= 0.0) => {
                bail!("--rate must be a number of requests per second (0: unlimited), got {r}")
            }
            Some(0.0) => None,
            Some(r) => Some(r),
            None => remote.then_some(DEFAULT_REMOTE_RATE),
        };
        let max_tunnels = l
            .max_tunnels
            .map(|n| n as usize)
            .or(remote.then_some(DEFAULT_REMOTE_MAX_TUNNELS));
        let max_tunnels_opened = match l.max_tunnels_opened {
            Some(0) => None,
            Some(n) => Some(n as usize),
            None => remote.then_some(DEFAULT_REMOTE_MAX_TUNNELS_OPENED),
        };
        if !(l.stall_timeout.is_finite() && (1.0..=86_400.0).contains(&l.stall_timeout)) {
            bail!(
                "--stall-timeout must be between 1 and 86400 seconds, got {}",
                l.stall_timeout
            );
        }
        let expiry_grace = match l.expiry_grace {
            Some(g) if !(g.is_finite() && (0.0..=3600.0).contains(&g)) => {
                bail!("--expiry-grace must be between 0 and 3600 seconds, got {g}")
            }
            g => g.map(Duration::from_secs_f64),
        };
        if !(l.retry_base.is_finite() && l.retry_base > 0.0 && l.retry_base <= 20.0) {
            bail!("--retry-base must be between 0 and 20 seconds, got {}", l.retry_base);
        }
        let time_scale = args.time_scale.unwrap_or(if embedded {
            EMBEDDED_TIME_SCALE
        } else {
            ENDPOINT_TIME_SCALE
        });
        if !(time_scale.is_finite() && time_scale > 0.0 && time_scale <= 1e6) {
            bail!("--time-scale must be a number above 0 (and at most 1000000), got {time_scale}");
        }
        let secs = |name: &str, v: f64| -> anyhow::Result<Duration> {
            if !(v.is_finite() && v > 0.0 && v <= 3600.0) {
                bail!("--{name} must be between 0 and 3600 seconds, got {v}");
            }
            Ok(Duration::from_secs_f64(v))
        };
        if args.connection.max_body_bytes == 0 {
            bail!("--max-body-bytes must be at least 1");
        }
        if let Some(only) = &args.only {
            if only.is_empty() {
                bail!("--only needs a non-empty pattern");
            }
        }
        if let Some(dir) = &args.fixtures {
            if !dir.is_dir() {
                bail!("--fixtures {}: not a directory", dir.display());
            }
        }
        if let Some(url) = &args.data_plane {
            rotcheck::client::local_proxy::upgrade_url(url).map_err(|e| anyhow::anyhow!("--data-plane: {e}"))?;
        }
        let mut checks = args.checks.clone();
        checks.sort_by_key(|c| report::check_rank(*c));
        checks.dedup();
        Ok(Settings {
            endpoint,
            endpoint_source,
            region: args.region.clone(),
            profile: args.profile.clone(),
            rate,
            max_tunnels,
            max_tunnels_opened,
            stall: Duration::from_secs_f64(l.stall_timeout),
            plan: l.plan,
            remote,
            expiry_grace,
            retry_base: Duration::from_secs_f64(l.retry_base),
            time_scale,
            // The live scenario waits ~1.2 tunnel-minutes of real time: on by default when cheap.
            live: !args.no_live && (args.live || embedded || time_scale >= AUTO_LIVE_TIME_SCALE),
            seed: args.seed,
            only: args.only.clone(),
            checks,
            concurrency: usize::from(args.concurrency),
            connect_timeout: secs("connect-timeout", args.connection.connect_timeout)?,
            timeout: secs("timeout", args.connection.timeout)?,
            max_body_bytes: args.connection.max_body_bytes,
            fixtures: args.fixtures.clone(),
            ca_bundle: args.connection.ca_bundle.clone(),
            mode: args.gate.mode(),
            data_plane: args.data_plane.as_ref().map(|u| u.trim().to_owned()),
            no_data_plane: args.no_data_plane,
        })
    }

    pub fn embedded(&self) -> bool {
        self.endpoint.is_none()
    }
}

pub async fn run(args: RunArgs, verbose: u8) -> anyhow::Result<ExitCode> {
    if args.output.list_checks {
        print!("{}", list_checks());
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::from_args(&args)?;
    // A bad baseline or snapshot path is a usage error before anything runs.
    let gating = gate::Gating::prepare(&args.gate)?;
    super::outputs::check_run(&args)?;
    let seed_note = if settings.seed == DEFAULT_SEED {
        " (the default; --seed S for others)"
    } else {
        ""
    };
    let opts = RenderOptions {
        fixtures: settings.fixtures.clone(),
        verbose: verbose > 0,
    };
    // A run that could not start still writes its reports, so a CI job shows the cause.
    let failed_early = |e: anyhow::Error| {
        let failed = setup_failure(&settings, &e);
        if let Err(w) = write_reports(&failed, &args, &opts) {
            eprintln!("error: {w:#}");
        }
        if let Err(w) = gating.write_step_summary(&failed, &opts) {
            eprintln!("error: {w:#}");
        }
        e
    };
    let cases = engine::load_cases(settings.seed, settings.fixtures.as_deref()).map_err(failed_early)?;
    let footprint = engine::footprint(&settings, &cases);
    eprintln!(
        "rotcheck run: seed {}{seed_note}, target {}, time-scale {}, live {}, mode {}{}",
        settings.seed,
        match (&settings.endpoint, &settings.endpoint_source) {
            (Some(e), Some(src)) => format!("{} (from {src})", report::display_endpoint(e)),
            (Some(e), None) => report::display_endpoint(e),
            (None, _) => "the built-in reference implementation".into(),
        },
        fmt_num(settings.time_scale),
        if settings.live { "on" } else { "off" },
        settings.mode.as_str(),
        engine::budget_note(&settings, &footprint),
    );
    if settings.plan {
        print!("{}", engine::render_plan(&settings, &footprint));
        return Ok(ExitCode::SUCCESS);
    }
    engine::check_budget(&settings, &footprint).map_err(failed_early)?;

    let prepared = async {
        if let Some(only) = &settings.only {
            // A mistyped pattern must not pass a CI gate by testing nothing: refuse it up front.
            let filter = rotcheck::runner::select::OnlyFilter::new(Some(only));
            let scenarios = [
                rotcheck::runner::live::LIVE_CASE_ID,
                rotcheck::runner::aged::AGED_CASE_ID,
            ]
            .into_iter()
            .chain(rotcheck::runner::data_plane_scenarios::Scenario::ALL.map(|s| s.id()));
            if !cases
                .iter()
                .map(|c| c.id.as_str())
                .chain(scenarios)
                .any(|id| filter.matches(id))
            {
                anyhow::bail!("--only {only:?} matched no case (patterns: a prefix, or a glob with * and ?)");
            }
        }
        // The client itself warns (once) when it signs with placeholder credentials.
        let target = engine::Target::start(&settings).await?;
        anyhow::Ok((cases, target))
    };
    let (cases, target) = prepared.await.map_err(failed_early)?;

    let progress = Progress::new(
        ProgressMode::detect(args.output.no_progress),
        verbose > 0,
        Default::default(),
    );
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let interrupt = super::signals::spawn_interrupt(cancel_tx);

    let mut result = engine::execute(&target, cases, &settings, &progress, cancel_rx).await;
    progress.finish();
    interrupt.abort();
    target.shutdown().await;
    gating.apply_baseline(&mut result);

    let mut written = write_reports(&result, &args, &opts);
    for extra in [
        gating.write_baseline(&result),
        gating.write_step_summary(&result, &opts),
    ] {
        written = both(written, extra);
    }
    print!("{}", report::summary::render(&result, &opts));
    // After the summary, so a snapshot diff is the last thing on screen.
    let snapshot = gating.check_snapshot(&result);

    let mut code = RunVerdict::of(&result).exit_code();
    match snapshot {
        Ok(differs) => {
            // A changed snapshot is a finding; a worse verdict keeps its own code.
            if differs && code == 0 {
                code = 1;
            }
        }
        Err(e) => written = both(written, Err(e)),
    }
    if let Err(e) = written {
        eprintln!("error: {e:#}");
        // A CI job must not pass when its report is missing; a violation still says more.
        if code == 0 {
            code = 2;
        }
    }
    Ok(ExitCode::from(code))
}

/// Both outcomes: every error message kept.
fn both(a: anyhow::Result<()>, b: anyhow::Result<()>) -> anyhow::Result<()> {
    match (a, b) {
        (Ok(()), r) | (r, Ok(())) => r,
        (Err(x), Err(y)) => Err(anyhow::anyhow!("{x:#}; {y:#}")),
    }
}

/// The result of a run that could not start: no case, one harness error (exit 2).
fn setup_failure(settings: &Settings, error: &anyhow::Error) -> RunResult {
    let checks = if settings.checks.is_empty() {
        CheckId::all().collect()
    } else {
        settings.checks.clone()
    };
    RunResult {
        meta: RunMeta {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            seed: settings.seed,
            endpoint: settings.endpoint.clone().unwrap_or_else(|| "embedded".into()),
            embedded: settings.embedded(),
            region: settings.region.clone().unwrap_or_default(),
            time_scale: settings.time_scale,
            live: settings.live,
            only: settings.only.clone(),
            checks,
            concurrency: settings.concurrency,
            endpoint_source: settings.endpoint_source.clone(),
            mode: settings.mode,
        },
        cases: Vec::new(),
        skipped_checks: Vec::new(),
        harness_errors: vec![format!("setup failed: {error:#}")],
        interrupted: false,
        setup_failure: None,
        tunnels: Default::default(),
        requests: 0,
        duration_ms: 0,
        baseline: None,
        redactor: Default::default(),
    }
}

/// Write the requested reports; every one is attempted even when an earlier one fails.
fn write_reports(result: &RunResult, args: &RunArgs, opts: &RenderOptions) -> anyhow::Result<()> {
    let mut errors = Vec::new();
    if let Some(path) = &args.output.report_json {
        let json = report::json::render(result, opts);
        if let Err(e) = report::write_file(path, json.as_bytes()) {
            errors.push(e.to_string());
        }
    }
    if let Some(path) = &args.output.junit {
        let written = report::junit::render(result, opts)
            .and_then(|xml| report::write_file(path, xml.as_bytes()))
            .with_context(|| format!("JUnit report {}", path.display()));
        if let Err(e) = written {
            errors.push(format!("{e:#}"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        bail!("{}", errors.join("; "))
    }
}

fn list_checks() -> String {
    let mut out = String::new();
    for id in CheckId::all() {
        let cite = id.citation();
        out.push_str(&format!(
            "{id}\n    {}\n    spec ({}): \"{}\"\n",
            id.description(),
            cite.source,
            cite.text
        ));
    }
    out
}

/// CI gating: `--strict`, `--baseline`, `--write-baseline`, `--snapshot`, and the Markdown step
/// summary. Kept in one place so the flags and what they do read together.
pub mod gate {
    use std::path::{Path, PathBuf};

    use anyhow::{bail, Context as _};
    use rotcheck::baseline::{self, Baseline};
    use rotcheck::report::snapfile::{self, SnapOutcome};
    use rotcheck::report::{self, RenderOptions};
    use rotcheck::runner::{RunResult, Strictness};

    #[derive(Debug, Default, clap::Args)]
    pub struct GateArgs {
        /// Also fail on the points PROTOCOL.md marks as inferred (reported as advisories
        /// otherwise), e.g. a 200 for rotating a CLOSED tunnel: for teams that want to match the
        /// real service beyond the spec. The summary and reports say which mode ran.
        #[arg(long)]
        pub strict: bool,

        /// Known failures (JSON; format in docs/baseline.md): failures it lists are reported as
        /// "known" and do not fail the run; entries that no longer fail are reported as fixed.
        #[arg(long, value_name = "FILE")]
        pub baseline: Option<PathBuf>,

        /// With --baseline: an entry that no longer fails (fixed: remove it from the baseline)
        /// fails the run (exit 1), so the baseline only ever shrinks.
        #[arg(long, requires = "baseline")]
        pub baseline_strict: bool,

        /// Write the run's failures to FILE as a baseline (with --baseline: its entries that still
        /// fail or were not judged, reasons kept, plus the new failures). The exit code is the
        /// run's as usual.
        #[arg(long, value_name = "FILE")]
        pub write_baseline: Option<PathBuf>,

        /// Compare the run's results with the insta snapshot FILE (must end in .snap; written when
        /// missing). Same redactions as snapshots/*.snap. When they differ, the new results go to
        /// FILE.new, the diff is printed and the run exits 1; review with
        /// `cargo insta review --workspace-root DIR` (DIR holding FILE).
        #[arg(long, value_name = "FILE")]
        pub snapshot: Option<PathBuf>,

        /// With --snapshot: accept the new results (overwrite FILE, remove FILE.new).
        #[arg(long, requires = "snapshot")]
        pub snapshot_update: bool,

        /// Append a Markdown summary (per-check table, failures grouped by cause with their
        /// reproduction) to FILE. GitHub Actions sets GITHUB_STEP_SUMMARY for every step.
        #[arg(long, env = "GITHUB_STEP_SUMMARY", value_name = "FILE")]
        pub step_summary: Option<PathBuf>,
    }

    impl GateArgs {
        pub fn mode(&self) -> Strictness {
            if self.strict {
                Strictness::Strict
            } else {
                Strictness::Spec
            }
        }
    }

    /// The gating work of one run, validated up front.
    pub struct Gating {
        baseline: Option<(PathBuf, Baseline, bool)>,
        write_baseline: Option<PathBuf>,
        snapshot: Option<(PathBuf, bool)>,
        step_summary: Option<PathBuf>,
    }

    impl Gating {
        pub fn prepare(args: &GateArgs) -> anyhow::Result<Gating> {
            let baseline = match &args.baseline {
                Some(path) => Some((path.clone(), baseline::load(path)?, args.baseline_strict)),
                None => None,
            };
            if let Some(path) = &args.snapshot {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if !name.ends_with(snapfile::EXTENSION) || name.len() == snapfile::EXTENSION.len() {
                    bail!(
                        "--snapshot {}: the file name must end in {} (so `cargo insta review` finds it)",
                        path.display(),
                        snapfile::EXTENSION
                    );
                }
            }
            for (flag, path) in [
                ("--write-baseline", &args.write_baseline),
                ("--snapshot", &args.snapshot),
            ] {
                if path.as_deref().is_some_and(Path::is_dir) {
                    bail!(
                        "{flag} {}: is a directory",
                        path.as_deref().unwrap_or(Path::new("")).display()
                    );
                }
            }
            Ok(Gating {
                baseline,
                write_baseline: args.write_baseline.clone(),
                snapshot: args.snapshot.clone().map(|p| (p, args.snapshot_update)),
                // An empty value (a variable set but blank) names no file.
                step_summary: args.step_summary.clone().filter(|p| !p.as_os_str().is_empty()),
            })
        }

        pub fn apply_baseline(&self, result: &mut RunResult) {
            if let Some((path, b, strict)) = &self.baseline {
                baseline::apply(result, b, &path.display().to_string(), *strict);
            }
        }

        pub fn write_baseline(&self, result: &RunResult) -> anyhow::Result<()> {
            let Some(path) = &self.write_baseline else {
                return Ok(());
            };
            let b = baseline::from_result(result);
            report::write_file(path, baseline::render(&b).as_bytes())?;
            eprintln!("baseline written to {} ({} entr(ies))", path.display(), b.entries.len());
            Ok(())
        }

        pub fn write_step_summary(&self, result: &RunResult, opts: &RenderOptions) -> anyhow::Result<()> {
            let Some(path) = &self.step_summary else { return Ok(()) };
            report::append_file(path, report::markdown::render(result, opts).as_bytes())
                .context("step summary (--step-summary / GITHUB_STEP_SUMMARY)")?;
            Ok(())
        }

        /// `Ok(true)` when the snapshot differs (the run then exits 1).
        pub fn check_snapshot(&self, result: &RunResult) -> anyhow::Result<bool> {
            let Some((path, update)) = &self.snapshot else {
                return Ok(false);
            };
            if result.interrupted {
                // Partial results must not become (or be diffed against) the reference.
                println!("snapshot: {} not compared: the run was interrupted", path.display());
                return Ok(false);
            }
            let outcome = snapfile::check(path, &snapfile::render(result), *update)?;
            let shown = path.display();
            match outcome {
                SnapOutcome::Created => println!("snapshot: written to {shown} (new)"),
                SnapOutcome::Unchanged => println!("snapshot: {shown} matches"),
                SnapOutcome::Updated => println!("snapshot: {shown} updated (--snapshot-update)"),
                SnapOutcome::Differs { pending, diff } => {
                    print!("{}", report::summary::terminal_safe(&diff));
                    let dir = path
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(Path::new("."));
                    println!(
                        "snapshot: {shown} differs; the new results are in {}.\n  accept them: rerun with --snapshot-update, \
                         or review: cargo insta review --workspace-root {}",
                        pending.display(),
                        dir.display()
                    );
                    let in_package = dir
                        .canonicalize()
                        .is_ok_and(|d| d.ancestors().any(|a| a.join("Cargo.toml").is_file()));
                    if !in_package {
                        println!(
                            "  (cargo-insta reviews only inside a Cargo package: outside a Rust crate, add the stub \
                             Cargo.toml described in docs/baseline.md of rotcheck, once)"
                        );
                    }
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

/// The seam to the runner, client, server and cases modules: the only code here that calls
/// them. `Target` is what the run talks to (a client, plus the server when it is embedded).
/// `record` and `compare` run cases through it too.
pub mod engine {
    use std::path::Path;
    use std::sync::Arc;

    use rotcheck::cases::{self, Case};
    use rotcheck::client::{Client, ConnectOptions};
    use rotcheck::report::progress::Progress;
    use rotcheck::runner::{self, DataPlaneTarget, RunConfig, RunResult, Status};
    use rotcheck::server::RunningServer;

    use super::Settings;
    use rotcheck::report::repro::fmt_num;

    /// The runner's progress events, drawn by the report module.
    struct Sink<'a>(&'a Progress);

    impl runner::ProgressSink for Sink<'_> {
        fn run_started(&self, total: usize) {
            self.0.start(total);
        }
        fn case_started(&self, id: &str) {
            self.0.case_started(id);
        }
        fn case_finished(&self, id: &str, status: Status) {
            self.0.case_finished(id, status, None);
        }
        fn cleanup_started(&self, tunnels: usize) {
            self.0.cleanup_started(tunnels);
        }
    }

    pub struct Target {
        client: Client,
        server: Option<RunningServer>,
        region: String,
    }

    impl Target {
        pub async fn start(settings: &Settings) -> anyhow::Result<Target> {
            let opts = ConnectOptions {
                endpoint: settings.endpoint.clone(),
                region: settings.region.clone(),
                profile: settings.profile.clone(),
                connect_timeout: settings.connect_timeout,
                timeout: settings.timeout,
                max_body_bytes: settings.max_body_bytes,
                rate: settings.rate,
                ca_bundle: settings.ca_bundle.clone(),
            };
            if !settings.embedded() {
                let client = Client::connect(opts).await?;
                let region = client.region().to_owned();
                return Ok(Target {
                    client,
                    server: None,
                    region,
                });
            }
            let region = settings.region.clone().unwrap_or_else(|| "us-east-1".into());
            let (client, server) = rotcheck::target::start_embedded(&region, settings.time_scale, &opts).await?;
            Ok(Target {
                client,
                server: Some(server),
                region,
            })
        }

        pub async fn shutdown(self) {
            if let Some(server) = self.server {
                server.shutdown().await;
            }
        }
    }

    /// `--data-plane`, else the built-in target's (same port), else the AWS one for an AWS
    /// endpoint; otherwise none.
    pub fn data_plane(target: &Target, settings: &Settings) -> DataPlaneTarget {
        data_plane_at(target.server.as_ref().map(|s| s.addr()), settings)
    }

    /// `server`: the built-in target's address, when it runs (its data plane is on the same port).
    fn data_plane_at(server: Option<std::net::SocketAddr>, settings: &Settings) -> DataPlaneTarget {
        if settings.no_data_plane {
            return DataPlaneTarget::Off(runner::data_plane_scenarios::DATA_PLANE_OFF.into());
        }
        let url = settings.data_plane.clone().or_else(|| match server {
            Some(addr) => Some(format!("ws://{addr}")),
            None if settings.embedded() => Some("ws://127.0.0.1:0".into()),
            None => settings
                .endpoint
                .as_deref()
                .and_then(rotcheck::client::local_proxy::derive_from_api),
        });
        url.map_or_else(DataPlaneTarget::default, DataPlaneTarget::Url)
    }

    /// The runner's configuration for these settings.
    fn config(settings: &Settings, region: String, data_plane: DataPlaneTarget) -> RunConfig {
        RunConfig {
            seed: settings.seed,
            time_scale: settings.time_scale,
            live: settings.live,
            only: settings.only.clone(),
            checks: settings.checks.clone(),
            concurrency: settings.concurrency,
            endpoint: settings.endpoint.clone().unwrap_or_else(|| "embedded".into()),
            embedded: settings.embedded(),
            region,
            strict_selection: true,
            endpoint_source: settings.endpoint_source.clone(),
            limits: runner::Limits {
                retry: rotcheck::client::RetryPolicy::with_base(settings.retry_base),
                max_tunnels: settings.max_tunnels,
                max_opened: settings.max_tunnels_opened,
                stall: settings.stall,
                request_timeout: settings.timeout,
                ..runner::Limits::default()
            },
            expiry_grace: settings.expiry_grace,
            mode: settings.mode,
            data_plane,
        }
    }

    /// What a run of `cases` with these settings will use, computed without sending anything.
    pub fn footprint(settings: &Settings, cases: &[Case]) -> Footprint {
        let config = config(settings, String::new(), data_plane_at(None, settings));
        let plan = runner::prepare(cases.to_vec(), &config).plan;
        Footprint {
            cost: plan.cost(settings.rate, settings.time_scale),
            plan,
        }
    }

    /// The plan of a run and what it costs.
    pub struct Footprint {
        pub plan: runner::plan::Plan,
        pub cost: runner::plan::Cost,
    }

    /// The budget, for the first line of a command against a remote endpoint ("" otherwise).
    pub fn budget_note(settings: &Settings, f: &Footprint) -> String {
        if !settings.remote {
            return String::new();
        }
        let n = |v: Option<usize>| v.map_or("unlimited".to_owned(), |n| n.to_string());
        format!(
            "; budget: {} tunnel(s) opened ({} planned), {} at once, {} requests/s (about {} requests)",
            n(settings.max_tunnels_opened),
            f.cost.tunnels,
            n(settings.max_tunnels),
            settings.rate.map_or("unlimited".to_owned(), fmt_num),
            f.cost.requests,
        )
    }

    /// A budget in all below what the plan needs is refused before anything is sent.
    pub fn check_budget(settings: &Settings, f: &Footprint) -> anyhow::Result<()> {
        match settings.max_tunnels_opened {
            Some(max) if max < f.cost.tunnels => anyhow::bail!(
                "--max-tunnels-opened {max} is below the {} tunnels this run needs ({}); raise it{}",
                f.cost.tunnels,
                tunnels_needed(&f.plan),
                if f.plan.live {
                    ", or leave the live check out with --no-live"
                } else {
                    ""
                }
            ),
            _ => Ok(()),
        }
    }

    fn tunnels_needed(plan: &runner::plan::Plan) -> String {
        let mut v = Vec::new();
        if !plan.shared.is_empty() {
            v.push("one shared by the cases and scenarios");
        }
        if plan.live {
            v.push("a 1-minute tunnel for the live check");
        }
        v.join(", ")
    }

    /// `--plan`: what the run will use, in a few lines.
    pub fn render_plan(settings: &Settings, f: &Footprint) -> String {
        use runner::plan::Unit;
        let p = &f.plan;
        let s = &p.shared;
        let target = settings
            .endpoint
            .as_deref()
            .map(rotcheck::report::display_endpoint)
            .unwrap_or_else(|| "the built-in reference implementation".into());
        let groups = s.open.iter().filter(|u| matches!(u, Unit::Group(_))).count();
        let alone = s.open.iter().filter(|u| matches!(u, Unit::One(_))).count();
        let open_cases: usize = s.open.iter().map(|u| u.cases().len()).sum();
        let rate = settings
            .rate
            .map_or("no rate limit".to_owned(), |r| format!("--rate {}", fmt_num(r)));
        let mut out = format!(
            "plan against {target}: {} tunnel(s) opened ({}), about {} requests, about {} at {rate}\n",
            f.cost.tunnels,
            tunnels_needed(p),
            f.cost.requests,
            rotcheck::report::fmt_duration(f.cost.time),
        );
        if !s.is_empty() {
            out.push_str(&format!(
                "  shared tunnel: {}{open_cases} case(s) on the OPEN tunnel ({groups} group(s) verified together, {alone} alone), {} data-plane scenario(s), {} case(s) on the CLOSED tunnel\n",
                if s.aged { "the aged rotation, " } else { "" },
                s.scenarios.len(),
                s.closed.len(),
            ));
        }
        if p.live {
            out.push_str(&format!(
                "  live tunnel: about {} requests over about {} (the cases run meanwhile)\n",
                runner::live::requests_estimate(),
                rotcheck::report::fmt_duration(runner::live::duration_estimate(runner::live::real_lifetime(
                    settings.time_scale
                ))),
            ));
        }
        if !p.tunnel_less.is_empty() {
            out.push_str(&format!("  no tunnel: {} case(s)\n", p.tunnel_less.len()));
        }
        out.push_str(&format!(
            "  budget: {} tunnel(s) opened at most, {} at once; retries and replacements of tunnels an implementation closed come on top\n",
            settings.max_tunnels_opened.map_or("unlimited".to_owned(), |n| n.to_string()),
            settings.max_tunnels.map_or("unlimited".to_owned(), |n| n.to_string()),
        ));
        out.push_str("nothing was sent (--plan)\n");
        out
    }

    pub fn load_cases(seed: u64, fixtures: Option<&Path>) -> anyhow::Result<Vec<Case>> {
        let fixtures = match fixtures {
            Some(dir) => cases::load_fixtures(dir)?,
            None => cases::embedded_fixtures()?,
        };
        Ok(cases::all_cases(seed, fixtures)?)
    }

    pub async fn execute(
        target: &Target,
        cases: Vec<Case>,
        settings: &Settings,
        progress: &Progress,
        cancel: tokio::sync::watch::Receiver<bool>,
    ) -> RunResult {
        let config = config(settings, target.region.clone(), data_plane(target, settings));
        // The client implements the runner's Transport (src/runner/transport.rs).
        let transport = Arc::new(target.client.clone());
        runner::run(transport, cases, &config, &Sink(progress), cancel).await
    }
}
