//! Expiry by a periodic sweep: a real service closes expired tunnels in a background job, so a
//! tunnel may be seen OPEN a little after createdAt + lifetime. Sweeps happen at every multiple
//! of the interval on the tunnel clock; they are applied when a request arrives (nothing else can
//! observe the store), which is the same as running them in the background.

use std::time::Duration;

use crate::server::store::Store;

#[derive(Debug)]
pub struct Sweeper {
    interval: f64,
}

impl Sweeper {
    pub fn new(interval: Duration) -> Sweeper {
        Sweeper {
            interval: interval.as_secs_f64().max(1e-3),
        }
    }

    /// Close, as of the sweep that caught them, the tunnels expired by the last sweep before `now`
    /// (clock seconds).
    pub fn sweep(&self, store: &mut Store, now: f64) {
        let last = (now / self.interval).floor() * self.interval;
        for t in store.iter_mut() {
            if t.closed_at.is_none() && t.expires_at <= last {
                t.closed_at = Some((t.expires_at / self.interval).ceil() * self.interval);
            }
        }
    }
}
