//! `--bandwidth`: a cap on the bytes one tunnel side sends per second (AWS's "Maximum bandwidth
//! per tunnel" quota, PROTOCOL.md "Data plane"). A side may send one second's worth at once, then
//! at the rate; its frames wait before they are relayed, so its socket stops being read and TCP
//! slows the sender down (nothing is dropped).

use std::time::{Duration, Instant};

/// How much unused allowance a side may save up: one second's worth.
const BURST: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Pacer {
    bytes_per_sec: u64,
    /// When the bytes admitted so far are paid for at the rate.
    paid_until: Instant,
}

impl Pacer {
    /// A pacer at `bytes_per_sec` (at least 1).
    pub fn new(bytes_per_sec: u64, now: Instant) -> Pacer {
        Pacer {
            bytes_per_sec: bytes_per_sec.max(1),
            paid_until: now.checked_sub(BURST).unwrap_or(now),
        }
    }

    /// How long `n` bytes must wait at `now` before they go.
    pub fn delay(&mut self, now: Instant, n: usize) -> Duration {
        let floor = now.checked_sub(BURST).unwrap_or(now);
        let start = self.paid_until.max(floor);
        let cost = Duration::from_secs_f64(n as f64 / self.bytes_per_sec as f64);
        self.paid_until = start + cost;
        self.paid_until.saturating_duration_since(now)
    }

    /// Wait until `n` more bytes may go.
    pub async fn admit(&mut self, n: usize) {
        let wait = self.delay(Instant::now(), n);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_of_burst_then_the_rate() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut p = Pacer::new(1000, t0);
        assert_eq!(p.delay(t0, 1000), Duration::ZERO, "one second's worth at once");
        assert_eq!(p.delay(t0, 500), Duration::from_millis(500));
        assert_eq!(p.delay(t0, 500), Duration::from_secs(1));
        // Idle time earns allowance back, at most one second's worth.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(p.delay(later, 1000), Duration::ZERO);
        assert_eq!(p.delay(later, 1000), Duration::from_secs(1));
    }
}
