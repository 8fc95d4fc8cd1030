//! The duration-live scenario against a time-scaled server (a one-minute tunnel lives one second).

mod common;

use std::sync::Arc;

use common::{cases, Fault, HttpTransport, TestServer};
use rotcheck::checks::CheckId;
use rotcheck::runner::{never_cancel, run, NoProgress, RunConfig, RunResult, Status};

const SCALE: f64 = 60.0;

async fn live_run(fault: Fault) -> (RunResult, TestServer) {
    let server = TestServer::start(fault, SCALE).await;
    let config = RunConfig {
        live: true,
        time_scale: SCALE,
        only: Some("scenario/duration-live".into()),
        ..RunConfig::default()
    };
    let r = run(
        Arc::new(HttpTransport::new(&server.url)),
        cases(),
        &config,
        &NoProgress,
        never_cancel(),
    )
    .await;
    (r, server)
}

fn live_outcomes(r: &RunResult) -> Vec<(Status, String)> {
    r.cases
        .iter()
        .flat_map(|c| &c.outcomes)
        .filter(|o| o.check == CheckId::DURATION_LIVE)
        .map(|o| (o.status, format!("{} {:?} {:?}", o.message, o.expected, o.actual)))
        .collect()
}

#[tokio::test]
async fn a_faithful_server_passes_the_live_scenario() {
    let (r, server) = live_run(Fault::None).await;
    assert_eq!(r.cases.len(), 1, "only the scenario ran");
    let outcomes = live_outcomes(&r);
    assert_eq!(
        outcomes.iter().map(|o| o.0).collect::<Vec<_>>(),
        [Status::Pass],
        "{outcomes:?}"
    );
    assert_eq!(r.exit_code(), 0, "{outcomes:?} {:?}", r.harness_errors);
    assert_eq!(server.tunnel_count(), 0);
}

#[tokio::test]
async fn quietly_extending_the_expiry_fails_duration_live_only() {
    let (r, _server) = live_run(Fault::ExtendExpiryOnRotation).await;
    assert_eq!(r.failed_checks(), [CheckId::DURATION_LIVE], "{:?}", live_outcomes(&r));
    assert_eq!(r.exit_code(), 1);
}

#[tokio::test]
async fn accepting_rotation_of_an_expired_tunnel_is_advisory_but_reopening_fails() {
    let (r, _server) = live_run(Fault::ReopenClosedOnRotation).await;
    let statuses: Vec<Status> = live_outcomes(&r).iter().map(|o| o.0).collect();
    assert!(statuses.contains(&Status::Fail), "{:?}", live_outcomes(&r));
    assert!(statuses.contains(&Status::Advisory));
}

#[tokio::test]
async fn without_live_the_check_is_skipped_with_a_reason() {
    let server = TestServer::start(Fault::None, SCALE).await;
    let config = RunConfig {
        only: Some("scenario/duration-live".into()),
        ..RunConfig::default()
    };
    let r = run(
        Arc::new(HttpTransport::new(&server.url)),
        cases(),
        &config,
        &NoProgress,
        never_cancel(),
    )
    .await;
    assert!(r.cases.is_empty());
    let skipped = r
        .skipped_checks
        .iter()
        .find(|s| s.check == CheckId::DURATION_LIVE)
        .unwrap();
    assert!(skipped.reason.contains("--live"));
}

/// Cancels the run as soon as the first regular case finishes (the scenario is still waiting).
struct CancelAfterFirst(tokio::sync::watch::Sender<bool>);

impl rotcheck::runner::ProgressSink for CancelAfterFirst {
    fn case_finished(&self, _id: &str, _status: Status) {
        let _ = self.0.send(true);
    }
}

#[tokio::test]
async fn cancelling_during_the_scenario_still_deletes_its_tunnel() {
    let server = TestServer::start(Fault::None, SCALE).await;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let config = RunConfig {
        live: true,
        time_scale: SCALE,
        // Without the aged rotation (it waits a second before the first case on the shared
        // tunnel), a case finishes while the live scenario still waits.
        checks: CheckId::all().filter(|c| *c != CheckId::DURATION_STATIC).collect(),
        ..RunConfig::default()
    };
    let mut all = cases();
    all.retain(|c| c.id.starts_with("valid/"));
    let r = run(
        Arc::new(HttpTransport::new(&server.url)),
        all,
        &config,
        &CancelAfterFirst(tx),
        rx,
    )
    .await;
    assert!(r.interrupted);
    assert!(
        r.cases.iter().all(|c| c.id != "scenario/duration-live"),
        "the scenario did not finish"
    );
    assert!(
        server.state.lifetimes.lock().unwrap().contains(&1),
        "the scenario had opened its tunnel"
    );
    assert_eq!(server.tunnel_count(), 0, "cleanup deleted it");
    assert_eq!(r.exit_code(), 2);
}
