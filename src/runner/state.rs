//! What a run shares between its tracks: the transport, the redactor, the guard (setup failures,
//! retries, the watchdog), the tunnel budget, the list of tunnels to delete, and the calls that
//! open, describe, close and delete tunnels.
//!
//! Every tunnel the run opened is recorded the moment OpenTunnel answers, so that cleanup can
//! delete it whatever happens (a track cancelled mid-call included).

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
use crate::checks::summary;
use crate::client::TransportError;
use crate::redact::Redactor;
use crate::secret::SecretString;
use crate::spec::facts::{DESTINATION_TOKEN, SOURCE_TOKEN};
use crate::wire::parse_error;
use crate::wire::HttpRequest;

/// Description given to every tunnel the run opens (visible in the AWS console).
const DESCRIPTION: &str = "rotcheck conformance run";
/// Lifetime of the shared OPEN tunnel. Deliberately not the model's default (720): a rotation
/// that resets timeoutConfig to the default must show up as a change (duration-static).
pub const POOL_LIFETIME_MINUTES: u32 = 600;

/// A tunnel the run opened.
#[derive(Debug, Clone)]
pub struct OpenedTunnel {
    pub id: String,
    /// From OpenTunnel, else from DescribeTunnel.
    pub arn: Option<String>,
    /// Every token the tunnel has had (token-fresh compares new ones against them).
    pub tokens: TokenHistory,
    /// The tokens of each side as last returned (OpenTunnel's, then each rotation's).
    pub source_token: Option<SecretString>,
    pub destination_token: Option<SecretString>,
    /// When OpenTunnel answered (local clock).
    pub opened_at: Instant,
    /// The destinationConfig given to OpenTunnel.
    pub opened_with: Option<Value>,
    pub lifetime_minutes: u32,
}

impl OpenedTunnel {
    /// Take note of a successful answer's tokens (OpenTunnel's or a rotation's).
    pub fn record_answer(&mut self, body: &Value) {
        self.tokens.record(body);
        let token = |member: &str| {
            body.get(member)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(SecretString::new)
        };
        if let Some(t) = token(SOURCE_TOKEN) {
            self.source_token = Some(t);
        }
        if let Some(t) = token(DESTINATION_TOKEN) {
            self.destination_token = Some(t);
        }
    }
}

/// What the run's tracks share.
pub struct Harness<T> {
    pub transport: Arc<T>,
    pub redactor: Redactor,
    /// Set once any response has arrived.
    pub reached: AtomicBool,
    /// Set when setup failed at the transport level before the endpoint ever answered.
    pub unreachable: Mutex<Option<SetupError>>,
    /// Retries, the watchdog, and the setup failure that stops the run.
    pub guard: Guard,
    pub(super) budget: Budget,
    /// The value of the run tag on every tunnel it opens.
    pub(super) run_id: String,
    /// Every tunnel opened and not yet deleted.
    registry: Mutex<Vec<String>>,
    harness_errors: Mutex<Vec<String>>,
    /// How many times faster than real time the endpoint's clock runs.
    pub time_scale: f64,
    /// OpenTunnel calls in flight (cleanup waits for them).
    opening: watch::Sender<usize>,
    /// How long cleanup may take in all: against an endpoint that stopped answering, a run must
    /// end too (the stall allowance plus three request timeouts: one call with its retries).
    cleanup_deadline: Duration,
}

/// Counts an OpenTunnel call in flight for as long as it lives.
struct InFlight<T: Transport>(Arc<Harness<T>>);

impl<T: Transport> InFlight<T> {
    fn new(h: Arc<Harness<T>>) -> Self {
        h.opening.send_modify(|n| *n += 1);
        InFlight(h)
    }
}

impl<T: Transport> Drop for InFlight<T> {
    fn drop(&mut self) {
        self.0.opening.send_modify(|n| *n = n.saturating_sub(1));
    }
}

pub(super) fn lock<X>(m: &Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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

impl<T: Transport> Harness<T> {
    /// `time_scale`: how many times faster than real time the endpoint's clock runs (> 0).
    pub fn new(transport: Arc<T>, redactor: Redactor, time_scale: f64, limits: Limits) -> Self {
        Harness {
            guard: Guard::new(limits.retry, limits.request_timeout),
            budget: Budget::new(limits.max_tunnels, limits.max_opened),
            run_id: limits.run_id,
            transport,
            redactor,
            reached: AtomicBool::new(false),
            unreachable: Mutex::new(None),
            registry: Mutex::new(Vec::new()),
            harness_errors: Mutex::new(Vec::new()),
            time_scale,
            opening: watch::channel(0).0,
            cleanup_deadline: limits.stall + limits.request_timeout * 3,
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

    /// Record why `what` could not be set up, once for the run: an unreachable endpoint or a
    /// stopped run is said elsewhere, and a spent tunnel budget is one line whoever met it.
    pub fn setup_problem(&self, what: &str, why: &str) {
        if self.stop_reason().is_some() {
            return;
        }
        if self.budget.spent() {
            self.harness_error(format!(
                "{}: the cases and scenarios left were not run",
                super::budget::BudgetError::Spent {
                    opened: self.budget.opened(),
                    max: self.budget.stats().max_opened.unwrap_or_default(),
                }
            ));
        } else {
            self.harness_error(format!("{what}: {why}"));
        }
    }

    /// Why nothing more may be sent: the endpoint is unreachable, or a setup failure stopped
    /// the run.
    pub fn stop_reason(&self) -> Option<String> {
        self.unreachable_reason().or_else(|| self.guard.setup_failure())
    }

    /// A tunnel a case's own request opened (a mutated request the endpoint served as
    /// OpenTunnel): it counts against the budget and must be deleted. False when known already.
    pub fn register_stray(&self, tunnel_id: &str) -> bool {
        let new = self.record_opened(tunnel_id);
        if new {
            self.budget.force_take();
        }
        new
    }

    /// Remember a tunnel for cleanup; false when it was known already.
    fn record_opened(&self, tunnel_id: &str) -> bool {
        let mut registry = lock(&self.registry);
        if registry.iter().any(|t| t == tunnel_id) {
            return false;
        }
        registry.push(tunnel_id.to_owned());
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

    /// Take a budget slot for an OpenTunnel: at once if there is room, else by waiting until
    /// another track deletes its tunnel. Never called while the caller holds a slot (see
    /// budget.rs: that is what keeps the run free of deadlocks).
    async fn take_slot(&self) -> Result<(), SetupError> {
        loop {
            if let Some(why) = self.stop_reason() {
                return Err(SetupError::NotRun(why));
            }
            match self.budget.try_take() {
                Ok(true) => return Ok(()),
                Err(spent) => return Err(SetupError::Spent(spent)),
                Ok(false) => {
                    let _waiting = self.guard.watchdog.waiting(format!(
                        "a free tunnel slot (--max-tunnels {}: another part of the run holds it)",
                        self.budget.stats().max.unwrap_or_default()
                    ));
                    self.budget.wait().await;
                }
            }
        }
    }

    /// OpenTunnel answered LimitExceededException: the account's tunnel quota is reached.
    /// Retrying does not clear it, closing tunnels does (PROTOCOL.md). If the run holds
    /// tunnels, it uses fewer from now on and waits for one to be freed; if it holds none,
    /// the quota is used by others: a setup failure.
    async fn on_tunnel_quota(&self, hits: u32) -> Result<(), SetupError> {
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
        self.budget.wait().await;
        Ok(())
    }

    /// OpenTunnel, within the budget. The call runs in a task of its own, so that cancelling
    /// the run (Ctrl-C) cannot lose a tunnel the endpoint created: the id is registered for
    /// cleanup when the answer arrives, and cleanup waits for calls still in flight.
    pub async fn open(
        self: &Arc<Self>,
        rec: &mut Recorder<'_, T>,
        destination_config: Option<&Value>,
        lifetime_minutes: u32,
    ) -> Result<OpenedTunnel, SetupError> {
        let mut quota_hits = 0;
        let resp = loop {
            self.take_slot().await?;
            let request = open_request(destination_config, Some(lifetime_minutes), &self.run_id);
            let guard = InFlight::new(Arc::clone(self));
            let label = rec.label.clone();
            let task = tokio::spawn(async move {
                let h = &guard.0;
                let mut own = h.recorder().labelled(label);
                let result = own.send(SETUP, request).await;
                let body = result
                    .as_ref()
                    .ok()
                    .filter(|r| r.is_success())
                    .and_then(|r| r.body_json());
                let id = body.as_ref().and_then(|b| b.get("tunnelId")).and_then(Value::as_str);
                h.budget.open_done(id.is_some_and(|id| h.record_opened(id)));
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
                self.on_tunnel_quota(quota_hits).await?;
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
        let mut tunnel = OpenedTunnel {
            id: id.to_owned(),
            arn: body.get("tunnelArn").and_then(Value::as_str).map(str::to_owned),
            tokens: TokenHistory::default(),
            source_token: None,
            destination_token: None,
            opened_at: Instant::now(),
            opened_with: destination_config.cloned(),
            lifetime_minutes,
        };
        tunnel.record_answer(&body);
        Ok(tunnel)
    }

    /// DescribeTunnel's `tunnel` object, or None when it cannot be read.
    pub async fn describe(&self, rec: &mut Recorder<'_, T>, role: &str, tunnel_id: &str) -> Option<Value> {
        let resp = rec.send(role, describe_request(tunnel_id)).await.ok()?;
        if !resp.is_success() {
            return None;
        }
        resp.body_json()?.get("tunnel").filter(|t| t.is_object()).cloned()
    }

    /// CloseTunnel without delete (the tunnel becomes CLOSED and stays listed).
    pub async fn close(&self, rec: &mut Recorder<'_, T>, tunnel_id: &str) -> Result<(), SetupError> {
        let resp = rec
            .send(SETUP, close_request(tunnel_id, false))
            .await
            .map_err(|e| self.transport_failed("CloseTunnel", e))?;
        if resp.is_success() {
            Ok(())
        } else {
            Err(SetupError::Refused {
                operation: "CloseTunnel",
                answer: summary(&resp),
            })
        }
    }

    /// How many tunnels the run has opened and not deleted.
    pub fn held_count(&self) -> usize {
        lock(&self.registry).len()
    }

    /// Delete every tunnel the run still holds, within a deadline (an endpoint that stopped
    /// answering must not keep the run from ending). Problems become harness errors; a tunnel
    /// already gone (ResourceNotFoundException) is fine.
    pub async fn cleanup(&self) {
        let deadline = self.cleanup_deadline;
        let work = async {
            let _ = self.opening.subscribe().wait_for(|n| *n == 0).await;
            let ids = lock(&self.registry).clone();
            let mut rec = self.recorder().labelled("cleanup");
            let mut failed = Vec::new();
            for id in ids {
                if self.delete(&mut rec, &id).await.is_err() {
                    failed.push(id);
                }
            }
            // One more pass after a pause: each CloseTunnel was already retried, but a tunnel
            // left behind holds a slot of the account's quota for up to 12 hours.
            if !failed.is_empty() {
                tokio::time::sleep(self.guard.retry.cap.min(Duration::from_secs(2))).await;
            }
            for id in failed {
                if let Err(e) = self.delete(&mut rec, &id).await {
                    self.harness_error(format!("cleanup: CloseTunnel (delete) of tunnel {id} failed: {e}"));
                }
            }
        };
        if tokio::time::timeout(deadline, work).await.is_err() {
            let left = lock(&self.registry).len();
            self.harness_error(format!(
                "cleanup: {left} tunnel(s) may be left after {} s without answers; delete them with \
                 `rotcheck cleanup --endpoint URL --run {}`",
                deadline.as_secs(),
                self.run_id
            ));
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
                let mut registry = lock(&self.registry);
                let before = registry.len();
                registry.retain(|t| t != id);
                before != registry.len()
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

/// The status member of a DescribeTunnel `tunnel` object.
pub fn status_of(described: Option<&Value>) -> Option<&str> {
    described.and_then(crate::checks::tunnel_status)
}
