//! Connection options and where endpoint and region come from: flags first, then the standard AWS
//! environment variables, then defaults.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use super::error::ClientError;

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
pub const DEFAULT_REGION: &str = "us-east-1";

/// Endpoint variables, most specific first (the SDKs' service-specific variable, then the global one).
pub const ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_IOTSECURETUNNELING", "AWS_ENDPOINT_URL"];
pub const REGION_VARS: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// How to reach the endpoint. Plain data: the environment is read only by [`ConnectOptions::resolve`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectOptions {
    /// `--endpoint`; else `AWS_ENDPOINT_URL_IOTSECURETUNNELING` or `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
    /// `--region`; else `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// `--profile`; else `AWS_PROFILE`, else `default` (credentials from the shared files).
    pub profile: Option<String>,
    pub connect_timeout: Duration,
    /// Whole exchange: connect, send, and read the response body.
    pub timeout: Duration,
    /// Response bodies are cut at this size (and marked truncated).
    pub max_body_bytes: usize,
    /// Most requests per second across the client (retries included); None: unlimited.
    pub rate: Option<f64>,
    /// PEM file of extra trusted CA certificates (`--ca-bundle`; else `AWS_CA_BUNDLE`), trusted
    /// besides the bundled and the system's roots.
    pub ca_bundle: Option<std::path::PathBuf>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            endpoint: None,
            region: None,
            profile: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            rate: None,
            ca_bundle: None,
        }
    }
}

/// Endpoint and region after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub endpoint: Url,
    pub region: String,
}

impl ConnectOptions {
    /// Resolve endpoint and region from the flags and the process environment.
    pub fn resolve(&self) -> Result<Resolved, ClientError> {
        self.resolve_with(|k| std::env::var(k).ok())
    }

    /// Resolve with `env` standing for the environment (tests pass a map).
    pub fn resolve_with(&self, env: impl Fn(&str) -> Option<String>) -> Result<Resolved, ClientError> {
        let set = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let (endpoint, _) =
            super::endpoint::choose_endpoint(self.endpoint.as_deref(), &env)?.ok_or(ClientError::NoEndpoint)?;
        let endpoint = parse_endpoint(&endpoint)?;
        // An AWS host names its region: signing for another one fails (PROTOCOL.md).
        let from_host = super::endpoint::region_from_host(&endpoint);
        let flag = set(self.region.clone());
        if let (Some(flag), Some(host)) = (&flag, &from_host) {
            if flag.trim() != host {
                return Err(ClientError::RegionMismatch {
                    region: flag.clone(),
                    host: host.clone(),
                });
            }
        }
        let region = flag
            .or(from_host)
            .or_else(|| REGION_VARS.iter().find_map(|k| set(env(k))))
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        Ok(Resolved {
            endpoint,
            region: check_region(&region)?,
        })
    }
}

/// An endpoint URL: http or https, with a host, without query or fragment (requests go to its
/// path, `/` unless it has one, as the SDKs do).
pub fn parse_endpoint(s: &str) -> Result<Url, ClientError> {
    // The URL may hold the very credentials it is refused for: the error shows it without them.
    let invalid = |reason: &str| ClientError::InvalidEndpoint {
        endpoint: crate::redact::endpoint(s),
        reason: reason.to_owned(),
    };
    let url = Url::parse(s.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("an endpoint has no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials do not belong in the endpoint URL"));
    }
    Ok(url)
}

/// A region goes into the credential scope: letters, digits and dashes only.
pub fn check_region(region: &str) -> Result<String, ClientError> {
    let r = region.trim();
    if r.is_empty() || r.len() > 64 || !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ClientError::InvalidRegion(region.to_owned()));
    }
    Ok(r.to_owned())
}

/// Whether the endpoint is this machine (127.0.0.0/8, ::1, localhost): only then may requests be
/// signed with placeholder credentials.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let d = host.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::test_env::env;

    #[test]
    fn flags_win_over_environment() {
        let opts = ConnectOptions {
            endpoint: Some("http://127.0.0.1:9".into()),
            region: Some("eu-west-1".into()),
            ..Default::default()
        };
        let r = opts
            .resolve_with(env(&[
                ("AWS_ENDPOINT_URL", "http://other:1"),
                ("AWS_REGION", "ap-south-1"),
            ]))
            .unwrap();
        assert_eq!(r.endpoint.as_str(), "http://127.0.0.1:9/");
        assert_eq!(r.region, "eu-west-1");
    }

    #[test]
    fn environment_order_and_defaults() {
        let o = ConnectOptions::default();
        let r = o
            .resolve_with(env(&[
                ("AWS_ENDPOINT_URL", "http://global:1"),
                ("AWS_ENDPOINT_URL_IOTSECURETUNNELING", "http://specific:2"),
                ("AWS_DEFAULT_REGION", "eu-central-1"),
            ]))
            .unwrap();
        assert_eq!(r.endpoint.host_str(), Some("specific"));
        assert_eq!(r.region, "eu-central-1");
        let r = o
            .resolve_with(env(&[("AWS_ENDPOINT_URL", "http://global:1"), ("AWS_REGION", "")]))
            .unwrap();
        assert_eq!(r.region, DEFAULT_REGION, "empty variables count as unset");
        assert!(matches!(o.resolve_with(env(&[])), Err(ClientError::NoEndpoint)));
    }

    #[test]
    fn region_from_an_aws_host_and_mismatches() {
        let aws = |region: Option<&str>| ConnectOptions {
            endpoint: Some("https://api.tunneling.iot.eu-west-1.amazonaws.com".into()),
            region: region.map(str::to_owned),
            ..Default::default()
        };
        let r = aws(None).resolve_with(env(&[("AWS_REGION", "us-east-1")])).unwrap();
        assert_eq!(r.region, "eu-west-1", "the host's region wins over the environment's");
        assert_eq!(
            aws(Some("eu-west-1")).resolve_with(env(&[])).unwrap().region,
            "eu-west-1"
        );
        let e = aws(Some("us-east-1")).resolve_with(env(&[])).unwrap_err();
        assert!(matches!(e, ClientError::RegionMismatch { .. }), "{e}");
    }

    #[test]
    fn bad_endpoints_and_regions_are_setup_errors() {
        for bad in [
            "",
            "not a url",
            "ftp://x",
            "http://",
            "http://h/?q=1",
            "http://u:p@h/",
            "127.0.0.1:8080",
        ] {
            assert!(parse_endpoint(bad).is_err(), "{bad}");
        }
        assert!(parse_endpoint("https://api.tunneling.iot.us-east-1.amazonaws.com").is_ok());
        for bad in ["", "us east", "eu/1", "a\nb"] {
            assert!(check_region(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn loopback_detection() {
        for yes in [
            "http://127.0.0.1:1",
            "http://127.8.9.10",
            "http://[::1]:80",
            "http://localhost:3",
            "http://LocalHost.",
        ] {
            assert!(is_loopback(&parse_endpoint(yes).unwrap()), "{yes}");
        }
        for no in [
            "http://10.0.0.1",
            "https://example.com",
            "http://[::2]",
            "http://localhost.example.com",
        ] {
            assert!(!is_loopback(&parse_endpoint(no).unwrap()), "{no}");
        }
    }
}
