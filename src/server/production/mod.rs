//! Production-like behaviour for `rotcheck serve` (`--production-like`, or each option alone),
//! so that the harness can be tested against what a real service does to a client
//! (PROTOCOL.md, "Talking to a real endpoint"):
//! - `throttle`: a per-account request rate limit answering 400 `ThrottlingException`;
//! - `transient`: 500/503 answers on a seeded fraction of requests, never twice in a row;
//! - `sweep`: expiry applied by a periodic sweep instead of to the millisecond.
//!
//! The quota of open tunnels (`LimitExceededException` on OpenTunnel) is the server's
//! `max_tunnels`, and SigV4 enforcement its verifier: the switch sets both.
//! Each applies before the operation runs, so an answer it makes has changed nothing.

mod sweep;
mod throttle;
mod transient;

use std::time::Duration;

use axum::http::HeaderMap;

pub use sweep::Sweeper;
pub use throttle::Throttle;
pub use transient::Transient;

use super::errors::ApiError;

/// The production-like options; `Default` turns every one off.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductionConfig {
    /// Requests per second per account (the access key id of the signature), with a burst of a
    /// second's worth. None: no limit.
    pub rate_limit: Option<f64>,
    /// Fraction of requests answered with a transient 500/503 (0: none).
    pub transient_fraction: f64,
    /// Seed of the transient answers' choice.
    pub seed: u64,
    /// Expired tunnels are closed by a sweep every this much real time; None: at the exact instant.
    pub sweep_interval: Option<Duration>,
}

/// Realistic values for `--production-like`: a rate limit of the order of an account's API
/// limits, transient errors on 2 % of requests, and an expiry sweep every 100 ms of real time (well
/// inside the live check's grace at time scale 60, where a tunnel-minute lasts one second).
pub fn realistic(seed: u64) -> ProductionConfig {
    ProductionConfig {
        rate_limit: Some(REALISTIC_RATE),
        transient_fraction: REALISTIC_TRANSIENT,
        seed,
        sweep_interval: Some(REALISTIC_SWEEP),
    }
}

pub const REALISTIC_RATE: f64 = 50.0;
pub const REALISTIC_TRANSIENT: f64 = 0.02;
pub const REALISTIC_SWEEP: Duration = Duration::from_millis(100);
/// Open tunnels an account may hold under `--production-like` (unless `--max-tunnels` says).
pub const REALISTIC_TUNNEL_QUOTA: usize = 10;

impl ProductionConfig {
    pub fn validate(&self) -> Result<(), String> {
        if let Some(r) = self.rate_limit {
            if !(r.is_finite() && r > 0.0) {
                return Err(format!("the request rate limit must be above 0, got {r}"));
            }
        }
        if !(self.transient_fraction.is_finite() && (0.0..=0.5).contains(&self.transient_fraction)) {
            return Err(format!(
                "the transient error fraction must be between 0 and 0.5, got {}",
                self.transient_fraction
            ));
        }
        if self.sweep_interval.is_some_and(|d| d.is_zero()) {
            return Err("the expiry sweep interval must be above 0".into());
        }
        Ok(())
    }
}

/// The production-like state of a running server.
#[derive(Debug)]
pub struct Production {
    throttle: Option<Throttle>,
    transient: Option<Transient>,
    pub sweeper: Option<Sweeper>,
}

impl Production {
    pub fn new(config: &ProductionConfig) -> Production {
        Production {
            throttle: config.rate_limit.map(Throttle::new),
            transient: (config.transient_fraction > 0.0)
                .then(|| Transient::new(config.transient_fraction, config.seed)),
            sweeper: config.sweep_interval.map(Sweeper::new),
        }
    }

    /// The answer a production service might give before running the operation, if any:
    /// throttling first (per account), then a transient server error.
    pub fn intercept(&self, headers: &HeaderMap) -> Option<ApiError> {
        if let Some(t) = &self.throttle {
            if let Some(e) = t.check(&account_of(headers)) {
                return Some(e);
            }
        }
        self.transient.as_ref().and_then(Transient::roll)
    }
}

/// The account a request counts against: the access key id of its SigV4 credential scope.
fn account_of(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .unwrap_or("anonymous")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_the_signing_key() {
        let mut h = HeaderMap::new();
        assert_eq!(account_of(&h), "anonymous");
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDA/20260101/us-east-1/IoTSecuredTunneling/aws4_request, SignedHeaders=host, Signature=00"
                .parse()
                .unwrap(),
        );
        assert_eq!(account_of(&h), "AKIDA");
    }

    #[test]
    fn realistic_values_are_valid_and_default_is_off() {
        assert!(realistic(1).validate().is_ok());
        let off = Production::new(&ProductionConfig::default());
        assert!(off.intercept(&HeaderMap::new()).is_none());
        assert!(off.sweeper.is_none());
    }
}
