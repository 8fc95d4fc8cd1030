//! Sends requests for one case (or the live scenario) and records every exchange in order. Tokens
//! in a response are registered with the run's redactor the moment the response arrives, before
//! anything else can see it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::result::Exchange;
use super::transport::Transport;
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

    pub async fn send(&mut self, role: &str, request: HttpRequest) -> Result<HttpResponse, String> {
        let start = Instant::now();
        let result = self.transport.send(&request).await;
        let elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Ok(resp) = &result {
            self.reached.store(true, Ordering::Relaxed);
            if let Some(body) = resp.body_json() {
                self.redactor.add_tokens_from(&body);
            }
        }
        self.exchanges.push(Exchange {
            role: role.to_owned(),
            request,
            response: result.as_ref().ok().cloned(),
            transport_error: result.as_ref().err().cloned(),
            elapsed_ms,
        });
        result
    }
}
