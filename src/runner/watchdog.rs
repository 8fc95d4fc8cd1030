//! The watchdog: a run that stops making progress is stopped, with exit 2 and a message naming
//! what it was waiting for, instead of hanging until CI's own timeout kills it (and leaves its
//! billed tunnels behind).
//!
//! Progress is an answer from the endpoint (any HTTP response, a data-plane handshake answered)
//! or the end of a wait the run scheduled itself (the live check's sleep, a retry's backoff). A
//! request that times out is not progress: an endpoint that accepts connections and never answers
//! would otherwise keep a run busy for hours, one timeout after another. The run stalls when
//! nothing progressed for `stall`, plus one request timeout, plus the longest wait the run
//! scheduled since the last progress.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Watchdog {
    inner: Mutex<Inner>,
    /// How long one attempt may legitimately wait for its answer (`--timeout`).
    request_timeout: Duration,
}

#[derive(Debug)]
struct Inner {
    last_progress: Instant,
    /// The longest wait the run scheduled itself since the last progress: that much more
    /// silence is expected. (Not "until its end": retries end and start all the time, and each
    /// would grant a new allowance.)
    longest_wait: Duration,
    /// What each piece of the run is waiting for right now.
    waiting: BTreeMap<u64, String>,
    next: u64,
}

/// While alive, says what a piece of the run waits for; dropped when the wait ends.
pub struct Waiting<'a> {
    dog: &'a Watchdog,
    id: u64,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.dog.lock().waiting.remove(&self.id);
    }
}

impl Watchdog {
    pub fn new(request_timeout: Duration) -> Watchdog {
        let now = Instant::now();
        Watchdog {
            inner: Mutex::new(Inner {
                last_progress: now,
                longest_wait: Duration::ZERO,
                waiting: BTreeMap::new(),
                next: 0,
            }),
            request_timeout,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Something answered, or a step ended.
    pub fn progress(&self) {
        let mut i = self.lock();
        i.last_progress = Instant::now();
        i.longest_wait = Duration::ZERO;
    }

    /// The run is about to wait `d` on purpose: silence is expected for that long.
    pub fn scheduled(&self, d: Duration) {
        let mut i = self.lock();
        i.longest_wait = i.longest_wait.max(d);
    }

    /// Register what a piece of the run waits for, until the returned guard drops.
    pub fn waiting(&self, what: impl Into<String>) -> Waiting<'_> {
        let mut i = self.lock();
        let id = i.next;
        i.next += 1;
        i.waiting.insert(id, what.into());
        Waiting { dog: self, id }
    }

    /// `Some(message)` once nothing progressed for `stall` plus one request timeout plus the
    /// longest wait scheduled since the last progress.
    pub fn stalled(&self, stall: Duration) -> Option<String> {
        let i = self.lock();
        let silent = i.last_progress.elapsed();
        if silent <= stall + self.request_timeout + i.longest_wait {
            return None;
        }
        let mut what: Vec<&str> = i.waiting.values().map(String::as_str).collect();
        what.dedup();
        let what = if what.is_empty() {
            "nothing the run could name (an internal stall)".to_owned()
        } else {
            what.join("; ")
        };
        Some(format!(
            "the run made no progress for {} s (no answer from the endpoint; --stall-timeout {} s plus one --timeout of {} s) and stopped; it was waiting for: {what}",
            silent.as_secs(),
            stall.as_secs_f64(),
            self.request_timeout.as_secs_f64(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_run_is_stalled_and_names_what_it_waits_for() {
        let dog = Watchdog::new(Duration::ZERO);
        let _w = dog.waiting("the answer to DescribeTunnel");
        assert!(dog.stalled(Duration::from_secs(60)).is_none());
        std::thread::sleep(Duration::from_millis(30));
        let msg = dog.stalled(Duration::from_millis(10)).expect("stalled");
        assert!(msg.contains("the answer to DescribeTunnel"), "{msg}");
        dog.progress();
        assert!(dog.stalled(Duration::from_millis(10)).is_none(), "progress resets it");
    }

    #[test]
    fn a_scheduled_wait_is_not_a_stall() {
        let dog = Watchdog::new(Duration::ZERO);
        dog.scheduled(Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(30));
        assert!(dog.stalled(Duration::from_millis(10)).is_none());
    }
}
