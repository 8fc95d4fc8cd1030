//! Transient server errors on a seeded fraction of requests: 503 `ServiceUnavailableException`
//! or 500 `InternalFailure`, answered before the operation runs (so nothing changed). Never on
//! two requests in a row, so that a client's retry is not refused again by chance: a transient
//! error is one that a retry cures.

use std::sync::Mutex;

use axum::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::server::errors::ApiError;

#[derive(Debug)]
pub struct Transient {
    fraction: f64,
    state: Mutex<(StdRng, bool)>,
}

impl Transient {
    pub fn new(fraction: f64, seed: u64) -> Transient {
        Transient {
            fraction,
            state: Mutex::new((StdRng::seed_from_u64(seed), false)),
        }
    }

    /// The error for this request, if it is one of the unlucky ones.
    pub fn roll(&self) -> Option<ApiError> {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (rng, last_failed) = &mut *guard;
        let hit = !*last_failed && rng.random::<f64>() < self.fraction;
        *last_failed = hit;
        if !hit {
            return None;
        }
        Some(if rng.random::<bool>() {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                "Service unavailable, try again",
            )
        } else {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "Internal failure, try again",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_the_fraction_fails_never_twice_in_a_row_and_the_seed_decides() {
        let t = Transient::new(0.2, 7);
        let outcomes: Vec<bool> = (0..2000).map(|_| t.roll().is_some()).collect();
        let n = outcomes.iter().filter(|x| **x).count();
        assert!((200..=400).contains(&n), "{n} of 2000");
        assert!(!outcomes.windows(2).any(|w| w[0] && w[1]));
        let again = Transient::new(0.2, 7);
        let replay: Vec<bool> = (0..2000).map(|_| again.roll().is_some()).collect();
        assert_eq!(outcomes, replay);
    }
}
