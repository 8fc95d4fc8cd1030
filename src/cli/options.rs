//! The option groups several subcommands take, each declared once (one flag, one help text) and
//! flattened into every subcommand that honours it: which endpoint and how to sign for it
//! ([`EndpointArgs`]: run, record, compare, cleanup, fuzz), how to connect to it
//! ([`ConnectionArgs`]: the same five), the request rate ([`RateArgs`]: run, record, compare,
//! fuzz) and the progress display ([`ProgressArgs`]: run, record, compare, fuzz). A subcommand that
//! cannot honour a group does not take it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use rotcheck::client::{self, ConnectOptions, EndpointSource};

/// Requests per second against a remote endpoint unless --rate says otherwise.
pub const DEFAULT_REMOTE_RATE: f64 = 5.0;

/// Which endpoint, and how requests to it are signed.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EndpointArgs {
    /// The endpoint's URL, e.g. http://127.0.0.1:8080 or
    /// https://api.tunneling.iot.us-east-1.amazonaws.com. Else AWS_ENDPOINT_URL_IOTSECURETUNNELING,
    /// else AWS_ENDPOINT_URL (as the AWS SDKs); else the built-in reference implementation,
    /// started in-process (except for `cleanup`, which needs an endpoint: the built-in one keeps
    /// nothing between runs). An empty value is an error, never a silent fallback.
    #[arg(long = "endpoint", value_name = "URL")]
    pub url: Option<String>,

    /// AWS region to sign for. Default: the region in an AWS endpoint's host name, else
    /// AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. A --region that contradicts the host is an
    /// error.
    #[arg(long, value_name = "R")]
    pub region: Option<String>,

    /// Named profile of ~/.aws/config and ~/.aws/credentials for the credentials (static keys,
    /// credential_process, SSO, assume-role). Default: AWS_PROFILE, else the environment's keys,
    /// else `default`. The built-in target needs no credentials.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

impl EndpointArgs {
    /// The region the built-in target signs for: --region, else the default.
    pub fn embedded_region(&self) -> String {
        self.region
            .clone()
            .unwrap_or_else(|| rotcheck::client::config::DEFAULT_REGION.into())
    }

    /// The endpoint, from --endpoint else the environment (read through `env`), and the setting
    /// that named it; None: no endpoint was given (the built-in target).
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<(String, EndpointSource)>> {
        Ok(client::choose_endpoint(self.url.as_deref(), env)?)
    }

    /// [`EndpointArgs::resolve`] in the process environment.
    pub fn resolve_from_env(&self) -> anyhow::Result<Option<(String, EndpointSource)>> {
        self.resolve(|k| std::env::var(k).ok())
    }
}

/// Whether `endpoint` is remote: given, and not on a loopback address. Remote endpoints get the
/// conservative defaults (rate, tunnel budgets); loopback ones and the built-in target none.
pub fn is_remote(endpoint: Option<&str>) -> bool {
    endpoint
        .and_then(|e| client::config::parse_endpoint(e).ok())
        .is_some_and(|u| !client::config::is_loopback(&u))
}

/// Where a command goes, for people (first lines, summaries): the endpoint without credentials a
/// user may have pasted into its URL, or the built-in target.
pub fn target_words(endpoint: Option<&str>) -> String {
    endpoint.map_or_else(
        || "the built-in reference implementation".to_owned(),
        rotcheck::redact::endpoint,
    )
}

/// How to connect: timeouts, the body cap and extra trusted CAs.
#[derive(Debug, Clone, clap::Args)]
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
    /// private CA), on the control plane and the data plane. Default: AWS_CA_BUNDLE. Proxies:
    /// HTTPS_PROXY / NO_PROXY are honoured for remote endpoints.
    #[arg(long, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
}

/// [`ConnectionArgs`], validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub ca_bundle: Option<PathBuf>,
}

impl ConnectionArgs {
    /// The timeouts as durations (each above 0 and at most an hour), the body cap at least 1.
    pub fn validate(&self) -> anyhow::Result<ConnectionSettings> {
        let secs = |name: &str, v: f64| -> anyhow::Result<Duration> {
            if !(v.is_finite() && v > 0.0 && v <= 3600.0) {
                bail!("--{name} must be between 0 and 3600 seconds, got {v}");
            }
            Ok(Duration::from_secs_f64(v))
        };
        if self.max_body_bytes == 0 {
            bail!("--max-body-bytes must be at least 1");
        }
        Ok(ConnectionSettings {
            connect_timeout: secs("connect-timeout", self.connect_timeout)?,
            timeout: secs("timeout", self.timeout)?,
            max_body_bytes: self.max_body_bytes,
            ca_bundle: self.ca_bundle.clone(),
        })
    }
}

impl ConnectionSettings {
    /// The client's options for `endpoint` (None: the built-in target), signed as `signing` says,
    /// at most `rate` requests a second.
    pub fn options(&self, endpoint: Option<String>, signing: &EndpointArgs, rate: Option<f64>) -> ConnectOptions {
        ConnectOptions {
            endpoint,
            region: signing.region.clone(),
            profile: signing.profile.clone(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
            rate,
            ca_bundle: self.ca_bundle.clone(),
        }
    }
}

/// The request rate.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RateArgs {
    /// Most requests per second the command sends, retries included (0: unlimited). Default: 5
    /// for a remote endpoint (a conservative share of an account's API rate limits), unlimited on
    /// loopback and for the built-in target.
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
}

impl RateArgs {
    /// Requests per second (None: unlimited): --rate, else [`DEFAULT_REMOTE_RATE`] for a remote
    /// endpoint.
    pub fn resolve(&self, remote: bool) -> anyhow::Result<Option<f64>> {
        match self.rate {
            Some(r) if !(r.is_finite() && r >= 0.0) => {
                bail!("--rate must be a number of requests per second (0: unlimited), got {r}")
            }
            Some(0.0) => Ok(None),
            Some(r) => Ok(Some(r)),
            None => Ok(remote.then_some(DEFAULT_REMOTE_RATE)),
        }
    }
}

/// The progress display on stderr.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProgressArgs {
    /// No progress bar or progress lines on stderr (what the command prints at the end is
    /// printed all the same).
    #[arg(long)]
    pub no_progress: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, clap::Args)]
    struct Groups {
        #[command(flatten)]
        endpoint: EndpointArgs,
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        rate: RateArgs,
    }

    fn parse(flags: &[&str]) -> Groups {
        crate::cli::parse_flags(flags).expect("parses")
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn the_flag_comes_before_the_environment_and_an_empty_one_is_an_error() {
        let given = parse(&["--endpoint", "http://127.0.0.1:9"]);
        let vars = env(&[("AWS_ENDPOINT_URL", "https://elsewhere.example")]);
        let (url, source) = given.endpoint.resolve(&vars).unwrap().unwrap();
        assert_eq!(url, "http://127.0.0.1:9");
        assert_eq!(source, EndpointSource::Flag);
        let (url, _) = parse(&[]).endpoint.resolve(&vars).unwrap().unwrap();
        assert_eq!(url, "https://elsewhere.example");
        assert!(
            parse(&[]).endpoint.resolve(env(&[])).unwrap().is_none(),
            "the built-in target"
        );
        assert!(parse(&["--endpoint", ""]).endpoint.resolve(env(&[])).is_err());
    }

    #[test]
    fn only_a_non_loopback_endpoint_is_remote() {
        assert!(is_remote(Some("https://api.tunneling.iot.us-east-1.amazonaws.com")));
        assert!(!is_remote(Some("http://127.0.0.1:8080")));
        assert!(!is_remote(Some("http://localhost:8080")));
        assert!(!is_remote(None));
    }

    #[test]
    fn connection_defaults_and_limits() {
        let c = parse(&[]).connection.validate().unwrap();
        assert_eq!(c.connect_timeout, Duration::from_secs(5));
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.max_body_bytes, 1024 * 1024);
        for bad in [
            &["--timeout", "0"][..],
            &["--connect-timeout", "3601"],
            &["--timeout", "NaN"],
            &["--max-body-bytes", "0"],
        ] {
            let e = parse(bad).connection.validate().unwrap_err().to_string();
            assert!(e.contains(bad[0]), "{e}");
        }
    }

    #[test]
    fn options_carry_every_connection_and_signing_setting() {
        let cli = parse(&[
            "--region",
            "eu-west-1",
            "--profile",
            "ci",
            "--ca-bundle",
            "/ca.pem",
            "--timeout",
            "7",
        ]);
        let opts =
            cli.connection
                .validate()
                .unwrap()
                .options(Some("https://x.example".into()), &cli.endpoint, Some(2.0));
        assert_eq!(opts.endpoint.as_deref(), Some("https://x.example"));
        assert_eq!(opts.region.as_deref(), Some("eu-west-1"));
        assert_eq!(opts.profile.as_deref(), Some("ci"));
        assert_eq!(opts.ca_bundle, Some(PathBuf::from("/ca.pem")));
        assert_eq!(opts.timeout, Duration::from_secs(7));
        assert_eq!(opts.rate, Some(2.0));
    }

    #[test]
    fn the_rate_defaults_to_five_a_second_on_a_remote_endpoint_only() {
        assert_eq!(parse(&[]).rate.resolve(true).unwrap(), Some(DEFAULT_REMOTE_RATE));
        assert_eq!(parse(&[]).rate.resolve(false).unwrap(), None);
        assert_eq!(
            parse(&["--rate", "0"]).rate.resolve(true).unwrap(),
            None,
            "0: unlimited"
        );
        assert_eq!(parse(&["--rate", "2.5"]).rate.resolve(false).unwrap(), Some(2.5));
        assert!(parse(&["--rate=-1"]).rate.resolve(true).is_err());
        assert!(parse(&["--rate", "inf"]).rate.resolve(true).is_err());
    }
}
