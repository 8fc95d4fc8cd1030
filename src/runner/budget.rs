//! Tunnels on a budget. AWS bills every tunnel opened and limits how many an account may hold
//! (PROTOCOL.md: "tunnels are billed per tunnel opened; rotation is free"; "the number of open
//! tunnels per account is limited"), so a run bounds both:
//! - at once (`--max-tunnels`): a tunnel counts from the OpenTunnel that created it until the
//!   CloseTunnel with `delete: true` that removes it;
//! - in all (`--max-tunnels-opened`): every OpenTunnel that created a tunnel counts, for good.
//!
//! Why this cannot deadlock: every holder of slots (a track of the run: the shared tunnel, the
//! live tunnel) asks for a slot only while it holds none, and a holder never waits for another
//! holder while it holds one; so some holder can always go on and free its slot. The request
//! fuzzer keeps a second tunnel (a CLOSED one, between batches) only when the budget at once
//! leaves room for both. One gap remains: if the account's quota (LimitExceededException)
//! lowers the budget below what that track holds, it waits on its own kept tunnel, and the
//! watchdog ends the campaign (exit 2, naming the slot it waited for).
//!
//! The counts (tunnels opened, most held at once) go into the run's result.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;

/// How many tunnels a run opened, the most it held at once, and the budgets it ran under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TunnelStats {
    pub opened: usize,
    pub peak: usize,
    /// The budget at once (`--max-tunnels`); None: unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<usize>,
    /// The budget in all (`--max-tunnels-opened`); None: unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_opened: Option<usize>,
    /// The run id: the value of the `rotcheck-run` tag on every tunnel the run opened.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub run_id: String,
}

/// What bounds a run's use of the endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub retry: crate::client::RetryPolicy,
    /// Most tunnels held at once; None: unlimited.
    pub max_tunnels: Option<usize>,
    /// Most tunnels opened in all; None: unlimited.
    pub max_opened: Option<usize>,
    /// Tags every tunnel the run opens (`rotcheck-run` = this), so `rotcheck cleanup` finds them.
    pub run_id: String,
    /// How long nothing may progress (beyond the waits the run schedules itself) before the run
    /// stops with a setup error naming what it waits for.
    pub stall: Duration,
    /// How long one attempt may wait for its answer (the client's `--timeout`; the watchdog
    /// allows one on top of `stall`).
    pub request_timeout: Duration,
}

/// The default of [`Limits::stall`] (`--stall-timeout`).
pub const DEFAULT_STALL: Duration = Duration::from_secs(60);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            retry: crate::client::RetryPolicy::default(),
            max_tunnels: None,
            max_opened: None,
            run_id: new_run_id(),
            stall: DEFAULT_STALL,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The tag key on every tunnel rotcheck opens; the value is the run id.
pub const RUN_TAG_KEY: &str = "rotcheck-run";

/// A run id: the start time and a random suffix (tag values allow letters, digits and `-`).
pub fn new_run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format!("{secs}-{:08x}", rand::random::<u32>())
}

/// Why no slot can be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// `--max-tunnels-opened` is reached: no further tunnel may be opened by this run.
    #[error("the run's tunnel budget is spent: {opened} of {max} tunnels opened (--max-tunnels-opened)")]
    Spent { opened: usize, max: usize },
}

#[derive(Debug)]
pub struct Budget {
    counts: Mutex<Counts>,
    /// Signalled whenever a slot is freed.
    changed: Notify,
}

#[derive(Debug, Default)]
struct Counts {
    /// None: unlimited. Lowered when the endpoint's quota turns out smaller.
    max: Option<usize>,
    max_opened: Option<usize>,
    /// Slots taken: tunnels held plus OpenTunnel calls in flight.
    held: usize,
    /// OpenTunnel calls in flight (they may still create a tunnel).
    opening: usize,
    opened: usize,
    peak: usize,
    /// An OpenTunnel was refused for want of budget in all.
    spent: bool,
}

impl Budget {
    /// `max`: most tunnels at once; `max_opened`: most opened in all (None or 0: unlimited).
    pub fn new(max: Option<usize>, max_opened: Option<usize>) -> Budget {
        Budget {
            counts: Mutex::new(Counts {
                max: max.filter(|m| *m > 0),
                max_opened: max_opened.filter(|m| *m > 0),
                ..Counts::default()
            }),
            changed: Notify::new(),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take a slot for an OpenTunnel about to be sent: `Ok(true)` taken, `Ok(false)` no room at
    /// once (wait and try again), `Err` when the budget in all is spent (waiting cannot help).
    pub fn try_take(&self) -> Result<bool, BudgetError> {
        let mut c = self.counts();
        if let Some(max) = c.max_opened {
            if c.opened + c.opening >= max {
                c.spent = true;
                return Err(BudgetError::Spent { opened: c.opened, max });
            }
        }
        if c.max.is_some_and(|m| c.held >= m) {
            return Ok(false);
        }
        c.held += 1;
        c.opening += 1;
        c.peak = c.peak.max(c.held);
        Ok(true)
    }

    /// Whether a slot is free at once (the budget in all aside).
    pub fn has_room(&self) -> bool {
        let c = self.counts();
        c.max.is_none_or(|m| c.held < m)
    }

    /// The OpenTunnel a slot was taken for answered: `created` when it made a tunnel (the slot
    /// then stays taken until the tunnel is deleted), else the slot is free again.
    pub fn open_done(&self, created: bool) {
        {
            let mut c = self.counts();
            c.opening = c.opening.saturating_sub(1);
            if created {
                c.opened += 1;
            } else {
                c.held = c.held.saturating_sub(1);
            }
        }
        if !created {
            self.changed.notify_waiters();
        }
    }

    /// A tunnel was created outside the budget (a case's own request opened one): count it.
    pub fn force_take(&self) {
        let mut c = self.counts();
        c.held += 1;
        c.opened += 1;
        c.peak = c.peak.max(c.held);
    }

    /// A tunnel was deleted: its slot is free again.
    pub fn give_back(&self) {
        {
            let mut c = self.counts();
            c.held = c.held.saturating_sub(1);
        }
        self.changed.notify_waiters();
    }

    /// Wait until a slot may have been freed, or a short while (a notification can race with
    /// the check before it).
    pub async fn wait(&self) {
        let _ = tokio::time::timeout(Duration::from_millis(200), self.changed.notified()).await;
    }

    /// The endpoint refused a tunnel while the run held `held`: use no more than that from now
    /// on (at least 1, so the run can go on once its own tunnels are freed).
    pub fn lower_to(&self, held: usize) {
        let mut c = self.counts();
        let m = held.max(1);
        if c.max.is_none_or(|cur| cur > m) {
            c.max = Some(m);
        }
    }

    /// Slots taken now.
    pub fn held(&self) -> usize {
        self.counts().held
    }

    /// Whether some tunnel could not be opened because the budget in all was spent.
    pub fn spent(&self) -> bool {
        self.counts().spent
    }

    /// Tunnels opened so far.
    pub fn opened(&self) -> usize {
        self.counts().opened
    }

    pub fn stats(&self) -> TunnelStats {
        let c = self.counts();
        TunnelStats {
            opened: c.opened,
            peak: c.peak,
            max: c.max,
            max_opened: c.max_opened,
            run_id: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_caps_slots_at_once_and_tracks_the_peak() {
        let b = Budget::new(Some(2), None);
        assert_eq!((b.try_take(), b.try_take()), (Ok(true), Ok(true)));
        assert_eq!(b.try_take(), Ok(false), "a third slot exceeds the budget at once");
        b.open_done(true);
        b.open_done(true);
        b.give_back();
        assert_eq!(b.try_take(), Ok(true));
        b.open_done(true);
        let s = b.stats();
        assert_eq!((s.opened, s.peak, s.max), (3, 2, Some(2)));
        let unlimited = Budget::new(None, None);
        assert!((0..100).all(|_| unlimited.try_take() == Ok(true)));
    }

    #[test]
    fn the_budget_in_all_counts_opens_in_flight_and_never_frees() {
        let b = Budget::new(None, Some(2));
        assert_eq!(b.try_take(), Ok(true));
        assert_eq!(b.try_take(), Ok(true));
        assert_eq!(
            b.try_take(),
            Err(BudgetError::Spent { opened: 0, max: 2 }),
            "two OpenTunnel calls in flight may both create a tunnel"
        );
        b.open_done(false);
        assert_eq!(b.try_take(), Ok(true), "a refused OpenTunnel spent nothing");
        b.open_done(true);
        b.open_done(true);
        b.give_back();
        b.give_back();
        assert_eq!(b.try_take(), Err(BudgetError::Spent { opened: 2, max: 2 }));
    }
}
