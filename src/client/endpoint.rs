//! Where the endpoint comes from, as the AWS SDKs have it (PROTOCOL.md, "Talking to a real
//! endpoint"): `--endpoint`, then `AWS_ENDPOINT_URL_IOTSECURETUNNELING`, then `AWS_ENDPOINT_URL`.
//! An empty value anywhere is refused: an unset CI variable (`--endpoint "$URL"`) must not
//! silently test something else. And the region an AWS endpoint's host name carries.

use std::fmt;

use reqwest::Url;

use super::config::ENDPOINT_VARS;
use super::error::ClientError;

/// Which setting named the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointSource {
    Flag,
    /// One of [`ENDPOINT_VARS`].
    Env(&'static str),
}

impl fmt::Display for EndpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointSource::Flag => f.write_str("--endpoint"),
            EndpointSource::Env(v) => f.write_str(v),
        }
    }
}

/// The endpoint and where it came from; `Ok(None)` when nothing names one (the caller may then
/// start the built-in target). `env` stands for the process environment.
pub fn choose_endpoint(
    flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<(String, EndpointSource)>, ClientError> {
    if let Some(v) = flag {
        return non_empty(v, EndpointSource::Flag).map(Some);
    }
    for var in ENDPOINT_VARS {
        if let Some(v) = env(var) {
            return non_empty(&v, EndpointSource::Env(var)).map(Some);
        }
    }
    Ok(None)
}

fn non_empty(v: &str, source: EndpointSource) -> Result<(String, EndpointSource), ClientError> {
    if v.trim().is_empty() {
        return Err(ClientError::EmptyEndpoint(source.to_string()));
    }
    Ok((v.trim().to_owned(), source))
}

/// The region in an AWS IoT Secure Tunneling endpoint's host name
/// (`api.tunneling.iot.<region>.amazonaws.com`, `.amazonaws.com.cn` in China), else None.
pub fn region_from_host(url: &Url) -> Option<String> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    let rest = host.strip_prefix("api.tunneling.iot.")?;
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))?;
    let ok =
        !region.is_empty() && !region.contains('.') && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then(|| region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::test_env::env;

    #[test]
    fn precedence_is_flag_then_service_variable_then_global() {
        let both = env(&[
            ("AWS_ENDPOINT_URL", "http://global:1"),
            ("AWS_ENDPOINT_URL_IOTSECURETUNNELING", "http://specific:2"),
        ]);
        assert_eq!(
            choose_endpoint(Some("http://flag:3"), &both).unwrap(),
            Some(("http://flag:3".into(), EndpointSource::Flag))
        );
        assert_eq!(
            choose_endpoint(None, &both).unwrap(),
            Some((
                "http://specific:2".into(),
                EndpointSource::Env("AWS_ENDPOINT_URL_IOTSECURETUNNELING")
            ))
        );
        assert_eq!(
            choose_endpoint(None, env(&[("AWS_ENDPOINT_URL", "http://global:1")])).unwrap(),
            Some(("http://global:1".into(), EndpointSource::Env("AWS_ENDPOINT_URL")))
        );
        assert_eq!(choose_endpoint(None, env(&[])).unwrap(), None);
    }

    /// Regression: `--endpoint ""` (an empty CI variable) silently tested the built-in server.
    #[test]
    fn an_empty_value_is_refused() {
        assert!(matches!(
            choose_endpoint(Some(" "), env(&[])),
            Err(ClientError::EmptyEndpoint(_))
        ));
        let e = choose_endpoint(None, env(&[("AWS_ENDPOINT_URL_IOTSECURETUNNELING", "")])).unwrap_err();
        assert!(e.to_string().contains("AWS_ENDPOINT_URL_IOTSECURETUNNELING"), "{e}");
    }

    #[test]
    fn region_comes_from_an_aws_host() {
        let r = |s: &str| region_from_host(&Url::parse(s).unwrap());
        assert_eq!(
            r("https://api.tunneling.iot.eu-west-1.amazonaws.com"),
            Some("eu-west-1".into())
        );
        assert_eq!(
            r("https://api.tunneling.iot.cn-north-1.amazonaws.com.cn/"),
            Some("cn-north-1".into())
        );
        assert_eq!(r("http://127.0.0.1:8080"), None);
        assert_eq!(r("https://tunnels.example.com"), None);
    }
}
