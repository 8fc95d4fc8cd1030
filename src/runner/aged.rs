//! The aged-rotation scenario for duration-static: rotate the shared tunnel at least [`MIN_AGE`]
//! after it opened and compare with the DescribeTunnel read before. Servers with
//! whole-second timestamps make a createdAt reset invisible to a rotation in the same second as
//! the open; this scenario guarantees one rotation across a second boundary, however fast the
//! rest of the run is.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;

use super::out::Stop;
use super::recorder::{Recorder, REQUEST, VERIFY};
use super::result::{CaseResult, Sent};
use super::shared::{rotate_request, Shared};
use super::transport::Transport;
use crate::checks::{self, AgedObservation, CheckId, Evidence, Subject};
use crate::spec::facts::{self, ClientMode};
use crate::wire::{HttpRequest, HttpResponse};

/// The scenario's result id (it sorts with the cases; `--only` can select it).
pub const AGED_CASE_ID: &str = "scenario/duration-static-aged";

/// More than one second, so a whole-second createdAt must move if a rotation resets it.
pub const MIN_AGE: Duration = Duration::from_millis(1100);

/// Run on the shared tunnel: `before` is DescribeTunnel as read after it opened (or as last
/// read), the rotation waits until the tunnel is [`MIN_AGE`] old.
pub async fn run<T: Transport>(
    shared: &mut Shared<T>,
    selected: &BTreeSet<CheckId>,
    stop: &Stop,
) -> Option<CaseResult> {
    let started = Instant::now();
    let h = shared.harness();
    let mut rec = h.recorder().labelled(AGED_CASE_ID);
    let mut request = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "", "clientMode": "ALL"}));
    let mut response = None;
    let mut transport_error = None;
    let mut obs = AgedObservation {
        age_ms: super::result::ms(MIN_AGE),
        ..Default::default()
    };
    let prepared = match h.stop_reason() {
        Some(why) => Err(why),
        None => shared.ensure_open(&mut rec, None).await.map_err(|e| {
            h.setup_problem(AGED_CASE_ID, &e.to_string());
            e.to_string()
        }),
    };
    match prepared {
        Err(why) => obs.inconclusive = Some(why),
        Ok(before) => {
            obs.before = before;
            let opened = shared.tunnel.as_ref().map_or_else(Instant::now, |t| t.opened_at);
            if !stop.sleep_until(opened + MIN_AGE, &h.guard.watchdog).await {
                // Cut short: there is nothing to judge.
                return None;
            }
            request = rotate_request(&shared.id(), ClientMode::All, None);
            (response, transport_error) = rotate_aged(shared, &mut rec, &request, &mut obs).await;
        }
    }

    let outcomes = checks::judge(
        &Evidence {
            exchanges: &rec.exchanges,
            subject: Subject::Aged(&obs),
        },
        selected,
    );
    let description = format!(
        "scenario: rotate ALL on a tunnel opened at least {} ms earlier; createdAt and timeoutConfig must equal those read before",
        MIN_AGE.as_millis()
    );
    let sent = Sent {
        request,
        response,
        transport_error,
    };
    Some(CaseResult::scenario(
        AGED_CASE_ID,
        description,
        ClientMode::All,
        sent,
        outcomes,
        rec.exchanges,
        started,
    ))
}

/// The aged rotation sent: its answer (or transport error), and what DescribeTunnel shows after
/// it in `obs`; a refusal or no answer leaves the observation inconclusive.
async fn rotate_aged<T: Transport>(
    shared: &mut Shared<T>,
    rec: &mut Recorder<'_, T>,
    request: &HttpRequest,
    obs: &mut AgedObservation,
) -> (Option<HttpResponse>, Option<String>) {
    match rec.send(REQUEST, request.clone()).await {
        Ok(resp) if resp.is_success() => {
            if let Some(b) = resp.body_json() {
                shared.record_answer(&b);
            }
            obs.after = shared.describe(rec, VERIFY).await;
            (Some(resp), None)
        }
        Ok(resp) => {
            shared.last = None;
            obs.inconclusive = Some(format!(
                "the rotation of a tunnel opened {} ms earlier was refused ({})",
                obs.age_ms,
                checks::summary(&resp)
            ));
            (Some(resp), None)
        }
        Err(e) => {
            shared.last = None;
            obs.inconclusive = Some(format!("no response: {e}"));
            (None, Some(e.to_string()))
        }
    }
}
