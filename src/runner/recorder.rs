//! Sends requests for one case (or the live scenario) and records every exchange in order. Tokens
//! in a response are registered with the run's redactor the moment the response arrives, before
//! anything else can see it.
//!
//! Every request goes through the standard retry mode of the AWS SDKs (`client::retry`): one
//! exchange is recorded per request, with what the endpoint finally answered, the number of
//! attempts and what the earlier attempts got, so a check judges what a real client would see. An
//! auth failure in any answer stops the run as a setup error (see [`super::guard`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::guard::Guard;
use super::result::Exchange;
use super::transport::Transport;
use crate::client::{retry, TransportError};
use crate::redact::Redactor;
use crate::wire::{HttpRequest, HttpResponse};

/// Roles of an exchange (see [`Exchange::role`]).
pub const SETUP: &str = "setup";
pub const REQUEST: &str = "request";
pub const VERIFY: &str = "verify";
pub const CLEANUP: &str = "cleanup";

pub struct Recorder<'a, T> {
    transport: &'a T,
    redactor: &'a Redactor,
    /// Set once any response arrives: the endpoint is reachable.
    reached: &'a AtomicBool,
    guard: &'a Guard,
    pub exchanges: Vec<Exchange>,
    /// What the exchanges are for (a case id, a scenario): named when the run stalls.
    pub label: String,
}

impl<'a, T: Transport> Recorder<'a, T> {
    pub fn new(transport: &'a T, redactor: &'a Redactor, reached: &'a AtomicBool, guard: &'a Guard) -> Self {
        Recorder {
            transport,
            redactor,
            reached,
            guard,
            exchanges: Vec::new(),
            label: String::new(),
        }
    }

    /// The same recorder, labelled (see [`Recorder::label`]).
    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Send `request` with the standard retries; one exchange is recorded, the last answer returned.
    pub async fn send(&mut self, role: &str, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let policy = self.guard.retry;
        let operation = request.operation().map(str::to_owned);
        let start = Instant::now();
        let dog = &self.guard.watchdog;
        let _waiting = dog.waiting(format!(
            "the answer to {} ({role}{}{})",
            operation.as_deref().unwrap_or("a request"),
            if self.label.is_empty() { "" } else { ", " },
            self.label
        ));
        let (transport, redactor, reached, guard) = (self.transport, self.redactor, self.reached, self.guard);
        let retry::Retried {
            result,
            attempts,
            retried,
        } = retry::standard(
            &policy,
            operation.as_deref(),
            || {
                guard.count_request();
                let sent = transport.send(&request);
                async move {
                    let result = sent.await;
                    if let Ok(resp) = &result {
                        dog.progress();
                        reached.store(true, Ordering::Relaxed);
                        // Tokens are known to the redactor before anything else sees them.
                        if let Some(body) = resp.body_json() {
                            redactor.add_tokens_from(&body);
                        }
                    }
                    result
                }
            },
            |reason, delay| {
                tracing::debug!(role, operation = operation.as_deref().unwrap_or("-"), %reason, "retrying");
                dog.scheduled(delay);
            },
        )
        .await;
        let elapsed_ms = super::result::ms(start.elapsed());
        if let Some(auth) = result.as_ref().ok().and_then(retry::auth_failure) {
            self.guard.fail_setup(format!(
                "the endpoint refused the request's authentication ({} {}): {auth}",
                role,
                operation.as_deref().unwrap_or("request")
            ));
        }
        tracing::debug!(
            role,
            operation = operation.as_deref().unwrap_or("-"),
            status = result.as_ref().ok().map(|r| r.status),
            attempts,
            elapsed_ms,
            "exchange"
        );
        self.exchanges.push(Exchange {
            role: role.to_owned(),
            request,
            response: result.as_ref().ok().cloned(),
            transport_error: result.as_ref().err().map(ToString::to_string),
            attempts,
            retried,
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

    fn guard() -> Guard {
        Guard::new(
            crate::client::RetryPolicy::with_base(std::time::Duration::from_millis(1)),
            std::time::Duration::from_secs(30),
        )
    }

    fn req() -> HttpRequest {
        HttpRequest::json("DescribeTunnel", &serde_json::json!({"tunnelId": "t"}))
    }

    #[tokio::test]
    async fn throttling_is_retried_and_the_attempts_recorded() {
        let t = Scripted(Mutex::new(vec![
            json_response(400, r#"{"__type":"ThrottlingException"}"#),
            json_response(200, r#"{"sourceAccessToken":"AQGtoken-secret"}"#),
        ]));
        let (redactor, reached, guard) = (Redactor::new(), AtomicBool::new(false), guard());
        let mut rec = Recorder::new(&t, &redactor, &reached, &guard);
        let resp = rec.send(VERIFY, req()).await.unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(rec.exchanges.len(), 1, "one exchange: what a client finally sees");
        assert_eq!(rec.exchanges[0].attempts, 2);
        assert_eq!(rec.exchanges[0].retried, ["HTTP 400 ThrottlingException"]);
        assert!(reached.load(Ordering::Relaxed));
        assert_eq!(redactor.scrub("AQGtoken-secret"), crate::redact::REDACTED);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let t = Scripted(Mutex::new(vec![json_response(
            400,
            r#"{"__type":"ValidationException"}"#,
        )]));
        let (redactor, reached, guard) = (Redactor::new(), AtomicBool::new(false), guard());
        let mut rec = Recorder::new(&t, &redactor, &reached, &guard);
        assert_eq!(rec.send(REQUEST, req()).await.unwrap().status, 400);
        assert_eq!(rec.exchanges.len(), 1);
        assert!(rec.send(REQUEST, req()).await.is_err());
        assert_eq!(
            rec.exchanges[1].transport_error.as_deref(),
            Some("invalid HTTP response from test: no more responses")
        );
        assert_eq!(rec.exchanges[1].attempts, 3, "transport errors are retried");
    }

    /// Regression: a transient 503 on a verification call failed no-5xx; a persistent one must.
    #[tokio::test]
    async fn transient_5xx_is_retried_and_a_persistent_one_is_what_the_client_sees() {
        let t = Scripted(Mutex::new(vec![
            json_response(503, "{}"),
            json_response(200, "{}"),
            json_response(500, "{}"),
            json_response(500, "{}"),
            json_response(502, "{}"),
        ]));
        let (redactor, reached, guard) = (Redactor::new(), AtomicBool::new(false), guard());
        let mut rec = Recorder::new(&t, &redactor, &reached, &guard);
        assert_eq!(rec.send(VERIFY, req()).await.unwrap().status, 200);
        assert_eq!(rec.send(VERIFY, req()).await.unwrap().status, 502);
        assert_eq!((rec.exchanges[0].attempts, rec.exchanges[1].attempts), (2, 3));
        let no_5xx = crate::checks::no_5xx::check(&rec.exchanges[..1]);
        assert_eq!(no_5xx.status, crate::runner::Status::Pass);
        let no_5xx = crate::checks::no_5xx::check(&rec.exchanges);
        assert_eq!(no_5xx.status, crate::runner::Status::Fail);
    }

    #[tokio::test]
    async fn an_auth_failure_stops_the_run_as_a_setup_error() {
        let t = Scripted(Mutex::new(vec![json_response(
            403,
            r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#,
        )]));
        let (redactor, reached, guard) = (Redactor::new(), AtomicBool::new(false), guard());
        let mut rec = Recorder::new(&t, &redactor, &reached, &guard);
        assert_eq!(rec.send(SETUP, req()).await.unwrap().status, 403);
        assert_eq!(rec.exchanges[0].attempts, 1, "auth errors are not retried");
        assert!(*guard.stopped().borrow());
        let msg = guard.setup_failure().unwrap();
        assert!(msg.contains("credentials"), "{msg}");
    }
}
