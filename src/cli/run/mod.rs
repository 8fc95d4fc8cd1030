//! `rotcheck run`: test an endpoint (by default the built-in reference implementation) for
//! conformance, print a summary, write reports, and exit 0 / 1 / 2 (130 on Ctrl-C).
//!
//! Three rooms: the arguments and the settings validated from them ([`args`]), CI gating
//! (`--strict`, baselines, snapshots, the step summary: [`gate`]), and the seam to the library
//! that runs the cases ([`engine`]). This file strings them together.

use std::process::ExitCode;

use rotcheck::checks::CheckId;
use rotcheck::report::progress::{Progress, ProgressMode};
use rotcheck::report::repro::fmt_num;
use rotcheck::report::{self, RenderOptions, RunVerdict};
use rotcheck::runner::{RunMeta, RunResult};

pub mod args;
pub mod engine;
pub mod gate;

pub use args::{LimitArgs, OutputArgs, RunArgs, Selection, SelectionArgs, Settings};

pub async fn run(args: RunArgs, verbose: u8) -> anyhow::Result<ExitCode> {
    if args.output.list_checks {
        print!("{}", list_checks());
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::from_args(&args)?;
    // A bad baseline or snapshot path is a usage error before anything runs.
    let gating = gate::Gating::prepare(&args.gate)?;
    super::outputs::check_run(&args)?;
    let opts = RenderOptions {
        fixtures: settings.fixtures.clone(),
        verbose: verbose > 0,
    };
    // A run that could not start still writes its reports, so a CI job shows the cause.
    let failed_early = |e: anyhow::Error| {
        let failed = setup_failure(&settings, &e);
        if let Err(w) = write_reports(&failed, &args.output, &opts) {
            eprintln!("error: {w:#}");
        }
        if let Err(w) = gating.write_step_summary(&failed, &opts) {
            eprintln!("error: {w:#}");
        }
        e
    };
    let cases = engine::load_cases(settings.seed, settings.fixtures.as_deref()).map_err(failed_early)?;
    let footprint = engine::footprint(&settings, &cases);
    eprintln!("{}", first_line(&settings, &footprint));
    if settings.limits.plan {
        print!("{}", engine::render_plan(&settings, &footprint));
        return Ok(ExitCode::SUCCESS);
    }
    engine::check_budget(&settings, &footprint).map_err(failed_early)?;
    let ids = cases.iter().map(|c| c.id.as_str()).chain(engine::scenario_ids());
    engine::check_only(settings.only.as_deref(), ids).map_err(failed_early)?;
    // The client itself warns (once) when it signs with placeholder credentials.
    let target = engine::Target::start(&settings).await.map_err(failed_early)?;

    let progress = Progress::new(
        ProgressMode::detect(args.output.progress.no_progress),
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
    Ok(ExitCode::from(finish(&result, &args, &gating, &opts)))
}

/// What the run is about to do, on stderr before anything is sent.
fn first_line(settings: &Settings, footprint: &engine::Footprint) -> String {
    let seed_note = if settings.seed == args::DEFAULT_SEED {
        " (the default; --seed S for others)"
    } else {
        ""
    };
    let target = match (&settings.endpoint, &settings.endpoint_source) {
        (Some(_), Some(src)) => format!("{} (from {src})", settings.target_name()),
        _ => settings.target_name(),
    };
    format!(
        "rotcheck run: seed {}{seed_note}, target {target}, time-scale {}, live {}, mode {}{}",
        settings.seed,
        fmt_num(settings.time_scale),
        if settings.live { "on" } else { "off" },
        settings.mode.as_str(),
        engine::budget_note(settings, footprint),
    )
}

/// Reports, baseline, step summary, summary and snapshot of a finished run; its exit code.
fn finish(result: &RunResult, args: &RunArgs, gating: &gate::Gating, opts: &RenderOptions) -> u8 {
    let mut written = write_reports(result, &args.output, opts);
    for extra in [gating.write_baseline(result), gating.write_step_summary(result, opts)] {
        written = both(written, extra);
    }
    print!("{}", report::summary::render(result, opts));
    // After the summary, so a snapshot diff is the last thing on screen.
    let snapshot = gating.check_snapshot(result);
    let mut code = RunVerdict::of(result).exit_code();
    match snapshot {
        // A changed snapshot is a finding; a worse verdict keeps its own code.
        Ok(true) if code == 0 => code = 1,
        Ok(_) => {}
        Err(e) => written = both(written, Err(e)),
    }
    if let Err(e) = written {
        eprintln!("error: {e:#}");
        // A CI job must not pass when its report is missing; a violation still says more.
        if code == 0 {
            code = 2;
        }
    }
    code
}

/// Both outcomes: every error message kept.
fn both(a: anyhow::Result<()>, b: anyhow::Result<()>) -> anyhow::Result<()> {
    match (a, b) {
        (Ok(()), r) | (r, Ok(())) => r,
        (Err(x), Err(y)) => Err(anyhow::anyhow!("{x:#}; {y:#}")),
    }
}

/// The result of a run that could not start: no case, one harness error (exit 2).
pub(crate) fn setup_failure(settings: &Settings, error: &anyhow::Error) -> RunResult {
    let checks = if settings.checks.is_empty() {
        CheckId::all().collect()
    } else {
        settings.checks.clone()
    };
    let meta = RunMeta {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        seed: settings.seed,
        endpoint: settings.endpoint.clone().unwrap_or_else(|| "embedded".into()),
        embedded: settings.embedded(),
        region: settings.signing.region.clone().unwrap_or_default(),
        time_scale: settings.time_scale,
        live: settings.live,
        only: settings.only.clone(),
        checks,
        concurrency: settings.concurrency,
        endpoint_source: settings.endpoint_source.clone(),
        mode: settings.mode,
    };
    RunResult {
        harness_errors: vec![format!("setup failed: {error:#}")],
        ..RunResult::empty(meta)
    }
}

/// Write the requested reports; every one is attempted even when an earlier one fails.
fn write_reports(result: &RunResult, output: &OutputArgs, opts: &RenderOptions) -> anyhow::Result<()> {
    super::outputs::write_reports(&[
        (output.report_json.as_deref(), "JSON report", &|| {
            Ok(report::json::render(result, opts))
        }),
        (output.junit.as_deref(), "JUnit report", &|| {
            Ok(report::junit::render(result, opts)?)
        }),
    ])
}

fn list_checks() -> String {
    let mut out = String::new();
    for id in CheckId::all() {
        let cite = id.citation();
        out.push_str(&format!(
            "{id}\n    {}\n    spec ({}): \"{}\"\n    statements: {} (rotcheck spec --check {id})\n",
            id.description(),
            cite.source,
            cite.text,
            id.statements().join(", "),
        ));
    }
    out
}

/// What the tests of the run modules share: arguments parsed as clap parses them.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{RunArgs, Settings};

    /// `rotcheck run FLAGS...`'s arguments.
    pub fn args(flags: &[&str]) -> RunArgs {
        crate::cli::parse_flags(flags).expect("parses")
    }

    /// The settings for `flags` with no endpoint variable set.
    pub fn settings(flags: &[&str]) -> anyhow::Result<Settings> {
        Settings::from_args_in(&args(flags), |_| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_keeps_every_error() {
        assert!(both(Ok(()), Ok(())).is_ok());
        let one = both(Err(anyhow::anyhow!("a")), Ok(())).unwrap_err();
        assert_eq!(one.to_string(), "a");
        let two = both(Err(anyhow::anyhow!("a")), Err(anyhow::anyhow!("b"))).unwrap_err();
        assert_eq!(two.to_string(), "a; b");
    }

    #[test]
    fn a_run_that_could_not_start_is_one_harness_error_judging_the_selected_checks() {
        let s = test_support::settings(&["--checks", "token-set", "--seed", "3"]).unwrap();
        let r = setup_failure(&s, &anyhow::anyhow!("endpoint unreachable"));
        assert_eq!(r.harness_errors, ["setup failed: endpoint unreachable"]);
        assert_eq!(r.meta.checks, [CheckId::TOKEN_SET]);
        assert_eq!((r.meta.seed, r.meta.endpoint.as_str()), (3, "embedded"));
        assert_eq!(RunVerdict::of(&r).exit_code(), 2);
        let all = setup_failure(&test_support::settings(&[]).unwrap(), &anyhow::anyhow!("x"));
        assert_eq!(all.meta.checks.len(), CheckId::all().count());
    }

    #[test]
    fn the_first_line_names_the_seed_target_and_mode() {
        let s = test_support::settings(&["--strict", "--no-live"]).unwrap();
        let line = first_line(&s, &engine::footprint(&s, &[]));
        assert_eq!(
            line,
            "rotcheck run: seed 1 (the default; --seed S for others), target the built-in reference implementation, \
             time-scale 60, live off, mode strict"
        );
    }

    #[test]
    fn every_check_is_listed_with_its_spec_sentence_and_statements() {
        let text = list_checks();
        for id in CheckId::all() {
            assert!(text.contains(&format!("{id}\n    {}\n", id.description())), "{id}");
        }
        assert_eq!(text.matches("    spec (").count(), CheckId::all().count());
        // The ids a reader looks up in `rotcheck spec`, the primary one first.
        assert!(text.contains("token-set\n"));
        let token_set = &text[text.find("token-set\n").unwrap()..];
        let line = token_set.lines().find(|l| l.starts_with("    statements: ")).unwrap();
        assert!(line.contains(CheckId::TOKEN_SET.statements()[0]), "{line}");
    }
}
