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

use super::run::{engine, ConnectionArgs, LimitArgs, OutputArgs, RunArgs, Settings, DEFAULT_SEED};

const EXAMPLES: &str = "\
Examples:
  Record the built-in reference implementation (an example lives in fixtures/recordings/):
    rotcheck record --out ref.json

  Record real AWS once (credentials as for `rotcheck run`), then commit the file:
    AWS_PROFILE=ci rotcheck record --endpoint https://api.tunneling.iot.us-east-1.amazonaws.com \\
        --region us-east-1 --concurrency 2 --out parity/aws.json

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
    /// Endpoint to record. Else AWS_ENDPOINT_URL_IOTSECURETUNNELING, else AWS_ENDPOINT_URL (as
    /// `rotcheck run`); else the built-in reference implementation, started in-process.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Write the recording to FILE (parent directories are created).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    #[command(flatten)]
    pub selection: SelectionArgs,

    #[command(flatten, next_help_heading = "Connection")]
    pub target: TargetArgs,

    /// No progress bar or per-case lines on stderr.
    #[arg(long, help_heading = "Reports and output")]
    pub no_progress: bool,
}

/// Which cases run, in which lanes. Optional so `compare FILE` can tell they were not given.
#[derive(Debug, clap::Args)]
pub struct SelectionArgs {
    /// Seed of the generated cases [default: 1]. The same seed sends the same cases.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,

    /// Only cases whose id matches PATTERN (a glob with * and ?, else a prefix).
    #[arg(long, value_name = "PATTERN")]
    pub only: Option<String>,

    /// Cases in flight at once [default: 4]. It decides which tunnel serves which case, so a
    /// comparison runs with the recording's value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,

    /// Use the fixture cases in DIR instead of the built-in fixtures.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}

impl SelectionArgs {
    pub fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.seed.is_some() {
            v.push("--seed");
        }
        if self.only.is_some() {
            v.push("--only");
        }
        if self.concurrency.is_some() {
            v.push("--concurrency");
        }
        v
    }
}

/// How to reach and sign for an endpoint.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// AWS region to sign for. Default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.
    #[arg(long, value_name = "R")]
    pub region: Option<String>,

    /// How many times faster than real time the endpoint's tunnel clock runs. Default: 60 for
    /// the built-in target, 1 for --endpoint.
    #[arg(long, value_name = "N")]
    pub time_scale: Option<f64>,

    /// Named profile of ~/.aws/config and ~/.aws/credentials (as `rotcheck run --profile`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten, next_help_heading = "Limits (for real endpoints)")]
    pub limits: LimitArgs,
}

/// What a recording run needs: the run's settings with the live scenario off.
pub struct Selection {
    pub seed: u64,
    pub only: Option<String>,
    pub concurrency: u16,
    pub fixtures: Option<PathBuf>,
}

impl Selection {
    pub fn from_args(a: &SelectionArgs) -> Selection {
        Selection {
            seed: a.seed.unwrap_or(DEFAULT_SEED),
            only: a.only.clone(),
            concurrency: a.concurrency.unwrap_or(4),
            fixtures: a.fixtures.clone(),
        }
    }
}

/// The settings of `rotcheck run` for these flags, validated the same way.
pub fn settings(endpoint: Option<String>, sel: &Selection, target: &TargetArgs) -> anyhow::Result<Settings> {
    let c = &target.connection;
    let args = RunArgs {
        endpoint,
        region: target.region.clone(),
        time_scale: target.time_scale,
        live: false,
        // The live scenario polls until the tunnel closes: its exchanges depend on timing.
        no_live: true,
        seed: sel.seed,
        only: sel.only.clone(),
        checks: Vec::new(),
        concurrency: sel.concurrency,
        fixtures: sel.fixtures.clone(),
        output: Box::new(OutputArgs {
            report_json: None,
            junit: None,
            no_progress: true,
            list_checks: false,
        }),
        connection: Box::new(ConnectionArgs {
            connect_timeout: c.connect_timeout,
            timeout: c.timeout,
            max_body_bytes: c.max_body_bytes,
            ca_bundle: c.ca_bundle.clone(),
        }),
        profile: target.profile.clone(),
        limits: Box::new(target.limits.clone()),
        // Parity compares what came back, not verdicts: no strictness, baseline or snapshot.
        gate: Box::default(),
        // Recordings hold control-plane exchanges only for now (every exchange carries its
        // channel, so data-plane ones can join later without a format change).
        data_plane: None,
        no_data_plane: true,
    };
    Settings::from_args(&args)
}

pub fn target_name(settings: &Settings) -> String {
    settings
        .endpoint
        .as_deref()
        .map(report::display_endpoint)
        .unwrap_or_else(|| "the built-in reference implementation".into())
}

/// Run the selected cases against the settings' endpoint, as `rotcheck run` does (Ctrl-C stops
/// the run and still deletes its tunnels). An unreachable endpoint or an interruption is an error.
pub async fn run_cases(settings: &Settings, no_progress: bool, verbose: u8) -> anyhow::Result<RunResult> {
    let cases = engine::load_cases(settings.seed, settings.fixtures.as_deref())?;
    let footprint = engine::footprint(settings, &cases);
    let note = engine::budget_note(settings, &footprint);
    if !note.is_empty() {
        eprintln!("{}{note}", target_name(settings));
    }
    engine::check_budget(settings, &footprint)?;
    if let Some(only) = &settings.only {
        let filter = rotcheck::runner::select::OnlyFilter::new(Some(only));
        if !cases.iter().any(|c| filter.matches(&c.id)) && !filter.matches(rotcheck::runner::aged::AGED_CASE_ID) {
            bail!("--only {only:?} matched no case (patterns: a prefix, or a glob with * and ?)");
        }
    }
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
        bail!("{} never answered: {}", target_name(settings), why.join("; "));
    }
    for e in &result.harness_errors {
        eprintln!("warning: {}", result.redactor.scrub(e));
    }
    Ok(result)
}

/// `--plan`: print what running the cases against `settings`' endpoint would use. True when
/// that is all that was asked (nothing is sent then).
pub fn plan_only(settings: &Settings) -> anyhow::Result<bool> {
    if !settings.plan {
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
    let settings = settings(
        args.endpoint.clone(),
        &Selection::from_args(&args.selection),
        &args.target,
    )?;
    super::outputs::check_record(&args)?;
    eprintln!(
        "rotcheck record: seed {}, target {}, time-scale {}, concurrency {} -> {}",
        settings.seed,
        target_name(&settings),
        fmt_num(settings.time_scale),
        settings.concurrency,
        args.out.display()
    );
    if plan_only(&settings)? {
        return Ok(ExitCode::SUCCESS);
    }
    let recording = record(&settings, args.no_progress, verbose).await?;
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
