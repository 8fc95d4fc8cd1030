//! Tunnel state for cases: opening, closing, describing, a pool of reusable tunnels, and cleanup.
//!
//! Real AWS limits how many tunnels an account may have open, so OPEN tunnels are pooled: a case
//! borrows one (one case at a time per tunnel) and returns it if it is still in the state the pool
//! promises. Closed tunnels are pooled the same way. Every tunnel the run opened is recorded the
//! moment OpenTunnel answers, so that cleanup can close it with `delete: true` whatever happens.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::watch;

use super::budget::{Budget, Limits, RUN_TAG_KEY};
use super::error::SetupError;
use super::guard::Guard;
use super::history::TokenHistory;
use super::recorder::{Recorder, CLEANUP, SETUP};
use super::transport::Transport;
use crate::cases::TunnelState;
use crate::checks::{summary, tunnel_status};
use crate::client::TransportError;
use crate::redact::Redactor;
use crate::secret::SecretString;
use crate::spec::facts::{DESTINATION_TOKEN, SOURCE_TOKEN};
use crate::wire::parse_error;
use crate::wire::HttpRequest;

/// Description given to every tunnel the run opens (visible in the AWS console).
const DESCRIPTION: &str = "rotcheck conformance run";
/// Lifetime of pooled OPEN tunnels. Deliberately not the model's default (720): a rotation that
/// resets timeoutConfig to the default must show up as a change (duration-static).
pub const POOL_LIFETIME_MINUTES: u32 = 600;

/// A tunnel the run opened.
#[derive(Debug, Clone)]
pub struct Tunnel {
    pub id: String,
    /// From OpenTunnel, else from DescribeTunnel.
    pub arn: Option<String>,
    pub tokens: TokenHistory,
    /// The tokens OpenTunnel returned, by member (the data-plane scenarios connect with them).
    pub source_token: Option<SecretString>,
    pub destination_token: Option<SecretString>,
    /// When OpenTunnel answered (local clock).
    pub opened_at: Instant,
}

/// What the run shares between concurrently running cases.
pub struct Harness<T> {
    pub transport: Arc<T>,
    pub redactor: Redactor,
    /// Set once any response has arrived.
    pub reached: AtomicBool,
    /// Set when setup failed at the transport level before the endpoint ever answered.
    pub unreachable: Mutex<Option<SetupError>>,
    /// Retries, and the setup failure that stops the run.
    pub guard: Guard,
    /// Most tunnels held at once.
    pub(super) budget: Budget,
    /// The value of the run tag on every tunnel it opens.
    pub(super) run_id: String,
    pub(super) pool: Mutex<Pool>,
    harness_errors: Mutex<Vec<String>>,
    /// Pooled OPEN tunnels are retired at half their lifetime, so that none expires during a case
    /// (an expiry between the before and after reads would look like a closed tunnel).
    max_pool_age: Duration,
    /// OpenTunnel calls and early deletions in flight (cleanup waits for them).
    opening: watch::Sender<usize>,
}

/// Counts an OpenTunnel call (or an early deletion) in flight for as long as it lives.
pub(super) struct InFlight<T: Transport>(pub(super) Arc<Harness<T>>);

impl<T: Transport> InFlight<T> {
    pub(super) fn new(h: Arc<Harness<T>>) -> Self {
        h.opening.send_modify(|n| *n += 1);
        InFlight(h)
    }
}

impl<T: Transport> Drop for InFlight<T> {
    fn drop(&mut self) {
        self.0.opening.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[derive(Default)]
pub(super) struct Pool {
    /// Pooled tunnels by `lane/key`.
    pub(super) idle: BTreeMap<String, Vec<Tunnel>>,
    /// Every tunnel opened and not yet deleted.
    pub(super) opened: Vec<String>,
    /// Tunnels no case will use again: deleted first when the budget needs room.
    pub(super) retired: Vec<String>,
}

pub(super) fn lock<X>(m: &Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The pool a tunnel state draws from; `None` for states without a tunnel.
pub fn pool_key(state: &TunnelState) -> Option<String> {
    match state {
        TunnelState::Open { destination_config } => Some(format!(
            "open:{}",
            destination_config.as_ref().map(Value::to_string).unwrap_or_default()
        )),
        TunnelState::Closed => Some("closed".into()),
        TunnelState::Unknown { .. } | TunnelState::None => None,
    }
}

/// The status a pooled tunnel of this state must have.
fn wanted_status(state: &TunnelState) -> &'static str {
    match state {
        TunnelState::Closed => "CLOSED",
        _ => "OPEN",
    }
}

pub fn open_request(destination_config: Option<&Value>, lifetime_minutes: Option<u32>, run_id: &str) -> HttpRequest {
    let mut body = json!({
        "description": DESCRIPTION,
        "tags": [{ "key": RUN_TAG_KEY, "value": run_id }],
    });
    if let Some(dc) = destination_config {
        body["destinationConfig"] = dc.clone();
    }
    if let Some(m) = lifetime_minutes {
        body["timeoutConfig"] = json!({ "maxLifetimeTimeoutMinutes": m });
    }
    HttpRequest::json("OpenTunnel", &body)
}

pub fn describe_request(tunnel_id: &str) -> HttpRequest {
    HttpRequest::json("DescribeTunnel", &json!({ "tunnelId": tunnel_id }))
}

pub fn close_request(tunnel_id: &str, delete: bool) -> HttpRequest {
    HttpRequest::json("CloseTunnel", &json!({ "tunnelId": tunnel_id, "delete": delete }))
}

/// A tunnel prepared for a case.
pub struct PreparedTunnel {
    pub tunnel: Tunnel,
    /// DescribeTunnel's `tunnel` object before the case (None: could not be read).
    pub before: Option<Value>,
}

impl<T: Transport> Harness<T> {
    /// `time_scale`: how many times faster than real time the endpoint's clock runs (> 0).
    pub fn new(transport: Arc<T>, redactor: Redactor, time_scale: f64, limits: Limits) -> Self {
        let lifetime_secs = f64::from(POOL_LIFETIME_MINUTES) * 60.0 / time_scale;
        Harness {
            guard: Guard::new(limits.retry),
            budget: Budget::new(limits.max_tunnels),
            run_id: limits.run_id,
            max_pool_age: Duration::try_from_secs_f64(lifetime_secs / 2.0).unwrap_or(Duration::MAX),
            transport,
            redactor,
            reached: AtomicBool::new(false),
            unreachable: Mutex::new(None),
            pool: Mutex::new(Pool::default()),
            harness_errors: Mutex::new(Vec::new()),
            opening: watch::channel(0).0,
        }
    }

    pub fn recorder(&self) -> Recorder<'_, T> {
        Recorder::new(&self.transport, &self.redactor, &self.reached, &self.guard)
    }

    /// Record a problem of the harness or endpoint (deduplicated: an unreachable endpoint would
    /// otherwise repeat the same line for every case).
    pub fn harness_error(&self, msg: String) {
        let mut errors = lock(&self.harness_errors);
        if !errors.contains(&msg) {
            errors.push(msg);
        }
    }

    pub fn take_harness_errors(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.harness_errors))
    }

    /// Why the endpoint is unreachable, once a transport failure has shown it.
    pub fn unreachable_reason(&self) -> Option<String> {
        lock(&self.unreachable)
            .as_ref()
            .map(|e| format!("endpoint unreachable: {e}"))
    }

    /// Remember a tunnel a case's own request opened: it counts against the budget and is
    /// deleted as soon as room is needed (or at cleanup).
    pub fn register_opened(&self, tunnel_id: &str) {
        if self.record_opened(tunnel_id) {
            self.budget.force_take();
            lock(&self.pool).retired.push(tunnel_id.to_owned());
        }
    }

    /// Remember a tunnel for cleanup; false when it was known already.
    fn record_opened(&self, tunnel_id: &str) -> bool {
        let mut pool = lock(&self.pool);
        if pool.opened.iter().any(|t| t == tunnel_id) {
            return false;
        }
        pool.opened.push(tunnel_id.to_owned());
        true
    }

    /// A transport failure of `operation`. A connection that could not be made, or any failure
    /// before the endpoint ever answered, means the endpoint is unreachable (a setup problem).
    pub fn transport_failed(&self, operation: impl Into<String>, err: TransportError) -> SetupError {
        let unreachable = err.is_unreachable() || !self.reached.load(Ordering::Relaxed);
        let e = SetupError::NoAnswer {
            operation: operation.into(),
            source: Arc::new(err),
        };
        if unreachable {
            lock(&self.unreachable).get_or_insert_with(|| e.clone());
        }
        e
    }

    /// OpenTunnel. The call runs in a task of its own, so that cancelling the case (Ctrl-C) cannot
    /// lose a tunnel the endpoint created: the id is registered for cleanup when the answer
    /// arrives, and cleanup waits for calls still in flight.
    pub async fn open(
        self: &Arc<Self>,
        rec: &mut Recorder<'_, T>,
        destination_config: Option<&Value>,
        lifetime_minutes: Option<u32>,
    ) -> Result<Tunnel, SetupError> {
        let mut quota_hits = 0;
        let resp = loop {
            self.take_slot(rec).await?;
            let request = open_request(destination_config, lifetime_minutes, &self.run_id);
            let guard = InFlight::new(Arc::clone(self));
            let task = tokio::spawn(async move {
                let h = &guard.0;
                let mut own = h.recorder();
                let result = own.send(SETUP, request).await;
                let body = result
                    .as_ref()
                    .ok()
                    .filter(|r| r.is_success())
                    .and_then(|r| r.body_json());
                match body.as_ref().and_then(|b| b.get("tunnelId")).and_then(Value::as_str) {
                    Some(id) if h.record_opened(id) => h.budget.opened(),
                    _ => h.budget.give_back(),
                }
                (result, own.exchanges)
            });
            let (result, exchanges) = task.await.map_err(|e| SetupError::Internal {
                operation: "OpenTunnel",
                detail: e.to_string(),
            })?;
            rec.exchanges.extend(exchanges);
            let resp = result.map_err(|e| self.transport_failed("OpenTunnel", e))?;
            if crate::client::retry::is_tunnel_quota(&resp, Some("OpenTunnel")) {
                quota_hits += 1;
                self.on_tunnel_quota(rec, quota_hits).await?;
                continue;
            }
            break resp;
        };
        if !resp.is_success() {
            return Err(SetupError::Refused {
                operation: "OpenTunnel",
                answer: summary(&resp),
            });
        }
        let body = resp.body_json().unwrap_or(Value::Null);
        let Some(id) = body.get("tunnelId").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
            return Err(SetupError::NoTunnelId);
        };
        let mut tokens = TokenHistory::default();
        tokens.record(&body);
        let token = |member: &str| body.get(member).and_then(Value::as_str).map(SecretString::new);
        Ok(Tunnel {
            source_token: token(SOURCE_TOKEN),
            destination_token: token(DESTINATION_TOKEN),
            id: id.to_owned(),
            arn: body.get("tunnelArn").and_then(Value::as_str).map(str::to_owned),
            tokens,
            opened_at: Instant::now(),
        })
    }

    /// DescribeTunnel's `tunnel` object, or None when it cannot be read.
    pub async fn describe(&self, rec: &mut Recorder<'_, T>, role: &str, tunnel_id: &str) -> Option<Value> {
        let resp = rec.send(role, describe_request(tunnel_id)).await.ok()?;
        if !resp.is_success() {
            return None;
        }
        resp.body_json()?.get("tunnel").filter(|t| t.is_object()).cloned()
    }

    async fn new_tunnel(
        self: &Arc<Self>,
        rec: &mut Recorder<'_, T>,
        state: &TunnelState,
    ) -> Result<Tunnel, SetupError> {
        match state {
            TunnelState::Open { destination_config } => {
                self.open(rec, destination_config.as_ref(), Some(POOL_LIFETIME_MINUTES))
                    .await
            }
            TunnelState::Closed => {
                let tunnel = self.open(rec, None, Some(POOL_LIFETIME_MINUTES)).await?;
                let resp = rec
                    .send(SETUP, close_request(&tunnel.id, false))
                    .await
                    .map_err(|e| self.transport_failed("CloseTunnel", e))?;
                if !resp.is_success() {
                    return Err(SetupError::Refused {
                        operation: "CloseTunnel",
                        answer: summary(&resp),
                    });
                }
                Ok(tunnel)
            }
            TunnelState::Unknown { .. } | TunnelState::None => Err(SetupError::NoTunnel),
        }
    }

    /// Borrow a tunnel in `state` (from `lane`'s pool, else a new one) and read its state. A pooled
    /// tunnel found in another state (expired, say) is dropped and a fresh one opened.
    pub async fn prepare(
        self: &Arc<Self>,
        rec: &mut Recorder<'_, T>,
        state: &TunnelState,
        lane: usize,
    ) -> Result<PreparedTunnel, SetupError> {
        let key = format!("{lane}/{}", pool_key(state).ok_or(SetupError::NoTunnel)?);
        let wanted = wanted_status(state);
        let pooled = lock(&self.pool).idle.get_mut(&key).and_then(Vec::pop);
        // Too old to be sure it outlives the case: leave it for cleanup and open a fresh one.
        let (pooled, aged): (Option<Tunnel>, Option<Tunnel>) = match pooled {
            Some(t) if wanted == "CLOSED" || t.opened_at.elapsed() < self.max_pool_age => (Some(t), None),
            other => (None, other),
        };
        if let Some(t) = aged {
            lock(&self.pool).retired.push(t.id);
        }
        if let Some(mut tunnel) = pooled {
            let before = self.describe(rec, SETUP, &tunnel.id).await;
            if before.as_ref().and_then(tunnel_status) == Some(wanted) {
                fill_arn(&mut tunnel, before.as_ref());
                return Ok(PreparedTunnel { tunnel, before });
            }
        }
        let mut tunnel = self.new_tunnel(rec, state).await?;
        let before = self.describe(rec, SETUP, &tunnel.id).await;
        match before.as_ref().map(tunnel_status) {
            Some(Some(s)) if s != wanted => {
                return Err(SetupError::WrongState {
                    found: s.to_owned(),
                    wanted,
                });
            }
            _ => {}
        }
        fill_arn(&mut tunnel, before.as_ref());
        Ok(PreparedTunnel { tunnel, before })
    }

    /// Give a tunnel back to `lane`'s pool if `after` shows it still in the state the pool promises.
    pub fn release(&self, state: &TunnelState, tunnel: Tunnel, after: Option<&Value>, lane: usize) {
        let Some(key) = pool_key(state).map(|k| format!("{lane}/{k}")) else {
            return;
        };
        if after.and_then(tunnel_status) == Some(wanted_status(state)) {
            lock(&self.pool).idle.entry(key).or_default().push(tunnel);
        } else {
            // Not reusable: delete it when room is needed, not only at the end.
            lock(&self.pool).retired.push(tunnel.id);
        }
        self.budget.poke();
    }

    /// How many tunnels the run has opened so far.
    pub fn opened_count(&self) -> usize {
        lock(&self.pool).opened.len()
    }

    /// Close every tunnel the run opened with `delete: true`. Problems become harness errors; a
    /// tunnel already gone (ResourceNotFoundException) is fine.
    pub async fn cleanup(&self) {
        let _ = self.opening.subscribe().wait_for(|n| *n == 0).await;
        let opened = {
            let mut pool = lock(&self.pool);
            pool.idle.clear();
            pool.retired.clear();
            std::mem::take(&mut pool.opened)
        };
        let mut rec = self.recorder();
        let mut failed = Vec::new();
        for id in opened {
            if self.delete(&mut rec, &id).await.is_err() {
                failed.push(id);
            }
        }
        // One more pass after a pause: each CloseTunnel was already retried, but a tunnel left
        // behind holds a slot of the account's quota for up to 12 hours.
        if !failed.is_empty() {
            tokio::time::sleep(self.guard.retry.cap.min(Duration::from_secs(2))).await;
        }
        for id in failed {
            if let Err(e) = self.delete(&mut rec, &id).await {
                self.harness_error(format!("cleanup: CloseTunnel (delete) of tunnel {id} failed: {e}"));
            }
        }
    }

    /// CloseTunnel with `delete: true`; a tunnel already gone is fine. Frees its budget slot.
    pub(super) async fn delete(&self, rec: &mut Recorder<'_, T>, id: &str) -> Result<(), String> {
        let outcome = match rec.send(CLEANUP, close_request(id, true)).await {
            Ok(resp) if resp.is_success() => Ok(()),
            Ok(resp) if parse_error(&resp).is_some_and(|e| e.type_name == "ResourceNotFoundException") => Ok(()),
            Ok(resp) => Err(summary(&resp)),
            Err(e) => Err(e.to_string()),
        };
        if outcome.is_ok() {
            let known = {
                let mut pool = lock(&self.pool);
                let before = pool.opened.len();
                pool.opened.retain(|t| t != id);
                pool.retired.retain(|t| t != id);
                before != pool.opened.len()
            };
            if known {
                self.budget.give_back();
            }
        }
        outcome
    }

    /// How many tunnels the run opened and the most it held at once.
    pub fn tunnel_stats(&self) -> super::budget::TunnelStats {
        super::budget::TunnelStats {
            run_id: self.run_id.clone(),
            ..self.budget.stats()
        }
    }
}

fn fill_arn(tunnel: &mut Tunnel, described: Option<&Value>) {
    if tunnel.arn.is_none() {
        tunnel.arn = described
            .and_then(|t| t.get("tunnelArn"))
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
}
