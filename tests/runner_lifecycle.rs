//! The runner's own behaviour: determinism, selection, setup failures, an unreachable endpoint,
//! cancellation with cleanup.

mod common;

use std::sync::Arc;

use common::{cases, Fault, HttpTransport, TestServer};
use rotcheck::checks::CheckId;
use rotcheck::runner::{never_cancel, run, NoProgress, ProgressSink, RunConfig, RunResult, Status};
use tokio::sync::watch;

fn summary(r: &RunResult) -> Vec<(String, Vec<(CheckId, Status)>)> {
    r.cases
        .iter()
        .map(|c| (c.id.clone(), c.outcomes.iter().map(|o| (o.check, o.status)).collect()))
        .collect()
}

#[tokio::test]
async fn results_are_sorted_and_independent_of_concurrency() {
    let server = TestServer::start(Fault::ReuseSourceToken, 1.0).await;
    let transport = Arc::new(HttpTransport::new(&server.url));
    let one = RunConfig {
        concurrency: 1,
        ..RunConfig::default()
    };
    let many = RunConfig {
        concurrency: 8,
        ..RunConfig::default()
    };
    let a = run(transport.clone(), cases(), &one, &NoProgress, never_cancel()).await;
    let mut shuffled = cases();
    shuffled.reverse();
    let b = run(transport, shuffled, &many, &NoProgress, never_cancel()).await;
    let ids: Vec<&str> = a.cases.iter().map(|c| c.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_eq!(summary(&a), summary(&b));
    assert_eq!(a.exit_code(), 1);
}

#[tokio::test]
async fn only_and_checks_select_cases_and_outcomes() {
    let server = TestServer::start(Fault::None, 1.0).await;
    let config = RunConfig {
        only: Some("valid/*".into()),
        checks: vec![CheckId::TOKEN_SET, CheckId::NO_5XX],
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
    assert_eq!(r.cases.len(), 5);
    assert!(r.cases.iter().all(|c| c.id.starts_with("valid/")));
    assert!(r
        .cases
        .iter()
        .flat_map(|c| &c.outcomes)
        .all(|o| matches!(o.check, CheckId::TOKEN_SET | CheckId::NO_5XX)));
    assert_eq!(r.skipped_checks.len(), CheckId::all().count() - 2);
    assert_eq!(r.exit_code(), 0);
}

#[tokio::test]
async fn a_5xx_from_open_tunnel_is_a_no_5xx_failure_and_a_harness_error() {
    let server = TestServer::start(Fault::OpenFails500, 1.0).await;
    let r = run(
        Arc::new(HttpTransport::new(&server.url)),
        cases(),
        &RunConfig::default(),
        &NoProgress,
        never_cancel(),
    )
    .await;
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.failed_checks(), [CheckId::NO_5XX]);
    assert!(
        r.harness_errors
            .iter()
            .any(|e| e.contains("OpenTunnel failed: HTTP 500")),
        "{:?}",
        r.harness_errors
    );
    let valid = r.cases.iter().find(|c| c.id == "valid/all").unwrap();
    let accepted = valid
        .outcomes
        .iter()
        .find(|o| o.check == CheckId::VALID_ACCEPTED)
        .unwrap();
    assert_eq!(accepted.status, Status::Error, "cannot judge without a tunnel");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_exit_2_without_failures() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let r = run(
        Arc::new(HttpTransport::new(&url)),
        cases(),
        &RunConfig::default(),
        &NoProgress,
        never_cancel(),
    )
    .await;
    assert_eq!(r.exit_code(), 2);
    assert!(r.failed_checks().is_empty());
    assert!(
        r.harness_errors.iter().any(|e| e.contains("endpoint unreachable")),
        "{:?}",
        r.harness_errors
    );
    assert!(
        r.harness_errors.len() <= 3,
        "errors are deduplicated: {:?}",
        r.harness_errors
    );
}

/// Cancels the run as soon as the first case finishes.
struct CancelAfterFirst(watch::Sender<bool>);

impl ProgressSink for CancelAfterFirst {
    fn case_finished(&self, _id: &str, _status: Status) {
        let _ = self.0.send(true);
    }
}

#[tokio::test]
async fn cancellation_stops_the_run_and_still_cleans_up() {
    let server = TestServer::start(Fault::None, 1.0).await;
    let (tx, rx) = watch::channel(false);
    let progress = CancelAfterFirst(tx);
    let config = RunConfig {
        concurrency: 2,
        ..RunConfig::default()
    };
    let r = run(
        Arc::new(HttpTransport::new(&server.url)),
        cases(),
        &config,
        &progress,
        rx,
    )
    .await;
    assert!(r.interrupted);
    assert!(r.cases.len() < cases().len(), "{} cases ran", r.cases.len());
    assert_eq!(r.exit_code(), 2);
    assert_eq!(server.tunnel_count(), 0, "cleanup ran after the interruption");
}

/// Fails every request with the given method at the transport level (a dropped connection).
struct DropsMethod {
    inner: HttpTransport,
    method: &'static str,
}

impl rotcheck::runner::Transport for DropsMethod {
    async fn send(
        &self,
        req: &rotcheck::wire::HttpRequest,
    ) -> Result<rotcheck::wire::HttpResponse, rotcheck::client::TransportError> {
        if req.method == self.method {
            return Err(rotcheck::client::TransportError::Body {
                endpoint: "test server".into(),
                detail: "connection reset by peer".into(),
            });
        }
        self.inner.send(req).await
    }
}

#[tokio::test]
async fn a_transport_failure_on_a_case_is_an_error_exit_2() {
    let server = TestServer::start(Fault::None, 1.0).await;
    let transport = DropsMethod {
        inner: HttpTransport::new(&server.url),
        method: "GET",
    };
    let r = run(
        Arc::new(transport),
        cases(),
        &RunConfig::default(),
        &NoProgress,
        never_cancel(),
    )
    .await;
    assert_eq!(r.exit_code(), 2);
    let get = r.cases.iter().find(|c| c.id == "left-open/get").unwrap();
    assert_eq!(get.worst(), Status::Error);
    assert_eq!(get.transport_error.as_deref(), Some("connection reset by peer"));
    assert!(
        r.harness_errors.is_empty(),
        "the endpoint was reachable: {:?}",
        r.harness_errors
    );
}

#[tokio::test]
async fn a_tunnel_opened_by_a_cases_own_request_is_cleaned_up_too() {
    let server = TestServer::start(Fault::None, 1.0).await;
    let mut retargeted = cases().into_iter().find(|c| c.id == "left-open/get").unwrap();
    retargeted.id = "mutated/target-open-tunnel".into();
    retargeted.request = rotcheck::wire::HttpRequest::json("OpenTunnel", &serde_json::json!({}));
    let r = run(
        Arc::new(HttpTransport::new(&server.url)),
        vec![retargeted],
        &RunConfig::default(),
        &NoProgress,
        never_cancel(),
    )
    .await;
    assert_eq!(r.cases[0].response.as_ref().map(|x| x.status), Some(200));
    assert_eq!(r.exit_code(), 0);
    assert_eq!(server.tunnel_count(), 0);
}

#[tokio::test]
async fn many_cases_share_a_small_pool_of_tunnels() {
    let server = TestServer::start(Fault::None, 1.0).await;
    let many: Vec<_> = (0..10)
        .flat_map(|i| {
            cases().into_iter().map(move |mut c| {
                c.id = format!("{}/{i:02}", c.id);
                c
            })
        })
        .collect();
    let total = many.len();
    let config = RunConfig {
        concurrency: 4,
        ..RunConfig::default()
    };
    let r = run(
        Arc::new(HttpTransport::new(&server.url)),
        many,
        &config,
        &NoProgress,
        never_cancel(),
    )
    .await;
    // Every case, plus the aged-rotation scenario (on its own tunnel).
    assert_eq!(r.cases.len(), total + 1);
    assert!(r.cases.iter().any(|c| c.id == rotcheck::runner::aged::AGED_CASE_ID));
    assert_eq!(r.exit_code(), 0, "{:?}", r.failed_checks());
    let opened = r
        .cases
        .iter()
        .flat_map(|c| &c.exchanges)
        .filter(|x| x.request.operation() == Some("OpenTunnel"))
        .count();
    // At most `concurrency` tunnels per pool (plain OPEN, OPEN with a config, CLOSED), plus the
    // aged-rotation scenario's own tunnel.
    assert!(opened <= 4 * 3 + 1, "{opened} tunnels for {total} cases");
    assert_eq!(server.tunnel_count(), 0);
}
