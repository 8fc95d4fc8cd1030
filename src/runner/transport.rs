//! What the runner needs from a protocol client: send one request, get the response. The runner
//! takes any implementation (the signing client, a plain HTTP client in tests).

use std::future::Future;

use crate::client::{TlsSettings, TransportError};
use crate::wire::{HttpRequest, HttpResponse};

pub trait Transport: Send + Sync + 'static {
    /// Send `req` to the endpoint (adding Host, Content-Length and any signing headers). `Err` is
    /// a transport failure (connection refused, timeout, oversized response); its message is free
    /// of secrets.
    fn send(&self, req: &HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send;

    /// The TLS settings the data plane's client shares with this transport (one CA bundle for
    /// both planes). Default: the system's and the bundled roots only.
    fn tls(&self) -> TlsSettings {
        TlsSettings::default()
    }
}

/// The protocol client is the transport for every real run: it signs and sends.
impl Transport for crate::client::Client {
    async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        crate::client::Client::send(self, req).await
    }

    fn tls(&self) -> TlsSettings {
        crate::client::Client::tls(self).clone()
    }
}
