//! Errors of the protocol client. Setup problems ([`ClientError`]) come before any request;
//! [`TransportError`]s are exchanges that produced no HTTP response. Messages name the endpoint
//! and never contain credentials.

use std::error::Error as _;
use std::time::Duration;

use super::sigv4::SignError;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no endpoint: pass --endpoint URL or set AWS_ENDPOINT_URL_IOTSECURETUNNELING or AWS_ENDPOINT_URL")]
    NoEndpoint,
    #[error(
        "{0} is set but empty: give it an endpoint URL, or unset it to test the built-in reference implementation"
    )]
    EmptyEndpoint(String),
    #[error(
        "--region {region} does not match the endpoint's host name, which is in {host}: requests signed for \
         another region are refused; drop --region or fix it"
    )]
    RegionMismatch { region: String, host: String },
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },
    #[error("invalid region {0:?}: expected letters, digits and dashes, like us-east-1")]
    InvalidRegion(String),
    #[error(
        "no AWS credentials to sign requests to {endpoint}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
         (plus AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE / --profile naming a profile in \
         ~/.aws/credentials or ~/.aws/config"
    )]
    NoCredentials { endpoint: String },
    #[error("cannot load AWS credentials: {0}")]
    Credentials(String),
    #[error("cannot set up the HTTP client: {0}")]
    Http(String),
    #[error("CA bundle {path} (--ca-bundle or AWS_CA_BUNDLE): {reason}")]
    CaBundle { path: String, reason: String },
}

/// An exchange that produced no HTTP response (or whose response could not be read).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("request cannot be sent: {0}")]
    InvalidRequest(String),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("connection refused by {endpoint}: is the server running? ({detail})")]
    Refused { endpoint: String, detail: String },
    #[error("no connection to {endpoint} within {after:?}")]
    ConnectTimeout { endpoint: String, after: Duration },
    #[error("no complete response from {endpoint} within {after:?}")]
    Timeout { endpoint: String, after: Duration },
    #[error("TLS failure with {endpoint}: {detail}")]
    Tls { endpoint: String, detail: String },
    #[error("the TLS certificate of {endpoint} is not trusted ({detail}); {UNTRUSTED_ADVICE}")]
    UntrustedCertificate { endpoint: String, detail: String },
    #[error("cannot connect to {endpoint}: {detail}")]
    Connect { endpoint: String, detail: String },
    #[error("invalid HTTP response from {endpoint}: {detail}")]
    Protocol { endpoint: String, detail: String },
    #[error("error reading the response body from {endpoint}: {detail}")]
    Body { endpoint: String, detail: String },
}

impl TransportError {
    /// True when the endpoint could not be reached at all (a setup problem, exit 2), as opposed
    /// to an endpoint that answered badly or too slowly (which a check may judge).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            TransportError::Refused { .. }
                | TransportError::ConnectTimeout { .. }
                | TransportError::Tls { .. }
                | TransportError::UntrustedCertificate { .. }
                | TransportError::Connect { .. }
        )
    }

    /// Whether sending again may succeed (the SDKs retry transport errors); a request that cannot
    /// be built or signed fails the same way every time.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, TransportError::InvalidRequest(_) | TransportError::Sign(_))
    }

    /// Classify a reqwest error.
    pub(crate) fn from_reqwest(
        e: &reqwest::Error,
        endpoint: &str,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Self {
        let endpoint = endpoint.to_owned();
        let detail = chain(e);
        let lower = detail.to_ascii_lowercase();
        let kinds = io_kinds(e);
        let refused = kinds.contains(&std::io::ErrorKind::ConnectionRefused);
        // rustls failures surface as InvalidData I/O errors (tokio-rustls wraps them so).
        let tls = (endpoint.starts_with("https:") && kinds.contains(&std::io::ErrorKind::InvalidData))
            || ["tls", "certificate", "handshake"].iter().any(|w| lower.contains(w));
        if e.is_connect() {
            if e.is_timeout() || lower.contains("timed out") {
                TransportError::ConnectTimeout {
                    endpoint,
                    after: connect_timeout,
                }
            } else if refused {
                TransportError::Refused { endpoint, detail }
            } else if let Some(problem) = certificate_problem(e) {
                TransportError::UntrustedCertificate {
                    endpoint,
                    detail: problem,
                }
            } else if tls {
                TransportError::Tls { endpoint, detail }
            } else {
                TransportError::Connect { endpoint, detail }
            }
        } else if e.is_timeout() {
            TransportError::Timeout {
                endpoint,
                after: timeout,
            }
        } else if e.is_body() || e.is_decode() {
            TransportError::Body { endpoint, detail }
        } else if e.is_builder() {
            TransportError::InvalidRequest(detail)
        } else {
            TransportError::Protocol { endpoint, detail }
        }
    }
}

/// What to do about a certificate the client does not trust (the same words for the control
/// plane and the data plane).
pub const UNTRUSTED_ADVICE: &str =
    "if it comes from a private CA, pass that CA's PEM with --ca-bundle PATH (or set AWS_CA_BUNDLE=PATH)";

/// The error and its sources, "a: b: c", without repeats.
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = vec![message_without_url(e)];
    push_sources(&mut parts, e.source());
    parts.join(": ")
}

/// `e` and its sources, "a: b: c", each text once (a source whose text an outer message already
/// contains is not repeated). For every error that wraps another.
pub fn source_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    push_sources(&mut parts, e.source());
    parts.join(": ")
}

fn push_sources(parts: &mut Vec<String>, mut source: Option<&(dyn std::error::Error + 'static)>) {
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
}

/// Why the TLS layer refused the server's certificate (`invalid peer certificate: UnknownIssuer`),
/// when that is what went wrong: rustls' own error, found in the source chain (inside I/O errors
/// too, whose `source()` skips the error they wrap).
pub fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = next {
        if let Some(rustls::Error::InvalidCertificate(c)) = s.downcast_ref::<rustls::Error>() {
            return Some(rustls::Error::InvalidCertificate(c.clone()).to_string());
        }
        next = match s.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => s.source(),
        };
    }
    None
}

/// The kinds of all I/O errors in the source chain, descending into nested `io::Error`s (whose
/// `source()` skips the wrapped error itself).
fn io_kinds(e: &reqwest::Error) -> Vec<std::io::ErrorKind> {
    let mut kinds = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(s) = next {
        next = match s.downcast_ref::<std::io::Error>() {
            Some(io) => {
                kinds.push(io.kind());
                io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static))
            }
            None => s.source(),
        };
    }
    kinds
}

/// reqwest's message without the URL: the variant's message names the endpoint once.
fn message_without_url(e: &reqwest::Error) -> String {
    let text = e.to_string();
    match e.url() {
        Some(u) => text.replace(&format!(" for url ({u})"), ""),
        None => text,
    }
}
