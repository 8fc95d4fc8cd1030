//! The aged-rotation scenario for duration-static: rotate a tunnel at least [`MIN_AGE`] after it
//! opened and compare with the DescribeTunnel read right after OpenTunnel. Servers with
//! whole-second timestamps make a createdAt reset invisible to a rotation in the same second as
//! the open; this scenario guarantees one rotation across a second boundary, however fast the
//! rest of the run is.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::recorder::{REQUEST, SETUP, VERIFY};
use super::result::CaseResult;
use super::state::{Harness, POOL_LIFETIME_MINUTES};
use super::transport::Transport;
use crate::cases::{CaseKind, Expectation, TunnelState};
use crate::checks::{self, AgedObservation, CheckId, Evidence, Subject};
use crate::spec::facts::{self, ClientMode};
use crate::wire::HttpRequest;

/// The scenario's result id (it sorts with the cases; `--only` can select it).
pub const AGED_CASE_ID: &str = "scenario/duration-static-aged";

/// More than one second, so a whole-second createdAt must move if a rotation resets it.
pub const MIN_AGE: Duration = Duration::from_millis(1100);

pub async fn run<T: Transport>(h: &Arc<Harness<T>>, selected: &BTreeSet<CheckId>) -> CaseResult {
    let started = Instant::now();
    let mut rec = h.recorder();
    let mut request = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "", "clientMode": "ALL"}));
    let mut response = None;
    let mut transport_error = None;
    let mut obs = AgedObservation {
        age_ms: u64::try_from(MIN_AGE.as_millis()).unwrap_or(u64::MAX),
        ..Default::default()
    };
    match h.open(&mut rec, None, Some(POOL_LIFETIME_MINUTES)).await {
        Err(e) => {
            h.harness_error(format!("{AGED_CASE_ID}: {e}"));
            obs.inconclusive = Some(e.to_string());
        }
        Ok(tunnel) => {
            let opened = Instant::now();
            obs.before = h.describe(&mut rec, SETUP, &tunnel.id).await;
            tokio::time::sleep_until((opened + MIN_AGE).into()).await;
            request = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": tunnel.id, "clientMode": "ALL"}));
            match rec.send(REQUEST, request.clone()).await {
                Ok(resp) if resp.is_success() => {
                    response = Some(resp);
                    obs.after = h.describe(&mut rec, VERIFY, &tunnel.id).await;
                }
                Ok(resp) => {
                    obs.inconclusive = Some(format!(
                        "the rotation of a tunnel opened {} ms earlier was refused ({})",
                        obs.age_ms,
                        checks::summary(&resp)
                    ));
                    response = Some(resp);
                }
                Err(e) => {
                    obs.inconclusive = Some(format!("no response: {e}"));
                    transport_error = Some(e.to_string());
                }
            }
        }
    }

    let outcomes = checks::judge(
        &Evidence {
            exchanges: &rec.exchanges,
            subject: Subject::Aged(&obs),
        },
        selected,
    );
    CaseResult {
        id: AGED_CASE_ID.into(),
        kind: CaseKind::Fixture,
        description: format!(
            "scenario: rotate ALL on a tunnel opened {} ms earlier; createdAt and timeoutConfig must equal those read right after OpenTunnel",
            MIN_AGE.as_millis()
        ),
        operator: None,
        tunnel: TunnelState::Open { destination_config: None },
        expect: Expectation::Success { mode: ClientMode::All },
        error_type: checks::error_type_of(response.as_ref()),
        request,
        response,
        transport_error,
        outcomes,
        exchanges: rec.exchanges,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}
