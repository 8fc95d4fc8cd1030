//! Sends requests for one case (or the live scenario) and records every exchange in order. Tokens
//! in a response are registered with the run's redactor the moment the response arrives, before
//! anything else can see it.
//!
//! Throttling errors are retried with backoff, as every AWS SDK does: against real AWS a burst of
//! cases must not turn into "valid input refused" findings. Each attempt is recorded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::result::Exchange;
use super::transport::Transport;
use crate::client::TransportError;
use crate::redact::Redactor;
use crate::wire::parse_error;
use crate::wire::{HttpRequest, HttpResponse};

/// Roles of an exchange (see [`Exchange::role`]).
pub const SETUP: &str = "setup";
pub const REQUEST: &str = "request";
pub const VERIFY: &str = "verify";
pub const CLEANUP: &str = "cleanup";

/// Error types AWS SDKs retry as throttling (the SDKs' standard retry classifier list).
pub const THROTTLING_ERRORS: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Retries after a throttling error (so at most 1 + this many attempts).
const MAX_RETRIES: u32 = 3;
const BACKOFF_BASE: Duration = Duration::from_millis(100);

pub fn is_throttled(resp: &HttpResponse) -> bool {
    !resp.is_success() && parse_error(resp).is_some_and(|e| THROTTLING_ERRORS.contains(&e.type_name.as_str()))
}

pub struct Recorder<'a, T> {
    transport: &'a T,
    redactor: &'a Redactor,
    /// Set once any response arrives: the endpoint is reachable.
    reached: &'a AtomicBool,
    pub exchanges: Vec<Exchange>,
}

impl<'a, T: Transport> Recorder<'a, T> {
    pub fn new(transport: &'a T, redactor: &'a Redactor, reached: &'a AtomicBool) -> Self {
        Recorder {
            transport,
            redactor,
            reached,
            exchanges: Vec::new(),
        }
    }

    /// Send `request`, retrying throttling errors; every attempt is recorded, the last one returned.
    pub async fn send(&mut self, role: &str, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut attempt = 0;
        loop {
            let result = self.send_once(role, request.clone()).await;
            match &result {
                Ok(resp) if attempt < MAX_RETRIES && is_throttled(resp) => {
                    tokio::time::sleep(BACKOFF_BASE * 2u32.pow(attempt)).await;
                    attempt += 1;
                }
                _ => return result,
            }
        }
    }

    async fn send_once(&mut self, role: &str, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let start = Instant::now();
        let result = self.transport.send(&request).await;
        let elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Ok(resp) = &result {
            self.reached.store(true, Ordering::Relaxed);
            if let Some(body) = resp.body_json() {
                self.redactor.add_tokens_from(&body);
            }
        }
        tracing::debug!(
            role,
            operation = request.operation().unwrap_or("-"),
            status = result.as_ref().ok().map(|r| r.status),
            elapsed_ms,
            "exchange"
        );
        self.exchanges.push(Exchange {
            role: role.to_owned(),
            request,
            response: result.as_ref().ok().cloned(),
            transport_error: result.as_ref().err().map(ToString::to_string),
            elapsed_ms,
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use std::sync::Mutex;

    /// Answers with the queued responses in order.
    struct Scripted(Mutex<Vec<HttpResponse>>);

    impl Transport for Scripted {
        async fn send(&self, _req: &HttpRequest) -> Result<HttpResponse, TransportError> {
            let mut q = self.0.lock().unwrap();
            if q.is_empty() {
                Err(TransportError::Protocol {
                    endpoint: "test".into(),
                    detail: "no more responses".into(),
                })
            } else {
                Ok(q.remove(0))
            }
        }
    }

    fn req() -> HttpRequest {
        HttpRequest::json("DescribeTunnel", &serde_json::json!({"tunnelId": "t"}))
    }

    #[tokio::test]
    async fn throttling_is_retried_and_every_attempt_recorded() {
        let t = Scripted(Mutex::new(vec![
            json_response(400, r#"{"__type":"ThrottlingException"}"#),
            json_response(200, r#"{"sourceAccessToken":"AQGtoken-secret"}"#),
        ]));
        let (redactor, reached) = (Redactor::new(), AtomicBool::new(false));
        let mut rec = Recorder::new(&t, &redactor, &reached);
        let resp = rec.send(VERIFY, req()).await.unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(rec.exchanges.len(), 2);
        assert!(reached.load(Ordering::Relaxed));
        assert_eq!(redactor.scrub("AQGtoken-secret"), crate::redact::REDACTED);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let t = Scripted(Mutex::new(vec![json_response(
            400,
            r#"{"__type":"ValidationException"}"#,
        )]));
        let (redactor, reached) = (Redactor::new(), AtomicBool::new(false));
        let mut rec = Recorder::new(&t, &redactor, &reached);
        assert_eq!(rec.send(REQUEST, req()).await.unwrap().status, 400);
        assert_eq!(rec.exchanges.len(), 1);
        assert!(rec.send(REQUEST, req()).await.is_err());
        assert_eq!(
            rec.exchanges[1].transport_error.as_deref(),
            Some("invalid HTTP response from test: no more responses")
        );
    }
}
