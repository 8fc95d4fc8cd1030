//! Tunnels on a budget. An account may only have so many tunnels (PROTOCOL.md: "the number of open
//! tunnels per account is limited"), so the run holds at most `max` at once: a tunnel counts from
//! the OpenTunnel that created it until the CloseTunnel with `delete: true` that removes it. When
//! the budget is spent, an idle pooled tunnel is deleted to make room, or the opener waits until
//! a case gives one back.
//!
//! The counts (tunnels opened, most held at once) go into the run's result.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;

/// How many tunnels a run opened, and the most it held at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TunnelStats {
    pub opened: usize,
    pub peak: usize,
    /// The budget (`--max-tunnels`); None: unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<usize>,
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
    /// Tags every tunnel the run opens (`rotcheck-run` = this), so `rotcheck cleanup` finds them.
    pub run_id: String,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            retry: crate::client::RetryPolicy::default(),
            max_tunnels: None,
            run_id: new_run_id(),
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

#[derive(Debug)]
pub struct Budget {
    counts: Mutex<Counts>,
    /// Signalled whenever a slot is freed or a tunnel becomes idle (evictable).
    changed: Notify,
}

#[derive(Debug, Default)]
struct Counts {
    /// None: unlimited. Lowered when the endpoint's quota turns out smaller.
    max: Option<usize>,
    /// Slots taken: tunnels held plus OpenTunnel calls in flight.
    held: usize,
    opened: usize,
    peak: usize,
}

impl Budget {
    /// `max`: most tunnels at once (None or 0: unlimited).
    pub fn new(max: Option<usize>) -> Budget {
        Budget {
            counts: Mutex::new(Counts {
                max: max.filter(|m| *m > 0),
                ..Counts::default()
            }),
            changed: Notify::new(),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take a slot for an OpenTunnel about to be sent, if the budget has one.
    pub fn try_take(&self) -> bool {
        let mut c = self.counts();
        if c.max.is_some_and(|m| c.held >= m) {
            return false;
        }
        c.held += 1;
        c.peak = c.peak.max(c.held);
        true
    }

    /// A tunnel was created outside the budget (a case's own request opened one): count it.
    pub fn force_take(&self) {
        let mut c = self.counts();
        c.held += 1;
        c.opened += 1;
        c.peak = c.peak.max(c.held);
    }

    /// The OpenTunnel a slot was taken for created a tunnel.
    pub fn opened(&self) {
        self.counts().opened += 1;
    }

    /// A slot is free again (the tunnel was deleted, or the OpenTunnel created none).
    pub fn give_back(&self) {
        {
            let mut c = self.counts();
            c.held = c.held.saturating_sub(1);
        }
        self.changed.notify_waiters();
    }

    /// Wake openers waiting for room (a tunnel went back to a pool and may be evicted).
    pub fn poke(&self) {
        self.changed.notify_waiters();
    }

    /// Wait until something changes, or a short while (a notification can race with the check).
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

    pub fn stats(&self) -> TunnelStats {
        let c = self.counts();
        TunnelStats {
            opened: c.opened,
            peak: c.peak,
            max: c.max,
            run_id: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_caps_slots_and_tracks_the_peak() {
        let b = Budget::new(Some(2));
        assert!(b.try_take() && b.try_take());
        assert!(!b.try_take(), "a third slot exceeds the budget");
        b.opened();
        b.opened();
        b.give_back();
        assert!(b.try_take());
        b.opened();
        assert_eq!(
            b.stats(),
            TunnelStats {
                opened: 3,
                peak: 2,
                max: Some(2),
                run_id: String::new(),
            }
        );
        let unlimited = Budget::new(None);
        assert!((0..100).all(|_| unlimited.try_take()));
    }
}

pub use harness::RetireOnDrop;

mod harness {
    //! The budget applied to the run's tunnels: making room, the endpoint's own quota, and
    //! deleting a lane's tunnels once its cases are done.

    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::super::error::SetupError;
    use super::super::recorder::Recorder;
    use super::super::state::{lock, Harness, InFlight};
    use super::super::transport::Transport;

    /// How long an OpenTunnel waits for the run's own tunnels to be freed before it gives up.
    const MAX_WAIT: Duration = Duration::from_secs(120);

    /// Retires a scenario's tunnel when the scenario ends, however it ends (aborted included).
    pub struct RetireOnDrop<T: Transport>(pub Arc<Harness<T>>, pub String);

    impl<T: Transport> Drop for RetireOnDrop<T> {
        fn drop(&mut self) {
            self.0.retire(&self.1);
        }
    }

    impl<T: Transport> Harness<T> {
        /// Take a budget slot for an OpenTunnel: at once if there is room, else by deleting a
        /// retired or idle tunnel, else by waiting for a case to give one back.
        pub(in crate::runner) async fn take_slot(&self, rec: &mut Recorder<'_, T>) -> Result<(), SetupError> {
            let started = Instant::now();
            loop {
                if let Some(why) = self.guard.setup_failure() {
                    return Err(SetupError::NotRun(why));
                }
                if self.budget.try_take() {
                    return Ok(());
                }
                if !self.evict_one(rec).await {
                    if started.elapsed() > MAX_WAIT {
                        return Err(SetupError::Budget(format!(
                            "no tunnel of the run's budget ({} at once) was freed within {} s",
                            self.budget.stats().max.unwrap_or_default(),
                            MAX_WAIT.as_secs()
                        )));
                    }
                    self.budget.wait().await;
                }
            }
        }

        /// Delete one tunnel no case is using (retired first, then idle); false if there is none.
        async fn evict_one(&self, rec: &mut Recorder<'_, T>) -> bool {
            let victim = {
                let mut pool = lock(&self.pool);
                match pool.retired.pop() {
                    Some(id) => Some(id),
                    None => {
                        // The oldest idle tunnel: most likely of a kind the cases have moved past
                        // (they run grouped by the tunnel they need).
                        let oldest = pool
                            .idle
                            .iter()
                            .flat_map(|(k, v)| v.iter().enumerate().map(move |(i, t)| (t.opened_at, k, i)))
                            .min()
                            .map(|(_, k, i)| (k.clone(), i));
                        oldest.and_then(|(k, i)| pool.idle.get_mut(&k).map(|v| v.remove(i).id))
                    }
                }
            };
            let Some(id) = victim else { return false };
            if let Err(e) = self.delete(rec, &id).await {
                // Cleanup tries again at the end; meanwhile it still counts against the budget.
                self.harness_error(format!("CloseTunnel (delete) of tunnel {id} failed: {e}"));
            }
            true
        }

        /// OpenTunnel answered LimitExceededException: the account's tunnel quota is reached.
        /// Retrying does not clear it, closing tunnels does (PROTOCOL.md). If the run holds
        /// tunnels, it uses fewer from now on and waits for one to be freed; if it holds none,
        /// the quota is used by others: a setup failure.
        pub(in crate::runner) async fn on_tunnel_quota(
            &self,
            rec: &mut Recorder<'_, T>,
            hits: u32,
        ) -> Result<(), SetupError> {
            let held = self.budget.held();
            if held == 0 || hits > 10 {
                let msg = format!(
                    "OpenTunnel refused with LimitExceededException: the account's quota of open tunnels \
                     is reached{}. Tunnels held by others (earlier interrupted runs: `rotcheck cleanup \
                     --endpoint URL`) count against it; close them, or ask for a higher quota, then run again",
                    if held == 0 {
                        " while this run held no tunnel".to_owned()
                    } else {
                        format!(" again and again while this run held only {held}")
                    }
                );
                self.guard.fail_setup(msg.clone());
                return Err(SetupError::Budget(msg));
            }
            tracing::info!(held, "tunnel quota reached: lowering the run's tunnel budget");
            self.budget.lower_to(held);
            if !self.evict_one(rec).await {
                self.budget.wait().await;
            }
            Ok(())
        }

        /// No case will use this tunnel again: delete it when room is needed (or at cleanup).
        pub fn retire(&self, tunnel_id: &str) {
            lock(&self.pool).retired.push(tunnel_id.to_owned());
            self.budget.poke();
        }

        /// The cases of `lane` are done: delete its pooled tunnels now rather than at the end.
        pub fn retire_lane(self: &Arc<Self>, lane: usize) {
            let prefix = format!("{lane}/");
            let ids: Vec<String> = {
                let mut pool = lock(&self.pool);
                let keys: Vec<String> = pool.idle.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
                keys.iter()
                    .filter_map(|k| pool.idle.remove(k))
                    .flatten()
                    .map(|t| t.id)
                    .collect()
            };
            if ids.is_empty() {
                return;
            }
            // Counted as in flight, so that cleanup waits for these deletions.
            let guard = InFlight::new(Arc::clone(self));
            tokio::spawn(async move {
                let h = &guard.0;
                let mut rec = h.recorder();
                for id in ids {
                    if h.delete(&mut rec, &id).await.is_err() {
                        // Left in the run's list: cleanup tries again.
                        tracing::debug!("early delete of a tunnel failed; cleanup retries it");
                    }
                }
            });
        }
    }
}
