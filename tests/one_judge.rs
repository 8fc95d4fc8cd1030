//! One judge everywhere (issue 18): `rotcheck run`, `rotcheck fuzz`, `rotcheck fuzz --sequences`
//! and the cargo-fuzz oracles hand their evidence to the one registry of checks, so a rule changed
//! in a check changes all four. Shown on one fault every path can see: `not-found-404` (an unknown
//! tunnel gets HTTP 404 instead of 400) is reported by each as the same check, `not-found`.

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use rotcheck::cases::{all_cases, embedded_fixtures, Expectation, TunnelState, TUNNEL_ID_PLACEHOLDER};
use rotcheck::checks::CheckId;
use rotcheck::client::{Client, ConnectOptions};
use rotcheck::fuzzing::driver::{SequenceEnd, Until};
use rotcheck::fuzzing::input::PreparedRequest;
use rotcheck::fuzzing::lifecycle::{lifecycle_bytes_with, LifecycleInput};
use rotcheck::fuzzing::sequences::{run_and_clean, ClientApi, EndpointClock};
use rotcheck::fuzzing::{self, notation, oracles, FuzzConfig};
use rotcheck::runner::{self, NoProgress, RunConfig};
use rotcheck::server::{self, Fault, RunningServer, ServerConfig};
use rotcheck::spec::facts;
use rotcheck::wire::HttpRequest;
use serde_json::json;

const FAULT: Fault = Fault::NotFound404;
const EXPECTED: CheckId = CheckId::NOT_FOUND;
/// Open a tunnel, then rotate the one past it: an id no tunnel has.
const SEQUENCE: &str = "open:12m rotate:unknown:ALL";

async fn faulty_server() -> RunningServer {
    let config = ServerConfig {
        faults: vec![FAULT],
        ..ServerConfig::default()
    };
    server::spawn(config, "127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("server starts")
}

fn client(srv: &RunningServer) -> Client {
    let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
    Client::for_endpoint(&srv.url(), "us-east-1", creds, &ConnectOptions::default()).expect("client")
}

/// `rotcheck run`: the catalog's unknown-tunnel cases through the runner.
async fn run(srv: &RunningServer) -> Vec<CheckId> {
    let cases: Vec<_> = all_cases(1, embedded_fixtures().expect("fixtures"))
        .expect("cases")
        .into_iter()
        .filter(|c| c.expect == Expectation::NotFound)
        .collect();
    assert!(!cases.is_empty(), "the catalog has unknown-tunnel cases");
    let config = RunConfig {
        endpoint: srv.url(),
        embedded: false,
        live: false,
        ..RunConfig::default()
    };
    let r = runner::run(
        Arc::new(client(srv)),
        cases,
        &config,
        &NoProgress,
        runner::never_cancel(),
    )
    .await;
    r.failed_checks()
}

/// `rotcheck fuzz`: a short campaign of the catalog's requests.
async fn fuzz(srv: &RunningServer) -> Vec<CheckId> {
    let config = FuzzConfig {
        duration: Duration::from_secs(5),
        max_findings: 3,
        shrink_time: Duration::from_secs(2),
        endpoint: srv.url(),
        embedded: false,
        ..FuzzConfig::default()
    };
    let summary = fuzzing::fuzz(
        Arc::new(client(srv)),
        &config,
        &fuzzing::campaign::NoFuzzProgress,
        runner::never_cancel(),
    )
    .await;
    summary.findings.iter().map(|f| f.check).collect()
}

/// `rotcheck fuzz --sequences --replay SEQUENCE`: the driver through the protocol client.
async fn sequences(srv: &RunningServer) -> Vec<CheckId> {
    let api = ClientApi {
        client: client(srv),
        clock: EndpointClock::Waited { time_scale: 1.0 },
        run_id: "one-judge".into(),
    };
    let steps = notation::parse(SEQUENCE).expect("a sequence");
    match run_and_clean(&api, &steps, Until::NEVER).await.0 {
        SequenceEnd::Violation { outcome, .. } => vec![outcome.check],
        other => panic!("the sequence did not fail: {other:?}"),
    }
}

/// The cargo-fuzz oracles: the `request` target's judge on the exchange of a valid rotation of an
/// unknown tunnel, and the `lifecycle` target's on the sequence's bytes.
async fn cargo_fuzz_oracles() -> Vec<CheckId> {
    let app = server::router(ServerConfig {
        faults: vec![FAULT],
        ..ServerConfig::default()
    });
    let prepared = PreparedRequest {
        tunnel: TunnelState::Unknown {
            id: "rotcheckUnknownTunnel1".into(),
        },
        request: HttpRequest::json(
            facts::ROTATE,
            &json!({"tunnelId": TUNNEL_ID_PLACEHOLDER, "clientMode": "ALL"}),
        ),
    };
    let (sent, opened) = oracles::exchange(&app, &prepared).await.expect("sent");
    let (req, resp) = sent.expect("a POST is sent");
    let request = oracles::judge_exchange(&prepared.tunnel, opened.as_deref(), &req, &resp, 1 << 20)
        .expect_err("the request oracle catches the fault");
    let input = LifecycleInput {
        steps: notation::parse(SEQUENCE).expect("a sequence"),
    };
    // The target runs the sequence on a runtime of its own, as libFuzzer calls it.
    let lifecycle = tokio::task::spawn_blocking(move || lifecycle_bytes_with(&input.encode(), &[FAULT]))
        .await
        .expect("the lifecycle oracle ran")
        .expect_err("the lifecycle oracle catches the fault");
    [request.check, lifecycle.check].into_iter().flatten().collect()
}

/// Guards the one judge: a rule lives once, in its check, and every path reports a fault by it.
/// Before, the request oracle and the lifecycle model each had their own not-found rule (and the
/// model's own 5xx, schema and token rules), which a fix in `checks/not_found.rs` did not reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_fault_is_reported_by_the_same_check_on_every_path() {
    let srv = faulty_server().await;
    let found = [
        ("rotcheck run", run(&srv).await),
        ("rotcheck fuzz", fuzz(&srv).await),
        ("rotcheck fuzz --sequences", sequences(&srv).await),
        ("cargo-fuzz oracles", cargo_fuzz_oracles().await),
    ];
    srv.shutdown().await;
    for (path, checks) in found {
        assert!(!checks.is_empty(), "{path}: the fault was not found");
        assert!(
            checks.iter().all(|c| *c == EXPECTED),
            "{path}: reported by {checks:?}, not only {EXPECTED}"
        );
    }
}
