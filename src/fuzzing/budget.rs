//! The most tunnels a fuzz campaign may open (`--max-tunnels-opened`). AWS bills every tunnel
//! opened, while rotations are free (PROTOCOL.md, "Cost"): the budget is counted per OpenTunnel
//! sent (a request that timed out may still have opened one), shared by every concurrent sequence,
//! and a campaign never goes past it.

use std::sync::atomic::{AtomicU64, Ordering};

/// A campaign's tunnel budget: `None` is unlimited.
#[derive(Debug, Default)]
pub struct TunnelBudget {
    limit: Option<u64>,
    opened: AtomicU64,
}

impl TunnelBudget {
    pub fn new(limit: Option<u64>) -> TunnelBudget {
        TunnelBudget {
            limit,
            opened: AtomicU64::new(0),
        }
    }

    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// OpenTunnel calls sent so far.
    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// Takes one tunnel: false (and nothing taken) when the budget has none left.
    pub fn take(&self) -> bool {
        let Some(limit) = self.limit else {
            self.opened.fetch_add(1, Ordering::Relaxed);
            return true;
        };
        self.opened
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < limit).then_some(n + 1))
            .is_ok()
    }

    /// Whether at most `reserve` tunnels are left (with 0: none).
    pub fn spent(&self, reserve: u64) -> bool {
        self.limit.is_some_and(|l| self.opened() + reserve >= l)
    }

    /// Whether a campaign `fraction` (0..=1) of the way through its duration may open `n`
    /// tunnels now, keeping `reserve` for later: half the budget at once (each concurrent sequence
    /// needs a tunnel to start from), the other half spread evenly over the duration, so that the
    /// sequences that need new tunnels are drawn from the whole campaign rather than its first
    /// seconds.
    pub fn may_open_paced(&self, fraction: f64, reserve: u64, n: u64) -> bool {
        let Some(limit) = self.limit else { return true };
        let head = limit.div_ceil(2);
        let spread = ((limit - head) as f64 * fraction.clamp(0.0, 1.0)).ceil() as u64;
        self.opened() + n <= (head + spread).min(limit.saturating_sub(reserve))
    }

    /// Whether `n` more tunnels fit in the budget at all, keeping `reserve`.
    pub fn fits(&self, reserve: u64, n: u64) -> bool {
        self.limit.is_none_or(|l| self.opened() + n + reserve <= l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_stops_at_the_limit_and_unlimited_counts() {
        let b = TunnelBudget::new(Some(2));
        assert!(b.take() && b.take() && !b.take());
        assert_eq!(b.opened(), 2);
        assert!(b.spent(0));
        let u = TunnelBudget::new(None);
        assert!((0..100).all(|_| u.take()));
        assert_eq!(u.opened(), 100);
        assert!(!u.spent(0));
    }

    #[test]
    fn pacing_gives_half_at_once_and_the_rest_over_the_duration() {
        let b = TunnelBudget::new(Some(10));
        let allowed_at = |f: f64| {
            let b = TunnelBudget::new(Some(10));
            while b.may_open_paced(f, 0, 1) {
                assert!(b.take());
            }
            b.opened()
        };
        assert_eq!(allowed_at(0.0), 5);
        assert_eq!(allowed_at(0.5), 8);
        assert_eq!(allowed_at(1.0), 10);
        // A reserve is kept back whatever the time, and a sequence's tunnels are paced together.
        assert!(b.may_open_paced(1.0, 3, 1));
        for _ in 0..6 {
            assert!(b.take());
        }
        assert!(b.may_open_paced(1.0, 3, 1) && !b.may_open_paced(1.0, 3, 2));
        assert!(b.fits(3, 1) && !b.fits(3, 2));
        assert!(b.take());
        assert!(!b.may_open_paced(1.0, 3, 1));
        assert!(b.spent(3) && !b.spent(0));
    }
}
