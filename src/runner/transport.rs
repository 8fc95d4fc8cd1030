//! What the runner needs from a protocol client: send one request, get the response. The runner
//! takes any implementation (the signing client, a plain HTTP client in tests).

use std::future::Future;

use crate::client::TransportError;
use crate::wire::{HttpRequest, HttpResponse};

pub trait Transport: Send + Sync + 'static {
    /// Send `req` to the endpoint (adding Host, Content-Length and any signing headers). `Err` is
    /// a transport failure (connection refused, timeout, oversized response); its message is free
    /// of secrets.
    fn send(&self, req: &HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send;
}

/// The protocol client is the transport for every real run: it signs and sends.
impl Transport for crate::client::Client {
    async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        crate::client::Client::send(self, req).await
    }
}
