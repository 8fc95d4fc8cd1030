//! `rotcheck run`'s arguments, and the [`Settings`] validated from them: the defaults that depend
//! on the endpoint (remote or loopback, the built-in target) are applied here, and every value is
//! checked before anything is sent. `record` and `compare` reuse the groups that select and pace
//! the cases ([`SelectionArgs`], [`LimitArgs`]) and the settings.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use rotcheck::checks::CheckId;
use rotcheck::report::repro::{EMBEDDED_TIME_SCALE, ENDPOINT_TIME_SCALE};
use rotcheck::runner::RunMode;

use super::gate::GateArgs;
use crate::cli::options::{
    is_remote, target_words, ConnectionArgs, ConnectionSettings, EndpointArgs, ProgressArgs, RateArgs,
};

/// The seed used when `--seed` is not given: runs are reproducible by default.
pub const DEFAULT_SEED: u64 = 1;

/// Cases in flight at once unless --concurrency says otherwise.
pub const DEFAULT_CONCURRENCY: u16 = 4;

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
        --region us-east-1 --live --junit rotcheck.xml --report-json rotcheck.json

  What a run against AWS will use (tunnels opened, requests, time at --rate), sending nothing:
    rotcheck run --endpoint https://api.tunneling.iot.us-east-1.amazonaws.com --plan

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
    #[command(flatten)]
    pub endpoint: EndpointArgs,

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

    /// How late after createdAt + lifetime the live check accepts a tunnel's closing (default:
    /// 20 % of the lifetime). A real service may close expired tunnels in a periodic sweep.
    #[arg(long, value_name = "SECS")]
    pub expiry_grace: Option<f64>,

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

    #[command(flatten)]
    pub selection: SelectionArgs,

    /// Only run these checks (comma separated ids; see --list-checks). Default: all.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_check)]
    pub checks: Vec<CheckId>,

    #[command(flatten, next_help_heading = "Limits (for real endpoints)")]
    pub limits: Box<LimitArgs>,

    // Boxed: keeps the subcommand enum small.
    #[command(flatten, next_help_heading = "Reports and output")]
    pub output: Box<OutputArgs>,

    #[command(flatten, next_help_heading = "Connection")]
    pub connection: Box<ConnectionArgs>,

    #[command(flatten, next_help_heading = "CI gating")]
    pub gate: Box<GateArgs>,
}

/// Which cases run, in which lanes: `run`, `record` and `compare` (optional, so that
/// `compare FILE` can tell they were not given: the recording fixes them).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SelectionArgs {
    /// Seed of the generated cases (random ids and strings) [default: 1]. The same seed sends
    /// the same cases.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,

    /// Only run cases whose id matches PATTERN: a glob (`*` any characters, `?` one) or else a
    /// prefix, e.g. `valid/` or 'mutate/*/tunnelId'.
    #[arg(long, value_name = "PATTERN")]
    pub only: Option<String>,

    /// Cases in flight at once [default: 4]: the cases that need no tunnel run this many at a
    /// time beside those of the shared tunnel (which run one at a time: their verdicts depend on
    /// its state). `compare` runs with the recording's value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,

    /// Use the fixture cases in DIR (*.json, format in fixtures/README.md) instead of the
    /// built-in fixtures.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}

impl SelectionArgs {
    /// The flags given that a recording fixes (`compare FILE` refuses them).
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

/// [`SelectionArgs`] with the defaults applied.
#[derive(Debug, Clone, PartialEq)]
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
            concurrency: a.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
            fixtures: a.fixtures.clone(),
        }
    }

    /// The same selection as flags (every value given).
    pub fn to_args(&self) -> SelectionArgs {
        SelectionArgs {
            seed: Some(self.seed),
            only: self.only.clone(),
            concurrency: Some(self.concurrency),
            fixtures: self.fixtures.clone(),
        }
    }

    /// A pattern that matches nothing by being empty, or a fixtures directory that is not one,
    /// is a usage error before anything runs.
    fn validate(&self) -> anyhow::Result<()> {
        if self.only.as_deref().is_some_and(str::is_empty) {
            bail!("--only needs a non-empty pattern");
        }
        if let Some(dir) = &self.fixtures {
            if !dir.is_dir() {
                bail!("--fixtures {}: not a directory", dir.display());
            }
        }
        Ok(())
    }
}

/// What a run may spend at an endpoint, and when it gives up on one.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    #[command(flatten)]
    pub rate: RateArgs,

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

    /// Base delay of the retries' exponential backoff (full jitter, capped at 20 s; at most 3
    /// attempts, as the AWS SDKs' standard retry mode).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub retry_base: f64,
}

/// [`LimitArgs`], validated, with the remote defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLimits {
    /// Requests per second; None: unlimited.
    pub rate: Option<f64>,
    /// None: unlimited.
    pub max_tunnels: Option<usize>,
    /// None: unlimited.
    pub max_tunnels_opened: Option<usize>,
    pub stall: Duration,
    pub retry_base: Duration,
    /// `--plan`: print the footprint and send nothing.
    pub plan: bool,
}

impl LimitArgs {
    /// `remote`: the endpoint is remote (not loopback, not the built-in target); only then do
    /// the rate and the tunnel budgets have a default.
    pub fn validate(&self, remote: bool) -> anyhow::Result<RunLimits> {
        if !(self.stall_timeout.is_finite() && (1.0..=86_400.0).contains(&self.stall_timeout)) {
            bail!(
                "--stall-timeout must be between 1 and 86400 seconds, got {}",
                self.stall_timeout
            );
        }
        if !(self.retry_base.is_finite() && self.retry_base > 0.0 && self.retry_base <= 20.0) {
            bail!("--retry-base must be between 0 and 20 seconds, got {}", self.retry_base);
        }
        Ok(RunLimits {
            rate: self.rate.resolve(remote)?,
            max_tunnels: self
                .max_tunnels
                .map(|n| n as usize)
                .or(remote.then_some(DEFAULT_REMOTE_MAX_TUNNELS)),
            max_tunnels_opened: match self.max_tunnels_opened {
                Some(0) => None,
                Some(n) => Some(n as usize),
                None => remote.then_some(DEFAULT_REMOTE_MAX_TUNNELS_OPENED),
            },
            stall: Duration::from_secs_f64(self.stall_timeout),
            retry_base: Duration::from_secs_f64(self.retry_base),
            plan: self.plan,
        })
    }
}

#[derive(Debug, Default, clap::Args)]
pub struct OutputArgs {
    /// Write the JSON report (schema: docs/report.schema.json) to PATH.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// Write a JUnit XML report (one testsuite per check, one testcase per case) to PATH.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    #[command(flatten)]
    pub progress: ProgressArgs,

    /// List the checks (id, what it asserts, the spec sentence) and exit.
    #[arg(long)]
    pub list_checks: bool,
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
    /// `--region` and `--profile` as given (`url` is not read: see `endpoint`).
    pub signing: EndpointArgs,
    pub limits: RunLimits,
    /// Whether the endpoint is remote (not loopback, not the built-in target).
    pub remote: bool,
    pub expiry_grace: Option<Duration>,
    pub time_scale: f64,
    pub live: bool,
    pub seed: u64,
    pub only: Option<String>,
    /// Empty selects every check.
    pub checks: Vec<CheckId>,
    pub concurrency: usize,
    pub fixtures: Option<PathBuf>,
    pub connection: ConnectionSettings,
    /// `--strict`: inferred points fail.
    pub mode: RunMode,
    /// `--data-plane` (validated), and `--no-data-plane`.
    pub data_plane: Option<String>,
    pub no_data_plane: bool,
}

impl Settings {
    pub fn from_args(args: &RunArgs) -> anyhow::Result<Settings> {
        Settings::from_args_in(args, |k| std::env::var(k).ok())
    }

    /// The settings for `args` in an environment read through `env` (the endpoint variables).
    pub fn from_args_in(args: &RunArgs, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let (endpoint, endpoint_source) = match args.endpoint.resolve(env)? {
            Some((url, source)) => (Some(url), Some(source.to_string())),
            None => (None, None),
        };
        let embedded = endpoint.is_none();
        let remote = is_remote(endpoint.as_deref());
        let limits = args.limits.validate(remote)?;
        let expiry_grace = match args.expiry_grace {
            Some(g) if !(g.is_finite() && (0.0..=3600.0).contains(&g)) => {
                bail!("--expiry-grace must be between 0 and 3600 seconds, got {g}")
            }
            g => g.map(Duration::from_secs_f64),
        };
        let time_scale = args.time_scale.unwrap_or(if embedded {
            EMBEDDED_TIME_SCALE
        } else {
            ENDPOINT_TIME_SCALE
        });
        if !(time_scale.is_finite() && time_scale > 0.0 && time_scale <= 1e6) {
            bail!("--time-scale must be a number above 0 (and at most 1000000), got {time_scale}");
        }
        let selection = Selection::from_args(&args.selection);
        selection.validate()?;
        if let Some(url) = &args.data_plane {
            rotcheck::client::local_proxy::upgrade_url(url).map_err(|e| anyhow::anyhow!("--data-plane: {e}"))?;
        }
        let mut checks = args.checks.clone();
        checks.sort_by_key(|c| rotcheck::report::check_rank(*c));
        checks.dedup();
        Ok(Settings {
            endpoint,
            endpoint_source,
            signing: args.endpoint.clone(),
            limits,
            remote,
            expiry_grace,
            time_scale,
            // The live scenario waits ~1.2 tunnel-minutes of real time: on by default when cheap.
            live: !args.no_live && (args.live || embedded || time_scale >= AUTO_LIVE_TIME_SCALE),
            seed: selection.seed,
            only: selection.only,
            checks,
            concurrency: usize::from(selection.concurrency),
            fixtures: selection.fixtures,
            connection: args.connection.validate()?,
            mode: args.gate.run_mode(),
            data_plane: args.data_plane.as_ref().map(|u| u.trim().to_owned()),
            no_data_plane: args.no_data_plane,
        })
    }

    pub fn embedded(&self) -> bool {
        self.endpoint.is_none()
    }

    /// Where the run goes, for people: the endpoint without its credentials and query, or the
    /// built-in target.
    pub fn target_name(&self) -> String {
        target_words(self.endpoint.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cli::run::test_support::{args, settings};

    const AWS: &str = "https://api.tunneling.iot.us-east-1.amazonaws.com";
    const LOOPBACK: &str = "http://127.0.0.1:4566";

    #[test]
    fn a_remote_endpoint_gets_the_conservative_defaults() {
        let s = settings(&["--endpoint", AWS]).unwrap();
        assert!(s.remote);
        assert_eq!(s.limits.rate, Some(crate::cli::options::DEFAULT_REMOTE_RATE));
        assert_eq!(s.limits.max_tunnels, Some(DEFAULT_REMOTE_MAX_TUNNELS));
        assert_eq!(s.limits.max_tunnels_opened, Some(DEFAULT_REMOTE_MAX_TUNNELS_OPENED));
        assert_eq!(s.time_scale, ENDPOINT_TIME_SCALE);
        assert!(
            !s.live,
            "a real-time clock: the live check waits ~70 s, only with --live"
        );
    }

    #[test]
    fn loopback_and_the_built_in_target_are_unlimited() {
        for flags in [&["--endpoint", LOOPBACK][..], &[]] {
            let s = settings(flags).unwrap();
            assert!(!s.remote, "{flags:?}");
            assert_eq!(
                (s.limits.rate, s.limits.max_tunnels, s.limits.max_tunnels_opened),
                (None, None, None),
                "{flags:?}"
            );
        }
        let embedded = settings(&[]).unwrap();
        assert!(embedded.embedded() && embedded.live);
        assert_eq!(embedded.time_scale, EMBEDDED_TIME_SCALE);
    }

    #[test]
    fn given_limits_win_and_zero_means_unlimited() {
        let s = settings(&[
            "--endpoint",
            AWS,
            "--rate",
            "0",
            "--max-tunnels",
            "2",
            "--max-tunnels-opened",
            "0",
        ])
        .unwrap();
        assert_eq!(s.limits.rate, None);
        assert_eq!(s.limits.max_tunnels, Some(2));
        assert_eq!(s.limits.max_tunnels_opened, None);
        let s = settings(&["--endpoint", LOOPBACK, "--max-tunnels-opened", "4", "--rate", "9"]).unwrap();
        assert_eq!((s.limits.rate, s.limits.max_tunnels_opened), (Some(9.0), Some(4)));
    }

    #[test]
    fn the_endpoint_variables_count_and_name_their_source() {
        let s = Settings::from_args_in(&args(&[]), |k| (k == "AWS_ENDPOINT_URL").then(|| AWS.to_owned())).unwrap();
        assert_eq!(s.endpoint.as_deref(), Some(AWS));
        assert!(s.remote);
        assert_eq!(s.endpoint_source.as_deref(), Some("AWS_ENDPOINT_URL"));
        assert!(s.target_name().starts_with(AWS), "{}", s.target_name());
        assert_eq!(
            settings(&[]).unwrap().target_name(),
            "the built-in reference implementation"
        );
    }

    #[test]
    fn plan_is_only_recorded_here() {
        assert!(settings(&["--plan"]).unwrap().limits.plan);
        assert!(!settings(&[]).unwrap().limits.plan);
    }

    #[test]
    fn the_live_check_is_on_when_its_wait_is_short() {
        assert!(settings(&["--endpoint", LOOPBACK, "--time-scale", "12"]).unwrap().live);
        assert!(!settings(&["--endpoint", LOOPBACK, "--time-scale", "11"]).unwrap().live);
        assert!(settings(&["--endpoint", AWS, "--live"]).unwrap().live);
        assert!(!settings(&["--no-live"]).unwrap().live);
    }

    #[test]
    fn out_of_range_values_are_refused_with_the_flag_named() {
        for (flags, flag) in [
            (&["--stall-timeout", "0.5"][..], "--stall-timeout"),
            (&["--retry-base", "21"], "--retry-base"),
            (&["--expiry-grace", "3601"], "--expiry-grace"),
            (&["--time-scale", "0"], "--time-scale"),
            (&["--rate", "NaN"], "--rate"),
            (&["--timeout", "0"], "--timeout"),
            (&["--only", ""], "--only"),
            (&["--fixtures", "/no/such/dir"], "--fixtures"),
            (&["--data-plane", "ftp://x"], "--data-plane"),
            (&["--endpoint", ""], "endpoint"),
        ] {
            let e = settings(flags).expect_err(flag);
            assert!(format!("{e:#}").contains(flag), "{flag}: {e:#}");
        }
    }

    #[test]
    fn checks_are_in_report_order_without_repeats() {
        let s = settings(&["--checks", "no-5xx,token-set,no-5xx"]).unwrap();
        let ids: Vec<&str> = s.checks.iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, ["token-set", "no-5xx"]);
    }

    #[test]
    fn selection_defaults_and_what_was_given() {
        let a = args(&["--only", "valid/"]);
        assert_eq!(a.selection.given(), ["--only"]);
        let sel = Selection::from_args(&a.selection);
        assert_eq!((sel.seed, sel.concurrency), (DEFAULT_SEED, DEFAULT_CONCURRENCY));
        assert_eq!(Selection::from_args(&sel.to_args()), sel);
        let s = settings(&["--seed", "7", "--concurrency", "2", "--strict"]).unwrap();
        assert_eq!((s.seed, s.concurrency, s.mode), (7, 2, RunMode::Strict));
    }
}
