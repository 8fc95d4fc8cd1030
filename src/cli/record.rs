//! `rotcheck record`: run the case sequence of `rotcheck run` against an endpoint and write what
//! it answered, normalized, to a recording file (format: docs/recording.schema.json). Also the
//! pieces `rotcheck compare` shares with it: the selection and target flags and running a
//! recording's cases.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use rotcheck::parity::{self, Provenance, Recording};
use rotcheck::report::progress::{Progress, ProgressMode};
use rotcheck::report::{self, repro::fmt_num};
use rotcheck::runner::RunResult;

use super::options::{ConnectionArgs, EndpointArgs, ProgressArgs};
use super::run::{engine, LimitArgs, RunArgs, Selection, SelectionArgs, Settings};

const EXAMPLES: &str = "\
Examples:
  Record the built-in reference implementation (an example lives in fixtures/recordings/):
    rotcheck record --out ref.json

  Record real AWS once (credentials as for `rotcheck run`), then commit the file:
    AWS_PROFILE=ci rotcheck record --endpoint https://api.tunneling.iot.us-east-1.amazonaws.com \\
        --region us-east-1 --out parity/aws.json

  Compare your mock with it, offline, in CI:
    rotcheck compare parity/aws.json --endpoint http://127.0.0.1:4566 --ignore-file parity/known.txt

What is recorded: every exchange of every case (setup, the case's request, verification), with
the request's method, X-Amz-Target, headers and body and the response's status, error type,
Content-Type, X-Amzn-Errortype, request id and body. Tunnel ids, ARNs, tokens and request ids
become stable references (<tunnel-id:1> is the same tunnel everywhere in the file), timestamps
become relations (createdAt unchanged, lastUpdatedAt >= createdAt). Tokens, credentials and
signatures are never written. The duration-live scenario is not recorded: how often it polls
depends on timing. Two recordings of one endpoint with the same seed on the same day are
byte-identical (SOURCE_DATE_EPOCH pins the date).

Exit codes: 0 recorded; 2 usage or setup error, endpoint unreachable, or interrupted (nothing
is written then).";

/// Record an endpoint's answers to the case sequence, for `rotcheck compare`.
///
/// Runs the same cases as `rotcheck run` (same seed, same --only, same concurrency: the same
/// requests on the same tunnels) and writes each exchange, normalized, to FILE: sorted keys, one
/// case per block, provenance (endpoint host, region, tool version, seed, date) on top.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct RecordArgs {
    #[command(flatten)]
    pub endpoint: EndpointArgs,

    /// Write the recording to FILE (parent directories are created).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    #[command(flatten)]
    pub selection: SelectionArgs,

    #[command(flatten, next_help_heading = "Connection")]
    pub target: TargetArgs,

    #[command(flatten, next_help_heading = "Reports and output")]
    pub progress: ProgressArgs,
}

/// How to reach the endpoint (besides which one and how to sign: [`EndpointArgs`]) and what a
/// run there may spend; `record` and `compare` pass them to the run's settings.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// How many times faster than real time the endpoint's tunnel clock runs. Default: 60 for
    /// the built-in target, 1 for --endpoint.
    #[arg(long, value_name = "N")]
    pub time_scale: Option<f64>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten, next_help_heading = "Limits (for real endpoints)")]
    pub limits: LimitArgs,
}

/// The settings of `rotcheck run` for these flags, validated the same way: the live scenario
/// and the data plane off, no gating.
pub fn settings(endpoint: &EndpointArgs, sel: &Selection, target: &TargetArgs) -> anyhow::Result<Settings> {
    let args = RunArgs {
        endpoint: endpoint.clone(),
        time_scale: target.time_scale,
        live: false,
        // The live scenario polls until the tunnel closes: its exchanges depend on timing.
        no_live: true,
        expiry_grace: None,
        // Recordings hold control-plane exchanges only for now (every exchange carries its
        // channel, so data-plane ones can join later without a format change).
        data_plane: None,
        no_data_plane: true,
        selection: sel.to_args(),
        checks: Vec::new(),
        limits: Box::new(target.limits.clone()),
        output: Box::default(),
        connection: Box::new(target.connection.clone()),
        // Parity compares what came back, not verdicts: no strictness, baseline or snapshot.
        gate: Box::default(),
    };
    Settings::from_args(&args)
}

/// Run the selected cases against the settings' endpoint, as `rotcheck run` does (Ctrl-C stops
/// the run and still deletes its tunnels). An unreachable endpoint or an interruption is an error.
pub async fn run_cases(settings: &Settings, no_progress: bool, verbose: u8) -> anyhow::Result<RunResult> {
    let cases = engine::load_cases(settings.seed, settings.fixtures.as_deref())?;
    let footprint = engine::footprint(settings, &cases);
    let note = engine::budget_note(settings, &footprint);
    if !note.is_empty() {
        eprintln!("{}{note}", settings.target_name());
    }
    engine::check_budget(settings, &footprint)?;
    // The live and data-plane scenarios are off here: only the aged rotation joins the cases.
    let ids = cases.iter().map(|c| c.id.as_str());
    engine::check_only(
        settings.only.as_deref(),
        ids.chain([rotcheck::runner::aged::AGED_CASE_ID]),
    )?;
    let target = engine::Target::start(settings).await?;
    let progress = Progress::new(ProgressMode::detect(no_progress), verbose > 0, Default::default());
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: stopping and deleting the tunnels opened (Ctrl-C again to exit now)");
            let _ = cancel_tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let result = engine::execute(&target, cases, settings, &progress, cancel_rx).await;
    progress.finish();
    interrupt.abort();
    target.shutdown().await;
    if result.interrupted {
        bail!("interrupted: nothing written (the tunnels the run opened were deleted)");
    }
    let answered = result
        .cases
        .iter()
        .flat_map(|c| &c.exchanges)
        .any(|e| e.response.is_some());
    if !answered {
        let why: Vec<String> = result.harness_errors.iter().map(|e| result.redactor.scrub(e)).collect();
        bail!("{} never answered: {}", settings.target_name(), why.join("; "));
    }
    for e in &result.harness_errors {
        eprintln!("warning: {}", result.redactor.scrub(e));
    }
    Ok(result)
}

/// `--plan`: print what running the cases against `settings`' endpoint would use. True when
/// that is all that was asked (nothing is sent then).
pub fn plan_only(settings: &Settings) -> anyhow::Result<bool> {
    if !settings.limits.plan {
        return Ok(false);
    }
    let cases = engine::load_cases(settings.seed, settings.fixtures.as_deref())?;
    print!(
        "{}",
        engine::render_plan(settings, &engine::footprint(settings, &cases))
    );
    Ok(true)
}

/// Where and how a recording was made.
pub fn provenance(settings: &Settings, result: &RunResult) -> anyhow::Result<Provenance> {
    let epoch = std::env::var_os("SOURCE_DATE_EPOCH")
        .map(|v| {
            v.into_string()
                .map_err(|_| anyhow::anyhow!("SOURCE_DATE_EPOCH is not UTF-8"))
        })
        .transpose()?;
    Ok(Provenance {
        endpoint_host: parity::endpoint_host(settings.endpoint.as_deref()),
        region: result.meta.region.clone(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        seed: settings.seed,
        date: parity::recording_date(epoch.as_deref()).map_err(anyhow::Error::msg)?,
        only: settings.only.clone(),
        custom_fixtures: settings.fixtures.is_some(),
        concurrency: settings.concurrency,
    })
}

/// Run and normalize. The text is checked against every token the run saw before anyone can
/// write it: a recording must never hold one, whatever an endpoint echoes.
pub async fn record(settings: &Settings, no_progress: bool, verbose: u8) -> anyhow::Result<Recording> {
    let result = run_cases(settings, no_progress, verbose).await?;
    let recording = parity::normalize_run(&result, provenance(settings, &result)?);
    let text = recording.to_text();
    if result.redactor.scrub(&text) != text {
        bail!("internal error: the normalized recording still holds a token; nothing written");
    }
    Ok(recording)
}

pub async fn run(args: RecordArgs, verbose: u8) -> anyhow::Result<ExitCode> {
    let settings = settings(&args.endpoint, &Selection::from_args(&args.selection), &args.target)?;
    super::outputs::check_record(&args)?;
    eprintln!(
        "rotcheck record: seed {}, target {}, time-scale {}, concurrency {} -> {}",
        settings.seed,
        settings.target_name(),
        fmt_num(settings.time_scale),
        settings.concurrency,
        args.out.display()
    );
    if plan_only(&settings)? {
        return Ok(ExitCode::SUCCESS);
    }
    let recording = record(&settings, args.progress.no_progress, verbose).await?;
    report::write_file(&args.out, recording.to_text().as_bytes())
        .with_context(|| format!("recording {}", args.out.display()))?;
    let exchanges: usize = recording.cases.iter().map(|c| c.exchanges.len()).sum();
    eprintln!(
        "recorded {} cases ({exchanges} exchanges) to {}",
        recording.cases.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
