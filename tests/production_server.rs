//! Issue 9: the harness against `rotcheck serve` with production-like behaviour (throttling, a
//! tunnel quota, transient 5xx, SigV4 enforcement, expiry by sweep), and the server's own
//! fidelity: createdAt and the lifecycle agree, as a client computes them.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use rotcheck::client::{Client, ConnectOptions};
use rotcheck::server::{self, ServerConfig};
use serde_json::{json, Value};

fn opts() -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

async fn call(client: &Client, op: &str, body: Value) -> Value {
    let resp = client.call(op, &body).await.expect("answer");
    assert!(resp.is_success(), "{op}: HTTP {}", resp.status);
    resp.body_json().expect("JSON")
}

/// Regression (issue 9, item 8): createdAt was reported in whole seconds while the expiry ran
/// from the precise creation instant, so a client waiting until createdAt + lifetime + a little
/// still saw the tunnel OPEN at time scale 60 (where a tunnel-minute lasts one second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_computed_from_the_reported_created_at_holds() {
    for variants in [vec![], vec![rotcheck::server::Variant::FractionalTimestamps]] {
        let config = ServerConfig {
            time_scale: 60.0,
            variants,
            ..ServerConfig::default()
        };
        let srv = server::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .unwrap();
        let creds = Credentials::new("AKIDTEST", "secret", None, None, "test");
        let client = Client::for_endpoint(&srv.url(), "us-east-1", creds, &opts()).unwrap();
        let opened = call(
            &client,
            "OpenTunnel",
            json!({"timeoutConfig": {"maxLifetimeTimeoutMinutes": 1}}),
        )
        .await;
        let id = opened["tunnelId"].as_str().unwrap().to_owned();
        let described = call(&client, "DescribeTunnel", json!({"tunnelId": id})).await;
        let created = described["tunnel"]["createdAt"].as_f64().unwrap();
        // As a client computes it: createdAt + 1 tunnel-minute (1 s at time scale 60).
        let expiry = UNIX_EPOCH + Duration::from_secs_f64(created + 1.0);
        let wait_until = |t: SystemTime| async move {
            if let Ok(d) = t.duration_since(SystemTime::now()) {
                tokio::time::sleep(d).await;
            }
        };
        wait_until(expiry - Duration::from_millis(150)).await;
        let before = call(&client, "DescribeTunnel", json!({"tunnelId": id})).await;
        wait_until(expiry + Duration::from_millis(100)).await;
        let after = call(&client, "DescribeTunnel", json!({"tunnelId": id})).await;
        // The first read may race a slow machine; only the second one is decisive.
        assert_eq!(
            after["tunnel"]["status"], "CLOSED",
            "createdAt {created}: still open after the expiry"
        );
        if SystemTime::now() < expiry {
            assert_eq!(before["tunnel"]["status"], "OPEN");
        }
        srv.shutdown().await;
    }
}

const KEY_ID: &str = "AKIDPRODLIKE";
const SECRET: &str = "production-like-secret";

/// `rotcheck serve --production-like` in-process: SigV4 with the keys above, throttling, the
/// tunnel quota, transient 5xx and the expiry sweep, at time scale 60.
async fn production_like(faults: Vec<server::Fault>) -> server::RunningServer {
    let config = ServerConfig {
        time_scale: 60.0,
        verify_sigv4: Some(server::SigV4Keys::new(KEY_ID, SECRET)),
        max_tunnels: server::production::REALISTIC_TUNNEL_QUOTA,
        production: server::production::realistic(1),
        faults,
        ..ServerConfig::default()
    };
    server::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap()
}

struct Outcome {
    code: Option<i32>,
    report: Value,
    stdout: String,
    stderr: String,
}

/// `rotcheck run --endpoint URL --time-scale 60 [extra]` with the given secret key.
fn run_cli(url: &str, secret: &str, extra: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args([
            "run",
            "--no-progress",
            "--endpoint",
            url,
            "--time-scale",
            "60",
            "--report-json",
        ])
        .arg(&report)
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("rotcheck runs");
    let report = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    Outcome {
        code: out.status.code(),
        report,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn run_against(faults: Vec<server::Fault>, secret: &'static str, extra: &'static [&'static str]) -> Outcome {
    let srv = production_like(faults).await;
    let url = srv.url();
    let out = tokio::task::spawn_blocking(move || run_cli(&url, secret, extra))
        .await
        .expect("join");
    srv.shutdown().await;
    out
}

/// Issue 9 acceptance: the faithful server with every production-like option on passes, and the
/// run stays within the tunnel quota by waiting for its own tunnels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faithful_production_like_server_passes() {
    let out = run_against(vec![], SECRET, &[]).await;
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let retried = out.report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["exchanges"].as_array().unwrap())
        .filter(|x| x["attempts"].as_u64() > Some(1))
        .count();
    assert!(retried > 0, "throttling and transient errors were met and retried");
}

/// Issue 9 acceptance: a fault is still caught, by the same check as without the options.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_still_caught_by_the_same_check() {
    use server::Fault;
    for (fault, check) in [
        (Fault::NotFound404, "not-found"),
        (Fault::ServerErrorOnMalformedJson, "no-5xx"),
        (Fault::ExtendLifetimeHidden, "duration-live"),
    ] {
        let out = run_against(vec![fault], SECRET, &[]).await;
        assert_eq!(out.code, Some(1), "{fault:?}\n{}\n{}", out.stdout, out.stderr);
        let failed = out.report["summary"]["failed_checks"].as_array().unwrap();
        assert!(failed.iter().any(|c| c == check), "{fault:?}: {failed:?}");
    }
}

/// Issue 9 acceptance: a wrong secret key is a setup error (exit 2) that names credentials,
/// not a "not-found" violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_key_is_a_setup_error_naming_credentials() {
    let out = run_against(vec![], "not-the-secret", &[]).await;
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("credentials"), "{}", out.stdout);
    assert!(out.report["setup_failure"].as_str().unwrap().contains("credentials"));
    assert!(
        out.report["cases"].as_array().unwrap().is_empty(),
        "the preflight stopped the run"
    );
}
