//! Issue 10: the reference data plane over real sockets (handshake, single use, client tokens,
//! rotation, CloseTunnel, connection states), and `rotcheck run`'s data-plane scenarios against
//! it: the faithful server passes them, no token reaches any output, and without a data plane
//! the data-plane checks are skipped, never passed.

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use rotcheck::checks::CheckId;
use rotcheck::client::local_proxy::{Attempt, DataPlane, FirstMessage, Outcome};
use rotcheck::client::{Client, ConnectOptions};
use rotcheck::report::{json, junit, snapshot, summary, RenderOptions};
use rotcheck::runner::{self, DataPlaneTarget, NoProgress, RunConfig, RunResult, Status};
use rotcheck::secret::SecretString;
use rotcheck::server::{self, RunningServer, ServerConfig};
use serde_json::{json, Value};

async fn start() -> (RunningServer, Client, DataPlane) {
    let config = ServerConfig {
        time_scale: 60.0,
        ..ServerConfig::default()
    };
    let srv = server::spawn(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
    let client = Client::for_endpoint(&srv.url(), "us-east-1", creds, &ConnectOptions::default()).unwrap();
    let dp = DataPlane::new(
        &format!("ws://{}", srv.addr()),
        Duration::from_secs(5),
        Duration::from_secs(10),
    )
    .unwrap();
    (srv, client, dp)
}

async fn call(client: &Client, op: &str, body: Value) -> Value {
    let resp = client.call(op, &body).await.unwrap();
    assert!(resp.is_success(), "{op}: HTTP {}", resp.status);
    resp.body_json().unwrap_or(Value::Null)
}

fn token(v: &Value, member: &str) -> SecretString {
    SecretString::new(v[member].as_str().unwrap())
}

/// The status of a handshake: 101 (closed again at once, after reading SERVICE_IDS) or the refusal's.
async fn status(dp: &DataPlane, attempt: Attempt) -> (u16, String) {
    match dp.connect(&attempt).await.unwrap() {
        Outcome::Refused(r) => (r.status, r.body_prefix),
        Outcome::Connected(mut c) => {
            assert!(matches!(c.first_message(Duration::from_secs(2)).await, FirstMessage::Message(m) if m.r#type == 5));
            c.close().await;
            (101, String::new())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_single_use_client_tokens_reconnect_and_rotation_revokes_only_the_rotated_side() {
    let (srv, client, dp) = start().await;
    let opened = call(
        &client,
        "OpenTunnel",
        json!({"destinationConfig": {"services": ["SSH"]}}),
    )
    .await;
    let (source, destination) = (
        token(&opened, "sourceAccessToken"),
        token(&opened, "destinationAccessToken"),
    );

    // The wrong mode is refused without spending the token.
    assert_eq!(status(&dp, Attempt::new("destination", source.clone())).await.0, 400);
    match dp.connect(&Attempt::new("source", source.clone())).await.unwrap() {
        Outcome::Connected(mut c) => {
            assert!(c.accepted.channel_id.is_some() && c.accepted.accept_key_ok);
            assert_eq!(c.accepted.subprotocol.as_deref(), Some("aws.iot.securetunneling-3.0"));
            match c.first_message(Duration::from_secs(2)).await {
                FirstMessage::Message(m) => {
                    assert_eq!((m.r#type, m.available_service_ids), (5, vec!["SSH".to_owned()]))
                }
                other => panic!("{other:?}"),
            }
            c.close().await;
        }
        Outcome::Refused(r) => panic!("{r:?}"),
    }
    let (code, body) = status(&dp, Attempt::new("source", source.clone())).await;
    assert_eq!(code, 400);
    assert!(body.starts_with("Invalid access token:"), "{body}");

    let mut bound = Attempt::new("destination", destination.clone());
    bound.client_token = Some("a".repeat(40));
    bound.via_cookie = true;
    assert_eq!(status(&dp, bound.clone()).await.0, 101);
    assert_eq!(status(&dp, bound.clone()).await.0, 101, "same client token reconnects");
    bound.client_token = Some("b".repeat(40));
    let (code, body) = status(&dp, bound).await;
    assert_eq!(code, 400);
    assert!(body.starts_with("Invalid client token:"), "{body}");

    // A SOURCE rotation: the old source token is refused, the new one connects; the destination
    // side keeps its token (and its client-token binding).
    let rotated = call(
        &client,
        "RotateTunnelAccessToken",
        json!({"tunnelId": opened["tunnelId"], "clientMode": "SOURCE"}),
    )
    .await;
    let mut again = Attempt::new("destination", destination);
    again.client_token = Some("a".repeat(40));
    assert_eq!(status(&dp, again).await.0, 101);
    assert_eq!(
        status(&dp, Attempt::new("source", token(&rotated, "sourceAccessToken")))
            .await
            .0,
        101
    );
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_state_follows_connections_and_close_tunnel_ends_them() {
    let (srv, client, dp) = start().await;
    let opened = call(&client, "OpenTunnel", json!({})).await;
    let id = opened["tunnelId"].clone();
    let state = |d: &Value, side: &str| d["tunnel"][format!("{side}ConnectionState")]["status"].clone();
    let d = call(&client, "DescribeTunnel", json!({"tunnelId": id})).await;
    assert_eq!(state(&d, "source"), "DISCONNECTED");
    let Outcome::Connected(mut conn) = dp
        .connect(&Attempt::new("source", token(&opened, "sourceAccessToken")))
        .await
        .unwrap()
    else {
        panic!("refused")
    };
    conn.first_message(Duration::from_secs(2)).await;
    let d = call(&client, "DescribeTunnel", json!({"tunnelId": id})).await;
    assert_eq!(
        (state(&d, "source"), state(&d, "destination")),
        (json!("CONNECTED"), json!("DISCONNECTED"))
    );
    call(&client, "CloseTunnel", json!({"tunnelId": id})).await;
    assert!(
        conn.closed_within(Duration::from_secs(2)).await,
        "CloseTunnel ends the connection"
    );
    let (code, _) = status(
        &dp,
        Attempt::new("destination", token(&opened, "destinationAccessToken")),
    )
    .await;
    assert_eq!(code, 400, "a CLOSED tunnel's token is refused");
    srv.shutdown().await;
}

async fn run(data_plane: bool) -> RunResult {
    let (srv, client, _) = start().await;
    let cases = rotcheck::cases::all_cases(1, rotcheck::cases::embedded_fixtures().unwrap()).unwrap();
    let config = RunConfig {
        seed: 1,
        time_scale: 60.0,
        only: Some("scenario/*".into()),
        endpoint: srv.url(),
        embedded: false,
        data_plane: if data_plane {
            DataPlaneTarget::Url(format!("ws://{}", srv.addr()))
        } else {
            DataPlaneTarget::default()
        },
        ..RunConfig::default()
    };
    let r = runner::run(Arc::new(client), cases, &config, &NoProgress, runner::never_cancel()).await;
    srv.shutdown().await;
    r
}

/// Every access token the run received, from the raw (unredacted) exchanges.
fn tokens_seen(r: &RunResult) -> Vec<String> {
    let mut out = Vec::new();
    for e in r.cases.iter().flat_map(|c| &c.exchanges) {
        if let Some(v) = e.response.as_ref().and_then(|r| r.body_json()) {
            for m in ["sourceAccessToken", "destinationAccessToken"] {
                out.extend(v[m].as_str().map(str::to_owned));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_passes_the_faithful_data_plane_and_leaks_no_token() {
    let r = run(true).await;
    let failures: Vec<String> = r
        .cases
        .iter()
        .flat_map(|c| c.outcomes.iter().map(move |o| (c, o)))
        .filter(|(_, o)| matches!(o.status, Status::Fail | Status::Error))
        .map(|(c, o)| format!("{} {}: {} {:?}", c.id, o.check, o.message, o.actual))
        .collect();
    assert_eq!(r.exit_code(), 0, "{failures:#?} {:?}", r.harness_errors);
    let tally = r.tally();
    for id in [
        CheckId::HANDSHAKE,
        CheckId::TOKEN_REVOKED,
        CheckId::TOKEN_SINGLE_USE,
        CheckId::CONNECTION_STATE,
    ] {
        let t = tally.iter().find(|(c, _)| *c == id).unwrap().1;
        assert!(t.pass >= 1 && t.fail == 0, "{id}: {t:?}");
    }
    let rotated = tally.iter().find(|(c, _)| *c == CheckId::ROTATED_CONNECTION).unwrap().1;
    assert_eq!(rotated.advisory, 1, "the open question is only an advisory");

    let tokens = tokens_seen(&r);
    assert!(tokens.len() >= 10, "the scenarios opened and rotated tunnels");
    let verbose = RenderOptions {
        verbose: true,
        ..RenderOptions::default()
    };
    let outputs = [
        summary::render(&r, &verbose),
        json::render(&r, &verbose),
        junit::render(&r, &verbose).unwrap(),
        serde_json::to_string(&snapshot::snapshot(&r)).unwrap(),
    ];
    for text in &outputs {
        for t in &tokens {
            assert!(!text.contains(t.as_str()), "a token reached an output");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_data_plane_its_checks_are_skipped_not_passed() {
    let r = run(false).await;
    assert_eq!(r.exit_code(), 0);
    for id in [
        CheckId::TOKEN_REVOKED,
        CheckId::TOKEN_SINGLE_USE,
        CheckId::CONNECTION_STATE,
    ] {
        let s = r.skipped_checks.iter().find(|s| s.check == id).expect("skipped");
        assert!(s.reason.starts_with("no data plane given"), "{}", s.reason);
        let t = r.tally().into_iter().find(|(c, _)| *c == id).unwrap().1;
        assert_eq!(t.pass, 0, "{id} never passes without a data plane");
    }
    let text = summary::render(&r, &RenderOptions::default());
    // One line for the checks skipped for the same reason.
    assert!(
        text.lines()
            .any(|l| l.contains("token-revoked, token-single-use") && l.contains("skipped: no data plane given")),
        "{text}"
    );
}
