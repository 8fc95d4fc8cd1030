//! The duration-live scenario: open a one-minute tunnel, rotate at 60% of its life, and watch it
//! close on time (see [`crate::checks::duration_live`] for the timing argument).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::out::Stop;
use super::recorder::{REQUEST, SETUP, VERIFY};
use super::result::{ms, CaseResult, Sent};
use super::state::Harness;
use super::transport::Transport;
use crate::checks::duration_live::{self, LiveObservation};
use crate::checks::{self, summary, tunnel_status, CheckId, Evidence, Subject};
use crate::spec::facts::{self, ClientMode};
use crate::wire::{HttpRequest, HttpResponse};

/// The scenario's result id (it sorts with the cases; `--only` can select it).
pub const LIVE_CASE_ID: &str = "scenario/duration-live";

/// Times the scenario starts over when its mid-life rotation had to be retried.
const SCENARIO_ATTEMPTS: u32 = 3;

/// Lifetime given to the scenario's tunnel: the model's minimum.
const LIFETIME_MINUTES: u32 = 1;

/// Real time of one tunnel lifetime at `time_scale` (the endpoint runs `time_scale` times faster).
pub fn real_lifetime(time_scale: f64) -> Duration {
    Duration::from_secs_f64(f64::from(LIFETIME_MINUTES) * 60.0 / time_scale)
}

fn rotate_all(tunnel_id: &str) -> HttpRequest {
    HttpRequest::json(facts::ROTATE, &json!({"tunnelId": tunnel_id, "clientMode": "ALL"}))
}

/// Requests of one pass of the scenario against an endpoint that closes on time: OpenTunnel,
/// DescribeTunnel, the mid-life rotation, a poll every 1/20 lifetime from 60 % of the lifetime
/// until the tunnel shows CLOSED, the late rotation and its DescribeTunnel, the deletion.
pub fn requests_estimate() -> usize {
    3 + 9 + 3
}

/// How long the scenario takes against an endpoint that closes on time.
pub fn duration_estimate(lifetime: Duration) -> Duration {
    lifetime.mul_f64(1.1)
}

/// `grace`: how late the closing may be (`--expiry-grace`); None: 20 % of the lifetime.
// Long: the scenario's attempts and its result; the timing itself is in `Watch`.
pub async fn run<T: Transport>(
    h: &Arc<Harness<T>>,
    time_scale: f64,
    grace: Option<Duration>,
    selected: &BTreeSet<CheckId>,
    stop: &Stop,
) -> Option<CaseResult> {
    let started = Instant::now();
    let lifetime = real_lifetime(time_scale);
    let fresh = || LiveObservation {
        lifetime_ms: ms(lifetime),
        grace_ms: grace.map_or_else(|| duration_live::grace_ms(ms(lifetime)), ms),
        ..Default::default()
    };
    let mut obs = fresh();
    let mut rec = h.recorder().labelled(LIVE_CASE_ID);
    let mut request = rotate_all("");
    let mut response: Option<HttpResponse> = None;
    let mut transport_error = None;

    for attempt in 1..=SCENARIO_ATTEMPTS {
        obs = fresh();
        let first_exchange = rec.exchanges.len();
        let opened = match h.stop_reason() {
            Some(why) => Err(super::error::SetupError::NotRun(why)),
            None => h.open(&mut rec, None, LIFETIME_MINUTES).await,
        };
        match opened {
            Err(e) => {
                h.setup_problem(LIVE_CASE_ID, &e.to_string());
                obs.inconclusive = Some(e.to_string());
            }
            Ok(tunnel) => {
                request = rotate_all(&tunnel.id);
                let mut watch = Watch {
                    h,
                    rec: &mut rec,
                    id: &tunnel.id,
                    t0: Instant::now(),
                    lifetime,
                    stop,
                };
                watch.observe(&mut obs, &mut response, &mut transport_error).await;
                // The tunnel is done with (expired, or the scenario gave up): its slot is free.
                let _ = h.delete(&mut rec, &tunnel.id).await;
            }
        }
        if stop.is_set() {
            // Cut short: there is nothing to judge.
            return None;
        }
        // A request that had to be retried (throttled, a transient 5xx) may push the mid-life
        // rotation past a short lifetime: that says nothing about the endpoint; start over.
        let retried_late = obs.inconclusive.is_some() && rec.exchanges[first_exchange..].iter().any(|x| x.attempts > 1);
        if !retried_late || attempt == SCENARIO_ATTEMPTS {
            break;
        }
        tracing::info!("{LIVE_CASE_ID}: the mid-life rotation needed retries; starting over");
        response = None;
        transport_error = None;
    }

    let outcomes = checks::judge(
        &Evidence {
            exchanges: &rec.exchanges,
            subject: Subject::Live(&obs),
        },
        selected,
    );
    let sent = Sent {
        request,
        response,
        transport_error,
    };
    Some(CaseResult::scenario(
        LIVE_CASE_ID,
        description(),
        ClientMode::All,
        sent,
        outcomes,
        rec.exchanges,
        started,
    ))
}

/// What the scenario does, for the reports.
fn description() -> String {
    format!(
        "scenario: open a {LIFETIME_MINUTES}-minute tunnel, rotate ALL at 60% of its life, expect it CLOSED by createdAt + lifetime (+20% grace), createdAt unchanged"
    )
}

/// Read createdAt/status; note a createdAt different from the first one read.
fn note_created_at(obs: &mut LiveObservation, tunnel: &Value, at: Duration) {
    let created = tunnel.get("createdAt").cloned();
    match (&obs.created_at, created) {
        (None, c) => obs.created_at = c,
        (Some(first), Some(c))
            if obs.created_at_changed.is_none() && !checks::same_timestamp(Some(first), Some(&c)) =>
        {
            obs.created_at_changed = Some((ms(at), c));
        }
        _ => {}
    }
}

/// The scenario's tunnel and clock.
struct Watch<'a, 'r, T: Transport> {
    h: &'a Harness<T>,
    rec: &'a mut super::recorder::Recorder<'r, T>,
    id: &'a str,
    t0: Instant,
    lifetime: Duration,
    stop: &'a Stop,
}

impl<T: Transport> Watch<'_, '_, T> {
    async fn observe(
        &mut self,
        obs: &mut LiveObservation,
        response: &mut Option<HttpResponse>,
        transport_error: &mut Option<String>,
    ) {
        let (h, id, t0, lifetime) = (self.h, self.id, self.t0, self.lifetime);
        let rec = &mut *self.rec;
        let Some(first) = h.describe(rec, SETUP, id).await else {
            obs.inconclusive = Some("DescribeTunnel could not be read after OpenTunnel".into());
            return;
        };
        note_created_at(obs, &first, t0.elapsed());
        if tunnel_status(&first) != Some("OPEN") {
            obs.inconclusive = Some("the new tunnel is not OPEN".into());
            return;
        }

        if !self
            .stop
            .sleep_until(t0 + lifetime.mul_f64(0.6), &h.guard.watchdog)
            .await
        {
            obs.inconclusive = Some("the run stopped".into());
            return;
        }
        match rec.send(REQUEST, rotate_all(id)).await {
            Ok(resp) => {
                let ok = resp.is_success();
                let what = summary(&resp);
                *response = Some(resp);
                if !ok {
                    obs.inconclusive = Some(format!("the mid-life rotation was refused ({what})"));
                    return;
                }
            }
            Err(e) => {
                obs.inconclusive = Some(format!("the mid-life rotation got no response: {e}"));
                *transport_error = Some(e.to_string());
                return;
            }
        }

        if !self.poll_until_closed(obs).await {
            return;
        }

        self.rotate_after_expiry(obs).await;
    }

    /// Poll until CLOSED, or until a poll sent after the deadline still sees OPEN; true when
    /// CLOSED was seen in time to judge.
    async fn poll_until_closed(&mut self, obs: &mut LiveObservation) -> bool {
        let (h, id, t0, lifetime) = (self.h, self.id, self.t0, self.lifetime);
        let deadline = Duration::from_millis(obs.deadline_ms());
        let interval = (lifetime / 20).max(Duration::from_millis(10));
        loop {
            let sent = t0.elapsed();
            let Some(t) = h.describe(self.rec, VERIFY, id).await else {
                obs.inconclusive = Some("DescribeTunnel could not be read while waiting for expiry".into());
                return false;
            };
            note_created_at(obs, &t, sent);
            let retried = self.rec.exchanges.last().is_some_and(|x| x.attempts > 1);
            match tunnel_status(&t) {
                // A poll retried (throttled, a transient 5xx) until after the deadline saw CLOSED at
                // some time after it was first sent: that says nothing about closing in time.
                Some("CLOSED") if retried && t0.elapsed() > deadline => {
                    obs.inconclusive = Some(
                        "a poll was retried past the deadline: whether the tunnel closed in time is unknown".into(),
                    );
                    return false;
                }
                Some("CLOSED") => {
                    obs.closed_seen_ms = Some(ms(sent));
                    return true;
                }
                _ if sent > deadline => {
                    obs.open_after_deadline_ms = Some(ms(sent));
                    return false;
                }
                _ => {}
            }
            // Make sure one poll is sent just after the deadline: that is the one that decides.
            let until_deadline = deadline.saturating_sub(t0.elapsed()) + Duration::from_millis(1);
            if !self
                .stop
                .sleep_until(Instant::now() + interval.min(until_deadline), &h.guard.watchdog)
                .await
            {
                obs.inconclusive = Some("the run stopped".into());
                return false;
            }
        }
    }

    /// The tunnel is CLOSED: a rotation must not reopen it (its refusal is only inferred).
    async fn rotate_after_expiry(&mut self, obs: &mut LiveObservation) {
        let (h, id) = (self.h, self.id);
        match self.rec.send(VERIFY, rotate_all(id)).await {
            Ok(resp) => obs.late_rotation_status = Some(resp.status),
            Err(e) => {
                obs.inconclusive = Some(format!("the rotation after expiry got no response: {e}"));
                return;
            }
        }
        match h.describe(self.rec, VERIFY, id).await {
            Some(t) => match tunnel_status(&t) {
                Some(s) => obs.status_after_late_rotation = Some(s.to_owned()),
                None => obs.inconclusive = Some("DescribeTunnel shows no status after the late rotation".into()),
            },
            None => obs.inconclusive = Some("DescribeTunnel could not be read after the late rotation".into()),
        }
    }
}
