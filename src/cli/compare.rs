//! `rotcheck compare`: replay a recording's cases against an endpoint (or record a reference
//! endpoint live) and report, per case and per JSON path, where the endpoint differs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use rotcheck::parity::{self, IgnoreRule, Recording};
use rotcheck::report::summary::terminal_safe;

use super::options::{EndpointArgs, ProgressArgs};
use super::record::{self, TargetArgs};
use super::run::{engine, Selection, SelectionArgs};

const EXAMPLES: &str = "\
Examples:
  Compare a mock with a committed recording (made once with `rotcheck record`):
    rotcheck compare parity/aws.json --endpoint http://127.0.0.1:4566

  Known divergences: by path, or in a file with a reason per entry:
    rotcheck compare ref.json --endpoint http://127.0.0.1:4566 --ignore '$.response.body.message'
    rotcheck compare ref.json --endpoint http://127.0.0.1:4566 --ignore-file parity/known.txt

  Two live endpoints, no file:
    rotcheck compare --reference https://api.tunneling.iot.us-east-1.amazonaws.com \\
        --endpoint http://127.0.0.1:4566 --region us-east-1

Paths: `$` is one exchange of a case: $.response.status, $.response.error_type,
$.response.headers.content-type, $.response.body.tunnel.createdAt, $.request.body.tunnelId.
The error message is compared at $.response.body.message whatever its member is called
(message, Message). Difference kinds: status, error-type, missing, extra, value-kind, value,
relation (timestamps), reference (the same tunnel or token where the reference had it),
exchanges (another call sequence), request, transport, case, and message (the soft class).

An ignore pattern is [CASE_GLOB::]PATH_GLOB; it covers the path and everything below it, `*`
is any run of characters. An ignore file has one `PATTERN  REASON` a line (`#` comments). An
entry that matches no difference is reported, so stale entries get noticed.

Exit codes: 0 parity (every difference covered by an ignore entry), 1 at least one difference,
2 usage or setup error (unreadable or stale recording, endpoint unreachable, interrupted).";

/// Compare an endpoint with a recording (or with a reference endpoint, live).
///
/// Runs the recording's cases (its seed, --only and concurrency) against --endpoint, normalizes
/// the answers the same way, and lists per case and per JSON path what differs, with a parity
/// score (cases identical / total) and a summary grouped by kind and path.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct CompareArgs {
    /// A recording made by `rotcheck record`.
    #[arg(
        value_name = "FILE",
        required_unless_present = "reference",
        conflicts_with = "reference"
    )]
    pub file: Option<PathBuf>,

    /// Record this endpoint now and use it as the reference (instead of FILE).
    #[arg(long, value_name = "URL")]
    pub reference: Option<String>,

    // The endpoint compared with the reference, and how to sign for both.
    #[command(flatten)]
    pub endpoint: EndpointArgs,

    /// A known divergence: [CASE_GLOB::]PATH_GLOB, e.g. '$.response.body.message'. Repeatable.
    #[arg(long = "ignore", value_name = "PATTERN")]
    pub ignore: Vec<String>,

    /// A file of known divergences, one `PATTERN  REASON` a line. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Vec<PathBuf>,

    /// Selection for --reference (with FILE the recording fixes seed, --only and concurrency;
    /// --fixtures must name the directory it was recorded with, if any).
    #[command(flatten, next_help_heading = "Cases")]
    pub selection: SelectionArgs,

    #[command(flatten, next_help_heading = "Connection")]
    pub target: TargetArgs,

    /// Write the comparison as JSON to PATH.
    #[arg(long, value_name = "PATH", help_heading = "Reports and output")]
    pub report_json: Option<PathBuf>,

    /// Write a JUnit XML report (one testcase per case) to PATH.
    #[arg(long, value_name = "PATH", help_heading = "Reports and output")]
    pub junit: Option<PathBuf>,

    #[command(flatten, next_help_heading = "Reports and output")]
    pub progress: ProgressArgs,
}

fn ignore_rules(args: &CompareArgs) -> anyhow::Result<Vec<IgnoreRule>> {
    let mut rules = Vec::new();
    for p in &args.ignore {
        rules.push(IgnoreRule::new(p, "given with --ignore", "--ignore")?);
    }
    for f in &args.ignore_file {
        rules.extend(parity::load_ignore_file(f)?);
    }
    Ok(rules)
}

fn load(path: &Path) -> anyhow::Result<Recording> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read recording {}", path.display()))?;
    Recording::parse(&text).with_context(|| format!("recording {}", path.display()))
}

/// The case ids this rotcheck generates for a selection (the live scenario is never recorded).
fn generated_ids(sel: &Selection) -> anyhow::Result<BTreeSet<String>> {
    let filter = rotcheck::runner::select::OnlyFilter::new(sel.only.as_deref());
    let mut ids: BTreeSet<String> = engine::load_cases(sel.seed, sel.fixtures.as_deref())?
        .into_iter()
        .map(|c| c.id)
        .filter(|id| filter.matches(id))
        .collect();
    if filter.matches(rotcheck::runner::aged::AGED_CASE_ID) {
        ids.insert(rotcheck::runner::aged::AGED_CASE_ID.into());
    }
    Ok(ids)
}

/// A recording is replayable only if this rotcheck generates exactly its cases.
fn check_replayable(reference: &Recording, sel: &Selection) -> anyhow::Result<()> {
    let recorded: BTreeSet<String> = reference.cases.iter().map(|c| c.id.clone()).collect();
    let generated = generated_ids(sel)?;
    if recorded != generated {
        let only_recorded: Vec<&String> = recorded.difference(&generated).take(3).collect();
        let only_here: Vec<&String> = generated.difference(&recorded).take(3).collect();
        bail!(
            "the recording's cases differ from what rotcheck {} generates for seed {} ({} only in the recording, e.g. {:?}; {} only here, e.g. {:?}); it was made by rotcheck {}: record it again",
            env!("CARGO_PKG_VERSION"),
            sel.seed,
            recorded.difference(&generated).count(),
            only_recorded,
            generated.difference(&recorded).count(),
            only_here,
            reference.provenance.tool_version
        );
    }
    if reference.provenance.tool_version != env!("CARGO_PKG_VERSION") {
        eprintln!(
            "warning: the recording was made by rotcheck {}, this is {}; request differences may come from that",
            reference.provenance.tool_version,
            env!("CARGO_PKG_VERSION")
        );
    }
    Ok(())
}

/// The reference from a recording: its cases, replayable only with the selection it fixes.
fn reference_from_file(args: &CompareArgs, path: &Path) -> anyhow::Result<(Recording, Selection)> {
    let given = args.selection.given();
    if !given.is_empty() {
        bail!(
            "{} cannot be used with a recording: it fixes the seed, --only and concurrency (they are in its provenance)",
            given.join(", ")
        );
    }
    let reference = load(path)?;
    let p = &reference.provenance;
    match (p.custom_fixtures, &args.selection.fixtures) {
        (true, None) => bail!("the recording was made with --fixtures DIR: pass the same --fixtures DIR"),
        (false, Some(_)) => bail!("the recording was made with the built-in fixtures: drop --fixtures"),
        _ => {}
    }
    let sel = Selection {
        seed: p.seed,
        only: p.only.clone(),
        concurrency: u16::try_from(p.concurrency).context("the recording's concurrency")?,
        fixtures: args.selection.fixtures.clone(),
    };
    check_replayable(&reference, &sel)?;
    eprintln!(
        "rotcheck compare: reference {} ({})",
        path.display(),
        render_provenance(&reference)
    );
    Ok((reference, sel))
}

/// The reference recorded live from --reference; None when --plan asked only for the plans.
async fn reference_live(args: &CompareArgs, verbose: u8) -> anyhow::Result<Option<(Recording, Selection)>> {
    let sel = Selection::from_args(&args.selection);
    let reference = EndpointArgs {
        url: args.reference.clone(),
        ..args.endpoint.clone()
    };
    let settings = record::settings(&reference, &sel, &args.target)?;
    eprintln!(
        "rotcheck compare: recording the reference {} (seed {})",
        settings.target_name(),
        settings.seed
    );
    if record::plan_only(&settings)? {
        let candidate = record::settings(&args.endpoint, &sel, &args.target)?;
        eprintln!(
            "rotcheck compare: then running the cases against {}",
            candidate.target_name()
        );
        record::plan_only(&candidate)?;
        return Ok(None);
    }
    let recording = record::record(&settings, args.progress.no_progress, verbose).await?;
    Ok(Some((recording, sel)))
}

pub async fn run(args: CompareArgs, verbose: u8) -> anyhow::Result<ExitCode> {
    let ignores = ignore_rules(&args)?;
    super::outputs::check_compare(&args)?;
    let (reference, selection) = match &args.file {
        Some(path) => reference_from_file(&args, path)?,
        None => match reference_live(&args, verbose).await? {
            Some(r) => r,
            None => return Ok(ExitCode::SUCCESS),
        },
    };

    let settings = record::settings(&args.endpoint, &selection, &args.target)?;
    if record::plan_only(&settings)? {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "rotcheck compare: running {} cases against {}",
        reference.cases.len(),
        settings.target_name()
    );
    let candidate = record::record(&settings, args.progress.no_progress, verbose).await?;
    let comparison = parity::compare(&reference, &candidate, &ignores);

    let mut code = comparison.exit_code();
    if let Err(e) = write_reports(&comparison, &args) {
        eprintln!("error: {e:#}");
        if code == 0 {
            code = 2;
        }
    }
    print!("{}", terminal_safe(&parity::render::text(&comparison)));
    Ok(ExitCode::from(code))
}

fn render_provenance(r: &Recording) -> String {
    parity::render::describe(&r.provenance)
}

fn write_reports(c: &parity::Comparison, args: &CompareArgs) -> anyhow::Result<()> {
    super::outputs::write_reports(&[
        (args.report_json.as_deref(), "JSON report", &|| {
            Ok(parity::render::json_text(c))
        }),
        (args.junit.as_deref(), "JUnit report", &|| Ok(parity::render::junit(c)?)),
    ])
}
