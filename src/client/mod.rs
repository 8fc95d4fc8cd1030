//! The protocol client: AWS JSON 1.1 over HTTP (reqwest), every request SigV4-signed, responses
//! recorded as data. Whatever an endpoint sends back becomes an [`HttpResponse`] (body capped at
//! a size limit) or a typed [`TransportError`]; nothing it sends can make the client panic, hang
//! past its timeouts or buffer without bound.

pub mod config;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod local_proxy;
pub mod rate;
pub mod retry;
pub mod sigv4;
pub mod tls;

/// An environment made of `pairs`, for the tests of the modules that read variables through a
/// lookup function (endpoint choice, connection options).
#[cfg(test)]
mod test_env {
    use std::collections::HashMap;

    pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }
}

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use reqwest::Url;
use serde_json::Value;

pub use crate::wire::{parse_error, sanitize_type, ErrorInfo, TypeSource};
pub use config::{ConnectOptions, Resolved};
pub use endpoint::{choose_endpoint, region_from_host, EndpointSource};
pub use error::{ClientError, TransportError};
pub use retry::{AuthFailure, RetryPolicy};
pub use sigv4::{signed_headers, SignError};
pub use tls::TlsSettings;

use crate::wire::{HttpRequest, HttpResponse};

/// A signing HTTP client bound to one endpoint and region. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: Url,
    endpoint_text: String,
    region: String,
    credentials: Credentials,
    notice: Option<String>,
    /// Shared with the data-plane client (`local_proxy::DataPlane::with_tls`).
    tls: TlsSettings,
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: usize,
    /// Paces every request; adapts to throttling answers.
    rate: rate::RateLimiter,
}

impl fmt::Debug for Client {
    // Never the credentials: only where requests go and how.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint_text)
            .field("region", &self.inner.region)
            .field("credentials", &"<redacted>")
            .field("placeholder_credentials", &self.inner.notice.is_some())
            .field("timeout", &self.inner.timeout)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Resolve endpoint, region and credentials (flags, then the environment and the shared AWS
    /// files) and build a client. Without credentials, a loopback endpoint gets placeholder
    /// credentials (see [`Client::notice`]); any other endpoint is a setup error.
    pub async fn connect(opts: ConnectOptions) -> Result<Client, ClientError> {
        let resolved = opts.resolve()?;
        let profile = opts.profile.clone().filter(|p| !p.trim().is_empty());
        let lookup = credentials::lookup(profile.as_deref(), opts.timeout).await;
        let loopback = config::is_loopback(&resolved.endpoint);
        let (creds, notice) = credentials::choose(lookup, resolved.endpoint.as_str(), loopback)?;
        if let Some(n) = &notice {
            // Shown once by the caller through `notice()`; logged here only for -vv.
            tracing::debug!("{n}");
        }
        Client::build(resolved.endpoint, resolved.region, creds, notice, &opts)
    }

    /// A client for an explicit endpoint, region and credentials (the embedded target, tests).
    /// Timeouts and the body cap come from `opts`; its endpoint, region and profile are ignored.
    pub fn for_endpoint(
        url: &str,
        region: &str,
        credentials: Credentials,
        opts: &ConnectOptions,
    ) -> Result<Client, ClientError> {
        let endpoint = config::parse_endpoint(url)?;
        let region = config::check_region(region)?;
        Client::build(endpoint, region, credentials, None, opts)
    }

    fn build(
        endpoint: Url,
        region: String,
        credentials: Credentials,
        notice: Option<String>,
        opts: &ConnectOptions,
    ) -> Result<Client, ClientError> {
        let tls = TlsSettings::resolve(opts.ca_bundle.as_deref())?;
        let builder = tls::http_client_builder(&tls, &endpoint, opts.connect_timeout).timeout(opts.timeout);
        let http = builder
            .build()
            .map_err(|e| ClientError::Http(error::source_chain(&e)))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint_text: endpoint.as_str().to_owned(),
                endpoint,
                region,
                credentials,
                notice,
                tls,
                connect_timeout: opts.connect_timeout,
                timeout: opts.timeout,
                max_body_bytes: opts.max_body_bytes,
                rate: rate::RateLimiter::new(opts.rate),
            }),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint_text
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// Set when requests are signed with placeholder credentials; the CLI shows it once.
    pub fn notice(&self) -> Option<&str> {
        self.inner.notice.as_deref()
    }

    /// The TLS settings (trusted roots) its requests use: the data plane's client takes them too.
    pub fn tls(&self) -> &TlsSettings {
        &self.inner.tls
    }

    /// The body size cap.
    pub fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    /// The SigV4 headers this client would add to `req` at `time` (for reproductions; redact
    /// `authorization` and `x-amz-security-token` before showing them).
    pub fn signed_headers(&self, req: &HttpRequest, time: SystemTime) -> Result<Vec<(String, String)>, SignError> {
        sigv4::signed_headers(req, self.endpoint(), self.region(), &self.inner.credentials, time)
    }

    /// Call `operation` with a JSON body: a well-formed AWS JSON 1.1 request, signed.
    pub async fn call(&self, operation: &str, body: &Value) -> Result<HttpResponse, TransportError> {
        self.send(&HttpRequest::json(operation, body)).await
    }

    /// Sign `req` and send it to the endpoint.
    pub async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let signature = self.signed_headers(req, SystemTime::now())?;
        self.dispatch(req, &signature).await
    }

    /// Send `req` without a signature (for checks of how an endpoint treats unsigned requests).
    pub async fn send_unsigned(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.dispatch(req, &[]).await
    }

    async fn dispatch(
        &self,
        req: &HttpRequest,
        signature: &[(String, String)],
    ) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| TransportError::InvalidRequest(format!("invalid HTTP method {:?}", req.method)))?;
        let mut headers = reqwest::header::HeaderMap::new();
        // Framing headers are the HTTP stack's. Unsigned requests keep their own signer headers
        // (a check may send a forged Authorization on purpose).
        let own: Vec<(String, String)> = if signature.is_empty() {
            req.headers
                .iter()
                .filter(|(k, _)| !sigv4::TRANSPORT_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(k)))
                .cloned()
                .collect()
        } else {
            sigv4::sendable_headers(req)
        };
        for (name, value) in own.iter().chain(signature.iter()) {
            let n = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| TransportError::InvalidRequest(format!("invalid header name {name:?}")))?;
            let v = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| TransportError::InvalidRequest(format!("invalid value for header {name}")))?;
            headers.append(n, v);
        }
        self.inner.rate.acquire().await;
        let result = self
            .inner
            .http
            .request(method, self.inner.endpoint.clone())
            .headers(headers)
            .body(req.body.clone())
            .send()
            .await;
        let resp = result.map_err(|e| self.transport_error(&e))?;
        let resp = self.read(resp).await?;
        if retry::classify(&resp, req.operation()) == Some(retry::RetryReason::Throttling) {
            self.inner.rate.throttled();
        }
        Ok(resp)
    }

    /// Record status and headers, and read the body up to the cap, chunk by chunk.
    async fn read(&self, mut resp: reqwest::Response) -> Result<HttpResponse, TransportError> {
        let status = resp.status().as_u16();
        let headers = crate::wire::header_pairs(resp.headers());
        let cap = self.inner.max_body_bytes;
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport_error(&e))? {
            let room = cap.saturating_sub(body.len());
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                // Dropping the response closes the connection: the rest is never read.
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
            truncated,
        })
    }

    fn transport_error(&self, e: &reqwest::Error) -> TransportError {
        TransportError::from_reqwest(e, self.endpoint(), self.inner.connect_timeout, self.inner.timeout)
    }
}
