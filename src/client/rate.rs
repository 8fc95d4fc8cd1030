//! The client-side request rate limit (`--rate N`): at most N requests per second across the
//! whole run, every retry included, so that a burst of cases does not trip the account's API rate
//! limit (PROTOCOL.md: "every API has a request-rate limit per account and region").
//!
//! It also adapts, as the SDKs' "adaptive" retry mode does in spirit: a throttling answer halves
//! the rate (at most every 250 ms; an unlimited client starts from [`ADAPTIVE_START`]), and a
//! quiet stretch without throttling raises it again by a fifth, up to the configured rate.
//!
//! A spacing limiter (each request gets the next free slot, slots 1/rate apart) is all this needs,
//! a few lines with no burst to tune, so no rate-limiting crate is pulled in for it.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The rate an unlimited client drops to on its first throttling answer (then halves).
pub const ADAPTIVE_START: f64 = 50.0;
/// The adaptive rate never goes below this.
const MIN_RATE: f64 = 1.0;
/// Time between two decreases, and the quiet time before an increase.
const STEP: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The configured ceiling; None: unlimited.
    ceiling: Option<f64>,
    /// The rate in force; None: unlimited.
    current: Option<f64>,
    next: Option<Instant>,
    last_change: Option<Instant>,
}

impl RateLimiter {
    /// `per_second`: None for unlimited (until throttled); else finite and positive.
    pub fn new(per_second: Option<f64>) -> RateLimiter {
        let ceiling = per_second.filter(|r| r.is_finite() && *r > 0.0);
        RateLimiter {
            state: Mutex::new(State {
                ceiling,
                current: ceiling,
                next: None,
                last_change: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for this request's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut s = self.state();
            let now = Instant::now();
            // Recover after a quiet stretch.
            if let (Some(cur), Some(changed)) = (s.current, s.last_change) {
                if now.duration_since(changed) >= STEP * 2 {
                    let raised = cur * 1.2;
                    s.current = match s.ceiling {
                        Some(c) => Some(raised.min(c)),
                        None if raised >= ADAPTIVE_START * 4.0 => None,
                        None => Some(raised),
                    };
                    s.last_change = Some(now);
                }
            }
            let Some(rate) = s.current else { return };
            let slot = s.next.map_or(now, |n| n.max(now));
            s.next = Some(slot + Duration::from_secs_f64(1.0 / rate));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The endpoint answered with a throttling error: slow down.
    pub fn throttled(&self) {
        let mut s = self.state();
        let now = Instant::now();
        if s.last_change.is_some_and(|t| now.duration_since(t) < STEP) && s.current.is_some() {
            return;
        }
        let cur = s.current.unwrap_or(ADAPTIVE_START * 2.0);
        s.current = Some((cur / 2.0).max(MIN_RATE));
        s.last_change = Some(now);
        tracing::info!(rate = s.current, "throttled: lowering the request rate");
    }

    /// The rate in force (requests per second); None: unlimited.
    pub fn current(&self) -> Option<f64> {
        self.state().current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_are_spaced_by_the_rate() {
        let limiter = RateLimiter::new(Some(100.0));
        let start = Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        // 11 requests at 100/s: the first at once, the last 10 intervals of 10 ms later.
        assert!(start.elapsed() >= Duration::from_millis(100), "{:?}", start.elapsed());
    }

    #[test]
    fn throttling_lowers_the_rate_once_per_step() {
        let unlimited = RateLimiter::new(None);
        assert_eq!(unlimited.current(), None);
        unlimited.throttled();
        assert_eq!(unlimited.current(), Some(ADAPTIVE_START));
        unlimited.throttled();
        assert_eq!(
            unlimited.current(),
            Some(ADAPTIVE_START),
            "at most one decrease per step"
        );
        let limited = RateLimiter::new(Some(5.0));
        limited.throttled();
        assert_eq!(limited.current(), Some(2.5));
    }
}
