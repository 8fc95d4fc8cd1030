//! The state every request handler reads: configuration, the active hooks (faults and variants)
//! and the behaviour they configure, the tunnel clock and store.

use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use axum::response::Response;
use serde_json::Value;

use super::behaviour::Behaviour;
use super::clock::{self, Clock};
use super::errors::ApiError;
use super::hooks::Hook;
use super::store::Store;
use super::{ServerConfig, Verifier};
use crate::spec::Op;

/// Everything a request handler reads.
pub(crate) struct AppState {
    pub(crate) config: ServerConfig,
    /// Faults first, then variants, each once and in catalog order.
    hooks: Vec<&'static dyn Hook>,
    behaviour: Behaviour,
    pub(crate) clock: Clock,
    store: Mutex<Store>,
    pub(crate) verifier: Option<Verifier>,
    /// The open data-plane connections.
    pub(crate) connections: super::dataplane::Connections,
    /// Production-like behaviour (`--production-like`): throttling, quota, transient errors and
    /// an expiry sweep.
    pub(crate) production: super::production::Production,
    /// Successful OpenTunnel calls since the server started (what AWS would bill): tests read it
    /// to hold a client to its tunnel budget by the server's own count.
    pub(crate) tunnels_opened: AtomicU64,
}

impl AppState {
    pub(crate) fn new(config: ServerConfig) -> AppState {
        let verifier = config
            .verify_sigv4
            .clone()
            .map(|keys| Verifier::new(keys, config.region.clone()));
        let (mut faults, mut variants) = (config.faults.clone(), config.variants.clone());
        faults.sort_unstable();
        faults.dedup();
        variants.sort_unstable();
        variants.dedup();
        let hooks: Vec<&'static dyn Hook> = faults
            .into_iter()
            .map(|f| f.hook())
            .chain(variants.into_iter().map(|v| v.hook()))
            .collect();
        let mut behaviour = Behaviour::default();
        for h in &hooks {
            h.configure(&mut behaviour);
        }
        let production = super::production::Production::new(&config.production);
        AppState {
            production,
            hooks,
            behaviour,
            clock: Clock::new(config.time_scale),
            store: Mutex::default(),
            verifier,
            connections: Default::default(),
            tunnels_opened: AtomicU64::new(0),
            config,
        }
    }

    /// The active hooks, in the order they act.
    pub(crate) fn hooks(&self) -> impl Iterator<Item = &'static dyn Hook> + '_ {
        self.hooks.iter().copied()
    }

    pub(crate) fn behaviour(&self) -> &Behaviour {
        &self.behaviour
    }

    /// Whether a tunnel is CLOSED the instant its lifetime passes: yes, unless an expiry sweep
    /// (`--production-like`) closes it when the sweep finds it expired.
    pub(crate) fn instant_expiry(&self) -> bool {
        self.production.sweeper.is_none()
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A poisoned lock only means a handler panicked mid-update; the data is still usable.
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = &self.production.sweeper {
            s.sweep(&mut store, self.clock.now());
        }
        store
    }

    pub(crate) fn arn(&self, tunnel_id: &str) -> String {
        format!(
            "arn:aws:iot:{}:{}:tunnel/{tunnel_id}",
            self.config.region, self.config.account
        )
    }

    /// A timestamp in a response of `op`: epoch seconds at the behaviour's precision, unless a
    /// hook writes it.
    pub(crate) fn timestamp(&self, op: Op, t: SystemTime) -> Value {
        if let Some(v) = self.hooks().find_map(|h| h.timestamp(op, t)) {
            return v;
        }
        serde_json::Number::from_f64(self.behaviour.timestamps.cut(clock::epoch_secs(t)))
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }

    /// The creation instant of a new tunnel, as (clock reading, wall time), with the wall time cut
    /// to the precision `createdAt` is reported in and the clock reading moved back by the same
    /// amount. A client computing the expiry from the reported createdAt then gets the instant the
    /// lifecycle uses. (createdAt used to be whole seconds while the lifecycle ran from the precise
    /// instant: up to a second apart, a whole tunnel-minute at time scale 60.)
    pub(crate) fn creation_instant(&self) -> (f64, SystemTime) {
        let (now, wall) = (self.clock.now(), self.clock.wall());
        let precise = clock::epoch_secs(wall);
        let cut = (precise - self.behaviour.timestamps.cut(precise)).max(0.0);
        (now - cut, clock::add_secs(wall, -cut))
    }

    /// An error of `op` (None: before the operation is known), rendered in the behaviour's
    /// error style unless a hook renders it.
    pub(crate) fn render_error(&self, op: Option<Op>, err: &ApiError) -> Response {
        self.hooks()
            .find_map(|h| h.render_error(op, err, &self.behaviour.error_style))
            .unwrap_or_else(|| self.behaviour.error_style.render(err))
    }
}
