//! What stops a run before its cases are done because the setup, not the implementation, is
//! wrong: an auth failure (wrong credentials, region, clock, permissions) or a tunnel quota held
//! by others, or a run that stopped making progress (the [`Watchdog`]). The first such failure
//! is kept; the run stops and exits 2 with its message. Also the retry policy every exchange
//! follows, and the count of requests sent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use super::watchdog::Watchdog;
use crate::client::RetryPolicy;

pub struct Guard {
    pub retry: RetryPolicy,
    pub watchdog: Watchdog,
    failure: Mutex<Option<String>>,
    stop: watch::Sender<bool>,
    /// HTTP requests sent (every attempt counts: each is a call the account pays for in rate).
    sent: AtomicU64,
}

impl Guard {
    /// `request_timeout`: how long one attempt may wait for its answer (the watchdog allows it).
    pub fn new(retry: RetryPolicy, request_timeout: Duration) -> Guard {
        Guard {
            retry,
            watchdog: Watchdog::new(request_timeout),
            failure: Mutex::new(None),
            stop: watch::channel(false).0,
            sent: AtomicU64::new(0),
        }
    }

    /// One request (attempt) is about to be sent.
    pub fn count_request(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Record a setup failure (the first one wins) and stop the run.
    pub fn fail_setup(&self, message: String) {
        let mut f = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        if f.is_none() {
            // The summary prints it once the run has stopped (a warning here repeated it).
            tracing::debug!("setup failure: {message}");
            *f = Some(message);
        }
        self.stop.send_replace(true);
    }

    pub fn setup_failure(&self) -> Option<String> {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Becomes true when a setup failure stops the run.
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }
}
