//! What stops a run before its cases are done because the setup, not the implementation, is
//! wrong: an auth failure (wrong credentials, region, clock, permissions) or a tunnel quota held
//! by others. The first such failure is kept; the run stops and exits 2 with its message.
//! Also the retry policy every exchange follows.

use std::sync::Mutex;

use tokio::sync::watch;

use crate::client::RetryPolicy;

pub struct Guard {
    pub retry: RetryPolicy,
    failure: Mutex<Option<String>>,
    stop: watch::Sender<bool>,
}

impl Guard {
    pub fn new(retry: RetryPolicy) -> Guard {
        Guard {
            retry,
            failure: Mutex::new(None),
            stop: watch::channel(false).0,
        }
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
