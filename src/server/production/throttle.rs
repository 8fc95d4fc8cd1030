//! A per-account request rate limit (token bucket, burst of one second's worth) answering
//! 400 `ThrottlingException` as AWS services do.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::StatusCode;

use crate::server::errors::ApiError;

/// Accounts tracked at most (a hostile client cannot grow the map without bound: beyond this,
/// the stalest buckets are forgotten, which only ever lets requests through).
const MAX_ACCOUNTS: usize = 1024;

#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Throttle {
    pub fn new(rate: f64) -> Throttle {
        Throttle {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take a token for `account`; the throttling error when there is none.
    pub fn check(&self, account: &str) -> Option<ApiError> {
        let now = Instant::now();
        let burst = self.rate.max(1.0);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_ACCOUNTS && !buckets.contains_key(account) {
            if let Some(stalest) = buckets.iter().min_by_key(|(_, b)| b.at).map(|(k, _)| k.clone()) {
                buckets.remove(&stalest);
            }
        }
        let b = buckets
            .entry(account.to_owned())
            .or_insert(Bucket { tokens: burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            None
        } else {
            Some(ApiError::new(
                StatusCode::BAD_REQUEST,
                "ThrottlingException",
                "Rate exceeded",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_beyond_the_rate_is_throttled_per_account() {
        let t = Throttle::new(5.0);
        let passed = (0..20).filter(|_| t.check("a").is_none()).count();
        assert_eq!(passed, 5, "a burst of one second's worth");
        assert!(t.check("b").is_none(), "another account has its own bucket");
        let e = t.check("a").unwrap();
        assert_eq!(e.error_type, "ThrottlingException");
    }
}
