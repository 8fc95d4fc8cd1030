//! `rotcheck fuzz --sequences` and `rotcheck fuzz --replay`: sequences of lifecycle operations
//! against an endpoint (default: the built-in reference implementation, one in-process server per
//! concurrent sequence so each can move its own clock), judged by the lifecycle model. The logic
//! is in `rotcheck::fuzzing::sequences`.

use std::process::ExitCode;

use anyhow::{bail, Context as _};
use rotcheck::client::Client;
use rotcheck::fuzzing::driver::{SequenceEnd, Until};
use rotcheck::fuzzing::lifecycle::Step;
use rotcheck::fuzzing::sequences::{self, ClientApi, EndpointClock, SequenceConfig};
use rotcheck::fuzzing::{notation, SequenceSummary};
use rotcheck::report::progress::ProgressMode;
use rotcheck::report::summary::terminal_safe;
use rotcheck::server::RunningServer;

use super::fuzz::{CampaignProgress, FuzzArgs};

/// The endpoints the sequences go to: one API per concurrent sequence, and the built-in servers
/// behind them (to shut down).
struct Targets {
    apis: Vec<ClientApi>,
    servers: Vec<RunningServer>,
    /// The `rotcheck fuzz` flags a replay needs to reach the same endpoint the same way.
    command: String,
    /// The client's note on its credentials (placeholder credentials on loopback), shown after
    /// the first line.
    notice: Option<String>,
}

async fn connect(args: &FuzzArgs, count: usize) -> anyhow::Result<Targets> {
    let (endpoint, opts) = super::fuzz::endpoint_and_options(args)?;
    let run_id = rotcheck::runner::budget::new_run_id();
    let mut command = "rotcheck fuzz".to_owned();
    // The endpoint as resolved (from --endpoint or the environment): the replay names it.
    if let Some(e) = &endpoint {
        command.push_str(&format!(" --endpoint {e}"));
    }
    if let Some(r) = &args.endpoint.region {
        command.push_str(&format!(" --region {r}"));
    }
    if let Some(p) = &args.endpoint.profile {
        command.push_str(&format!(" --profile {p}"));
    }
    if let Some(ca) = &args.connection.ca_bundle {
        command.push_str(&format!(" --ca-bundle {}", ca.display()));
    }
    match endpoint {
        Some(_) => {
            let time_scale = args.time_scale.unwrap_or(1.0);
            if !(time_scale.is_finite() && (1.0..=3600.0).contains(&time_scale)) {
                bail!("--time-scale must be between 1 and 3600");
            }
            if let Some(t) = args.time_scale {
                command.push_str(&format!(" --time-scale {t}"));
            }
            let client = Client::connect(opts).await?;
            let notice = client.notice().map(str::to_owned);
            // One client (and its connection pool, rate limiter and retry budget) for all.
            let apis = (0..count)
                .map(|_| ClientApi {
                    client: client.clone(),
                    clock: EndpointClock::Waited { time_scale },
                    run_id: run_id.clone(),
                })
                .collect();
            Ok(Targets {
                apis,
                servers: Vec::new(),
                command,
                notice,
            })
        }
        None => {
            if args.time_scale.is_some() {
                bail!("--time-scale is for --endpoint: the built-in server's clock is moved forward, nothing waits");
            }
            let region = args.endpoint.embedded_region();
            let (mut apis, mut servers) = (Vec::new(), Vec::new());
            for _ in 0..count {
                let (client, server, control) =
                    rotcheck::target::start_embedded_with_control(&region, 1.0, &opts).await?;
                apis.push(ClientApi {
                    client,
                    clock: EndpointClock::Moved(control),
                    run_id: run_id.clone(),
                });
                servers.push(server);
            }
            Ok(Targets {
                apis,
                servers,
                command,
                notice: None,
            })
        }
    }
}

pub async fn run(args: FuzzArgs, _verbose: u8) -> anyhow::Result<ExitCode> {
    if args.write_seeds.is_some() || args.write_dict.is_some() {
        bail!("--write-seeds and --write-dict do not fuzz: give them without --sequences or --replay");
    }
    // The first line states what the campaign may spend, before anything is sent (or the
    // credentials are even looked up).
    let (endpoint, opts) = super::fuzz::endpoint_and_options(&args)?;
    let budget = super::fuzz::tunnel_budget(&args, endpoint.as_deref());
    let describe = super::options::target_words(endpoint.as_deref());
    if let Some(text) = &args.replay {
        let steps = notation::parse(text).context("--replay")?;
        if steps.is_empty() {
            bail!("--replay: the sequence has no step");
        }
        let opens = steps.iter().filter(|s| matches!(s, Step::Open { .. })).count() as u64;
        eprintln!(
            "rotcheck fuzz --replay: {describe}, a sequence that opens {opens} tunnel(s); {}",
            super::fuzz::budget_words(budget, opts.rate)
        );
        if let Some(limit) = budget.filter(|&l| opens > l) {
            bail!("--replay: the sequence opens {opens} tunnels, more than --max-tunnels-opened {limit}");
        }
        let targets = connect(&args, 1).await?;
        return replay(&targets, &steps).await;
    }
    eprintln!(
        "rotcheck fuzz --sequences: seed {}, {describe} for {:.1?}, {} sequence(s) at once; {}",
        args.seed,
        args.duration,
        args.concurrency,
        super::fuzz::budget_words(budget, opts.rate)
    );
    let targets = connect(&args, usize::from(args.concurrency)).await?;
    let time_steps = targets.apis.iter().all(ClientApi::time_steps);
    let config = SequenceConfig {
        seed: args.seed,
        duration: args.duration,
        max_findings: usize::from(args.max_findings),
        time_steps,
        max_tunnels_opened: budget,
        ..SequenceConfig::default()
    };
    if let Some(n) = &targets.notice {
        eprintln!("note: {n}");
    }
    if !time_steps {
        eprintln!(
            "note: no time-passing steps: the endpoint's tunnel clock runs in real time (give --time-scale 60 or more for a server whose clock runs faster)"
        );
    }
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let interrupt = super::signals::spawn_interrupt(cancel_tx);
    let progress = CampaignProgress::counting(ProgressMode::detect(args.progress.no_progress), "sequences");
    let summary = sequences::fuzz_sequences(&targets.apis, &config, &progress, cancel_rx).await;
    progress.finish();
    interrupt.abort();
    for s in targets.servers {
        s.shutdown().await;
    }
    let command = format!("{} --sequences", targets.command);
    for (i, f) in summary.findings.iter().enumerate() {
        print!("\n{}", sequences::render_finding(i + 1, f, &command));
    }
    print_totals(&summary);
    if let (Some(why), false) = (&summary.setup, summary.interrupted) {
        bail!("setup: {}", terminal_safe(why));
    }
    super::fuzz::campaign_exit(
        summary.interrupted,
        summary.exit_code(),
        summary.sequences,
        "sequence",
        "some sequences could not be judged or left tunnels behind (see above)",
    )
}

fn print_totals(s: &SequenceSummary) {
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let reused = if s.reused > 0 {
        format!(", {} on a tunnel kept from an earlier one", s.reused)
    } else {
        String::new()
    };
    let mut line = format!(
        "\n{} sequences{reused} ({} requests, {} tunnel(s) opened) in {:.1} s ({:.1} sequences/s), {} finding(s)",
        s.sequences,
        s.requests,
        s.tunnels_opened,
        secs,
        s.sequences as f64 / secs,
        s.findings.len()
    );
    if s.repeated > 0 {
        line.push_str(&format!(", {} more failing sequence(s) repeating them", s.repeated));
    }
    println!("{line}");
    if let (true, Some(limit)) = (s.budget_spent, s.max_tunnels_opened) {
        println!(
            "tunnel budget spent: {} of {limit} tunnels opened (--max-tunnels-opened)",
            s.tunnels_opened
        );
    }
    if s.shrink_out_of_tunnels {
        eprintln!(
            "shrinking stopped early: the tunnel budget was spent (a larger --max-tunnels-opened shrinks further)"
        );
    }
    if !s.not_reused.is_empty() {
        eprintln!(
            "note: kept tunnel(s) not reused, changed while no sequence used them: {}",
            terminal_safe(&s.not_reused.join("; "))
        );
    }
    if s.inconclusive > 0 {
        eprintln!(
            "{} sequence(s) could not be judged: {}",
            s.inconclusive,
            terminal_safe(&s.inconclusive_reasons.join("; "))
        );
    }
    if !s.left_behind.is_empty() {
        eprintln!(
            "tunnels left behind (delete them with `rotcheck cleanup`): {}",
            terminal_safe(&s.left_behind.join("; "))
        );
    }
}

async fn replay(targets: &Targets, steps: &[Step]) -> anyhow::Result<ExitCode> {
    let Some(api) = targets.apis.first() else {
        bail!("no endpoint to replay on");
    };
    let text = notation::render(steps);
    if !api.time_steps() && text.split(' ').any(|s| s.starts_with("advance:")) {
        bail!("--replay: the sequence lets time pass, which needs the built-in target or --endpoint with --time-scale 60 or more");
    }
    eprintln!("replaying: {text}");
    if let Some(n) = &targets.notice {
        eprintln!("note: {n}");
    }
    let (end, requests, left) = sequences::run_and_clean(api, steps, Until::NEVER).await;
    if !left.is_empty() {
        eprintln!(
            "tunnels left behind (delete them with `rotcheck cleanup`): {}",
            terminal_safe(&left.join("; "))
        );
    }
    let words: Vec<&str> = text.split(' ').collect();
    let code = match end {
        SequenceEnd::Passed | SequenceEnd::Truncated => {
            println!(
                "passed: {} steps, {requests} requests, every answer as the model expects",
                steps.len()
            );
            0
        }
        SequenceEnd::Violation { step, outcome } => {
            print!("{}", sequences::render_violation("finding", &text, step, &outcome));
            1
        }
        SequenceEnd::Inconclusive { step, why } => {
            bail!(
                "step {} ({}) could not be judged: {}",
                step + 1,
                words.get(step).unwrap_or(&""),
                terminal_safe(&why)
            );
        }
        SequenceEnd::Setup(why) => bail!("setup: {}", terminal_safe(&why)),
    };
    if !left.is_empty() && code == 0 {
        bail!("the sequence passed but left tunnels behind");
    }
    Ok(ExitCode::from(code))
}
