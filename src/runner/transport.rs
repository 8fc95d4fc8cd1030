//! What the runner needs from a protocol client: send one request, get the response. The runner
//! takes any implementation (the signing client, a plain HTTP client in tests).

use std::future::Future;

use crate::wire::{HttpRequest, HttpResponse};

pub trait Transport: Send + Sync + 'static {
    /// Send `req` to the endpoint (adding Host, Content-Length and any signing headers). `Err` is
    /// a transport failure (connection refused, timeout, oversized response), already a message
    /// free of secrets.
    fn send(&self, req: &HttpRequest) -> impl Future<Output = Result<HttpResponse, String>> + Send;

    /// One attempt, telling a failure that repeating may cure (the network) from one it cannot (a
    /// request that cannot even be built). By default every failure may be retried.
    fn attempt(&self, req: &HttpRequest) -> impl Future<Output = Result<HttpResponse, SendFailure>> + Send {
        async move {
            self.send(req).await.map_err(|message| SendFailure {
                message,
                retryable: true,
            })
        }
    }
}

/// A send that produced no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// Free of secrets.
    pub message: String,
    pub retryable: bool,
}

/// The protocol client is the transport for every real run: it signs and sends.
impl Transport for crate::client::Client {
    async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, String> {
        crate::client::Client::send(self, req).await.map_err(|e| e.to_string())
    }

    async fn attempt(&self, req: &HttpRequest) -> Result<HttpResponse, SendFailure> {
        crate::client::Client::send(self, req).await.map_err(|e| SendFailure {
            retryable: e.is_retryable(),
            message: e.to_string(),
        })
    }
}
