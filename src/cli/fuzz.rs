//! `rotcheck fuzz`: random requests from the mutation catalog against an endpoint (default: the
//! built-in reference implementation, started in-process on 127.0.0.1), judged by the same checks
//! as `rotcheck run`; each finding is shrunk and printed with a curl reproduction. Exit 1 on any
//! finding, 0 otherwise, 2 on a setup error. The logic is in `rotcheck::fuzzing`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use indicatif::{ProgressBar, ProgressStyle};
use rotcheck::checks::CheckId;
use rotcheck::client::{Client, ConnectOptions};

use super::options::{is_remote, target_words, ConnectionArgs, EndpointArgs, ProgressArgs, RateArgs};
use rotcheck::fuzzing::{self, repro, FuzzConfig, FuzzProgress};
use rotcheck::report::progress::ProgressMode;

const EXAMPLES: &str = "\
Examples:
  Fuzz the built-in reference implementation for a minute:
    rotcheck fuzz

  Fuzz your implementation on a loopback port, 4 requests in flight, reproducibly:
    rotcheck fuzz --endpoint http://127.0.0.1:8080 --duration 5m --seed 7 --concurrency 4

  Fuzz sequences of operations (open, rotate, describe, close, list, tag, time passing) judged by
  the lifecycle model, then replay a sequence a finding printed:
    rotcheck fuzz --sequences --duration 2m
    rotcheck fuzz --replay 'open:2m advance:40s rotate:#0:SOURCE advance:100s list'

  Sequences against your server, its tunnel clock 60 times faster (time steps then take seconds):
    rotcheck serve --port 8080 --time-scale 60 &
    rotcheck fuzz --sequences --endpoint http://127.0.0.1:8080 --time-scale 60

  Sequences against AWS for two minutes, opening at most 5 tunnels (AWS bills each one opened):
    rotcheck fuzz --sequences --endpoint https://api.tunneling.iot.us-east-1.amazonaws.com \
      --duration 2m --max-tunnels-opened 5

  Write the cargo-fuzz seed corpus (fuzz/seeds) from the catalog's cases, and the dictionary:
    rotcheck fuzz --write-seeds fuzz/seeds
    rotcheck fuzz --write-dict fuzz/rotcheck.dict

Exit codes:
  0  no finding (also when the campaign stopped because its --max-tunnels-opened budget was spent)
  1  at least one finding (each printed, shrunk, with a curl reproduction)
  2  usage or setup error, or the endpoint never answered";

/// Fuzz an endpoint with random requests from the mutation catalog.
///
/// Each request is a valid rotation changed by one mutation operator (see the cases module), sent
/// on a tunnel the fuzzer opens (and deletes afterwards), and judged by the same checks as
/// `rotcheck run`. The same seed sends the same request sequence.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct FuzzArgs {
    #[command(flatten)]
    pub endpoint: EndpointArgs,

    /// How long to send requests, e.g. 60s, 5m, 1h, 500ms (a plain number is seconds).
    /// Shrinking the findings takes up to 30 s more.
    #[arg(long, value_name = "D", default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Seed of the request sequence.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Requests in flight at once (with --sequences: sequences run at once).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Fuzz sequences of operations (OpenTunnel, rotations in every mode, DescribeTunnel,
    /// CloseTunnel, ListTunnels, TagResource, time passing) instead of single requests, each
    /// answer judged by the tunnel lifecycle model. Each sequence deletes its tunnels (on a tunnel
    /// budget, one is kept open for the next); findings are shrunk to a short sequence with a
    /// --replay command.
    #[arg(long)]
    pub sequences: bool,

    /// Run one sequence (as a finding prints it, e.g. 'open:2m rotate:#0:ALL describe:#0') and
    /// judge it; exit 1 if it breaks a rule. Implies --sequences. Steps, separated by spaces:
    /// open:<1..12|720>m[:config], rotate:<T>:<SOURCE|DESTINATION|ALL>[:config], describe:<T>,
    /// close:<T>[:delete], list, tag:<T>:k<0..3>:v<0..255>, advance:<20..1280, by 20>s (tunnel
    /// time); <T> is #i (the i-th tunnel opened) or unknown (an id no tunnel has).
    #[arg(long, value_name = "SEQUENCE", conflicts_with_all = ["duration", "seed", "max_findings", "concurrency"])]
    pub replay: Option<String>,

    /// With --sequences and --endpoint: how many times faster than real time the endpoint's
    /// tunnel clock runs (`rotcheck serve --time-scale`). Time-passing steps are sent only when
    /// it is at least 60 (they wait for real); default 1 (real time, as AWS): none.
    #[arg(long, value_name = "N")]
    pub time_scale: Option<f64>,

    /// The most tunnels the campaign opens in all, shrinking included (AWS bills every tunnel
    /// opened; rotations are free). Default: 10 for a remote endpoint, unlimited on loopback and
    /// for the built-in target. With --sequences, each concurrent sequence keeps a tunnel open
    /// for the next: sequences that only rotate, describe, list or tag run on it, and the ones
    /// that open more tunnels, close one or let time pass take new ones, spread over --duration.
    /// The campaign stops when the budget is spent (exit 0 without a finding). 0: unlimited (as
    /// for `run`).
    #[arg(long, value_name = "N", value_parser = parse_tunnel_budget)]
    pub max_tunnels_opened: Option<u64>,

    #[command(flatten)]
    pub rate: RateArgs,

    /// Distinct findings (check and operator) to shrink and print.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_findings: u16,

    #[command(flatten)]
    pub progress: ProgressArgs,

    /// Write the cargo-fuzz seed corpus to DIR/<target>/ and exit (fuzzes nothing).
    #[arg(long, value_name = "DIR")]
    pub write_seeds: Option<PathBuf>,

    /// Write the libFuzzer dictionary of the protocol's tokens to PATH and exit.
    #[arg(long, value_name = "PATH")]
    pub write_dict: Option<PathBuf>,

    #[command(flatten, next_help_heading = "Connection")]
    pub connection: ConnectionArgs,
}

/// `--max-tunnels-opened`: a whole number of tunnels; 0 is unlimited.
fn parse_tunnel_budget(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("{s:?} is not a number of tunnels (give a whole number, e.g. 10; 0: unlimited)"))
}

/// `60s`, `5m`, `1h`, `500ms`, or seconds.
pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or((s, ""), |i| s.split_at(i));
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 60s, 5m, 500ms)"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        u => return Err(format!("unknown unit {u:?} (use ms, s, m or h)")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= 7.0 * 86_400.0) {
        return Err(format!("{s:?}: the duration must be above 0 and at most a week"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub async fn run(args: FuzzArgs, verbose: u8) -> anyhow::Result<ExitCode> {
    if args.sequences || args.replay.is_some() {
        return super::fuzz_sequences::run(args, verbose).await;
    }
    if args.time_scale.is_some() {
        bail!("--time-scale applies to --sequences (single requests do not wait for time to pass)");
    }
    if args.write_dict.is_some() || args.write_seeds.is_some() {
        return write_corpus(&args);
    }
    let (endpoint, opts) = endpoint_and_options(&args)?;
    let budget = tunnel_budget(&args, endpoint.as_deref());
    eprintln!(
        "rotcheck fuzz: seed {}, {} for {:.1?}, concurrency {}; {}",
        args.seed,
        target_words(endpoint.as_deref()),
        args.duration,
        args.concurrency,
        budget_words(budget, opts.rate)
    );
    let request_timeout = opts.timeout;
    let (client, embedded) = connect(&args, endpoint.is_some(), opts).await?;
    let config = FuzzConfig {
        seed: args.seed,
        duration: args.duration,
        concurrency: usize::from(args.concurrency),
        max_findings: usize::from(args.max_findings),
        endpoint: client.endpoint().to_owned(),
        embedded: embedded.is_some(),
        region: client.region().to_owned(),
        max_tunnels_opened: budget.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        request_timeout,
        ..FuzzConfig::default()
    };

    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    // Ctrl-C, SIGTERM (a CI cancel) and SIGHUP all stop the campaign and delete its tunnels.
    let interrupt = super::signals::spawn_interrupt(cancel_tx);
    let progress = CampaignProgress::new(ProgressMode::detect(args.progress.no_progress));
    let summary = fuzzing::fuzz(Arc::new(client), &config, &progress, cancel_rx).await;
    progress.finish();
    interrupt.abort();
    if let Some(srv) = embedded {
        srv.shutdown().await;
    }

    print_summary(&summary, endpoint.as_deref(), &config.region);
    campaign_exit(
        summary.interrupted,
        summary.exit_code(),
        summary.requests,
        "request",
        "the harness could not judge every request (see the harness lines above)",
    )
}

/// `--write-dict` (which wins) or `--write-seeds`: write the dictionary or the seed corpus, fuzz
/// nothing.
fn write_corpus(args: &FuzzArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.write_dict {
        std::fs::write(path, fuzzing::seeds::dictionary())
            .with_context(|| format!("cannot write the dictionary to {}", path.display()))?;
        println!("dictionary written to {}", path.display());
    } else if let Some(dir) = &args.write_seeds {
        // The seeds are made in-process on their own runtime: a thread outside this one.
        let target = dir.clone();
        let counts = std::thread::spawn(move || fuzzing::seeds::write_seeds(&target))
            .join()
            .map_err(|_| anyhow::anyhow!("writing seeds failed"))?
            .with_context(|| format!("cannot write seeds to {}", dir.display()))?;
        for (target, n) in counts {
            println!("{n:5} seeds in {}", dir.join(target).display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A client for the endpoint (`remote`: one was given), or the built-in target started and a
/// client for it (returned to be shut down).
async fn connect(
    args: &FuzzArgs,
    remote: bool,
    opts: ConnectOptions,
) -> anyhow::Result<(Client, Option<rotcheck::server::RunningServer>)> {
    if remote {
        let client = Client::connect(opts).await?;
        if let Some(n) = client.notice() {
            eprintln!("note: {n}");
        }
        return Ok((client, None));
    }
    let region = args.endpoint.embedded_region();
    let (client, srv) = rotcheck::target::start_embedded(&region, 1.0, &opts).await?;
    Ok((client, Some(srv)))
}

/// The findings with their reproductions, the harness errors, the tally and the footprint.
fn print_summary(summary: &fuzzing::FuzzSummary, endpoint: Option<&str>, region: &str) {
    let secs = summary.elapsed.as_secs_f64().max(1e-9);
    for (i, f) in summary.findings.iter().enumerate() {
        print!("\n{}", repro::render(i + 1, f, endpoint, region, &summary.redactor));
    }
    for e in &summary.harness_errors {
        eprintln!("harness: {}", summary.redactor.scrub(e));
    }
    println!(
        "\n{} requests in {:.1} s ({:.0} requests/s), {} finding(s){}{}",
        summary.requests,
        secs,
        summary.requests as f64 / secs,
        summary.findings.len(),
        if summary.repeated_failures > 0 {
            format!(", {} more failing request(s) repeating them", summary.repeated_failures)
        } else {
            String::new()
        },
        if summary.unjudged > 0 {
            format!(
                ", {} request(s) not judged (transport or setup failure)",
                summary.unjudged
            )
        } else {
            String::new()
        },
    );
    println!(
        "footprint: {} tunnel(s) opened, {} request(s) sent in all (setup, verification, shrinking and cleanup included), {:.1} s",
        summary.tunnels.opened, summary.requests_sent, secs
    );
    if summary.budget_spent {
        println!(
            "tunnel budget spent: {} of {} tunnels opened (--max-tunnels-opened); the campaign stopped there",
            summary.tunnels.opened,
            summary.tunnels.max_opened.unwrap_or(summary.tunnels.opened)
        );
    }
}

/// The endpoint to fuzz (`None`: the built-in target), from --endpoint or the environment, and
/// the client options for it.
pub(super) fn endpoint_and_options(args: &FuzzArgs) -> anyhow::Result<(Option<String>, ConnectOptions)> {
    let endpoint = args.endpoint.resolve_from_env()?.map(|(url, _)| url);
    let rate = args.rate.resolve(is_remote(endpoint.as_deref()))?;
    let opts = args
        .connection
        .validate()?
        .options(endpoint.clone(), &args.endpoint, rate);
    Ok((endpoint, opts))
}

/// `--max-tunnels-opened` unless given, for a remote endpoint.
pub(super) const DEFAULT_REMOTE_MAX_TUNNELS_OPENED: u64 = 10;

/// The campaign's tunnel budget (`None`: unlimited): `--max-tunnels-opened` (0: unlimited, the
/// meaning `run` gives it), else 10 for a remote `endpoint` and unlimited on loopback or for the
/// built-in target. Both campaigns read it here.
pub(super) fn tunnel_budget(args: &FuzzArgs, endpoint: Option<&str>) -> Option<u64> {
    match args.max_tunnels_opened {
        Some(0) => None,
        Some(n) => Some(n),
        None => is_remote(endpoint).then_some(DEFAULT_REMOTE_MAX_TUNNELS_OPENED),
    }
}

/// How the budget reads on a campaign's first line.
pub(super) fn budget_words(budget: Option<u64>, rate: Option<f64>) -> String {
    let tunnels = match budget {
        Some(n) => format!("at most {n} tunnel(s) opened (--max-tunnels-opened)"),
        None => "tunnels unlimited".to_owned(),
    };
    let rate = match rate {
        Some(r) => format!("at most {r} requests/s"),
        None => "requests not rate-limited".to_owned(),
    };
    format!("budget: {tunnels}, {rate}")
}

/// How a fuzz campaign exits: 130 when interrupted; an error (exit 2) when nothing was judged
/// (no `unit` within --duration) or when `code` is 2 (`why`); else `code`.
pub(super) fn campaign_exit(
    interrupted: bool,
    code: u8,
    judged: u64,
    unit: &str,
    why: &str,
) -> anyhow::Result<ExitCode> {
    if interrupted {
        return Ok(ExitCode::from(130));
    }
    if code == 2 && judged == 0 {
        bail!("no {unit} was judged within --duration: nothing was tested (give it a longer --duration, or check the endpoint)");
    }
    if code == 2 {
        bail!("{why}");
    }
    Ok(ExitCode::from(code))
}

/// Requests/s and findings: a bar on a terminal, a line every few seconds otherwise.
pub(super) struct CampaignProgress {
    bar: Option<ProgressBar>,
    plain: bool,
    started: Instant,
    last_line: Mutex<Instant>,
    /// What is counted: `requests`, `sequences`.
    unit: &'static str,
}

impl CampaignProgress {
    pub(super) fn new(mode: ProgressMode) -> CampaignProgress {
        CampaignProgress::counting(mode, "requests")
    }

    pub(super) fn counting(mode: ProgressMode, unit: &'static str) -> CampaignProgress {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}").unwrap_or(ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        CampaignProgress {
            bar,
            plain: mode == ProgressMode::Lines,
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
            unit,
        }
    }

    fn line(&self, requests: u64, findings: u64) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let unit = self.unit;
        format!(
            "{requests} {unit}, {:.0} {unit}/s, {findings} failing",
            requests as f64 / secs
        )
    }

    pub(super) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl FuzzProgress for CampaignProgress {
    fn update(&self, requests: u64, findings: u64) {
        if let Some(b) = &self.bar {
            b.set_message(self.line(requests, findings));
        } else if self.plain {
            let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() >= Duration::from_secs(2) {
                *last = Instant::now();
                eprintln!("fuzz: {}", self.line(requests, findings));
            }
        }
    }

    fn shrinking(&self, n: usize, check: CheckId) {
        self.shrinking_sequence(n, &check.to_string());
    }

    fn shrinking_sequence(&self, n: usize, rule: &str) {
        let msg = format!("shrinking finding {n} ({rule})");
        match &self.bar {
            Some(b) => b.set_message(msg),
            None if self.plain => eprintln!("fuzz: {msg}"),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fuzz_args(flags: &[&str]) -> FuzzArgs {
        crate::cli::parse_flags(flags).expect("parses")
    }

    #[test]
    fn the_shared_endpoint_and_connection_flags_reach_the_client() {
        let aws = "https://api.tunneling.iot.us-east-1.amazonaws.com";
        let args = fuzz_args(&[
            "--endpoint",
            aws,
            "--profile",
            "ci",
            "--region",
            "us-east-1",
            "--ca-bundle",
            "/etc/ca.pem",
            "--timeout",
            "7",
            "--max-body-bytes",
            "4096",
        ]);
        let (endpoint, opts) = endpoint_and_options(&args).unwrap();
        assert_eq!(endpoint.as_deref(), Some(aws));
        assert_eq!(opts.profile.as_deref(), Some("ci"));
        assert_eq!(opts.region.as_deref(), Some("us-east-1"));
        assert_eq!(opts.ca_bundle, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!((opts.timeout, opts.max_body_bytes), (Duration::from_secs(7), 4096));
        assert_eq!(opts.rate, Some(super::super::options::DEFAULT_REMOTE_RATE));
        assert_eq!(
            tunnel_budget(&args, endpoint.as_deref()),
            Some(DEFAULT_REMOTE_MAX_TUNNELS_OPENED)
        );
        let local = fuzz_args(&["--endpoint", "http://127.0.0.1:9"]);
        let (endpoint, opts) = endpoint_and_options(&local).unwrap();
        assert_eq!((opts.rate, tunnel_budget(&local, endpoint.as_deref())), (None, None));
        assert!(endpoint_and_options(&fuzz_args(&["--endpoint", "http://127.0.0.1:9", "--timeout", "0"])).is_err());
    }

    #[test]
    fn tunnel_budgets_are_whole_numbers() {
        assert_eq!(parse_tunnel_budget("10"), Ok(10));
        assert_eq!(parse_tunnel_budget("0"), Ok(0));
        for bad in ["-1", "2.5", "ten", ""] {
            assert!(parse_tunnel_budget(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        for bad in ["", "0s", "-1s", "1y", "abc", "1e9"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
