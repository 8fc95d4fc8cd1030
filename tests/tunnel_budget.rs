//! Issue 9: tunnels on a budget. A run never holds more tunnels than `--max-tunnels`, tags each
//! one with its run id, and deletes every one it opened even when SIGTERM (what CI sends on
//! cancel) stops it mid-run; `rotcheck cleanup` deletes what a killed run left.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use rotcheck::client::{Client, ConnectOptions};
use rotcheck::server::{self, RunningServer, ServerConfig};
use serde_json::{json, Value};

async fn start() -> (RunningServer, Client) {
    let config = ServerConfig {
        time_scale: 60.0,
        ..ServerConfig::default()
    };
    let srv = server::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let creds = Credentials::new("AKIDTEST", "secret", None, None, "test");
    let client = Client::for_endpoint(&srv.url(), "us-east-1", creds, &ConnectOptions::default()).unwrap();
    (srv, client)
}

/// The tunnels the endpoint still has: (id, status, rotcheck-run tag).
async fn tunnels(client: &Client) -> Vec<(String, String, Option<String>)> {
    let listed = client
        .call("ListTunnels", &json!({}))
        .await
        .unwrap()
        .body_json()
        .unwrap();
    let mut out = Vec::new();
    for s in listed["tunnelSummaries"].as_array().unwrap() {
        let id = s["tunnelId"].as_str().unwrap().to_owned();
        let d = client
            .call("DescribeTunnel", &json!({"tunnelId": id}))
            .await
            .unwrap()
            .body_json()
            .unwrap();
        let tag = d["tunnel"]["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["key"] == "rotcheck-run")
            .and_then(|t| t["value"].as_str())
            .map(str::to_owned);
        out.push((id, s["status"].as_str().unwrap_or("?").to_owned(), tag));
    }
    out
}

fn rotcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rotcheck"));
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_IOTSECURETUNNELING");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_holds_at_most_max_tunnels_and_reports_it() {
    let (srv, _client) = start().await;
    let url = srv.url();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let out = {
        let report = report.clone();
        tokio::task::spawn_blocking(move || {
            rotcheck()
                .args([
                    "run",
                    "--no-progress",
                    "--endpoint",
                    &url,
                    "--time-scale",
                    "60",
                    "--max-tunnels",
                    "2",
                ])
                .arg("--report-json")
                .arg(&report)
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let peak = r["tunnels"]["peak"].as_u64().unwrap();
    assert!((1..=2).contains(&peak), "peak {peak}");
    assert!(r["tunnels"]["opened"].as_u64().unwrap() > 2);
    assert!(stdout.contains("at most"), "{stdout}");
    srv.shutdown().await;
}

/// After a SIGTERM mid-run, no tunnel the run opened is left (checked with ListTunnels), and a
/// tunnel left by a run that could not clean up (simulated: tagged by hand) goes with cleanup.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_run_leaves_no_tunnel_and_cleanup_finds_leftovers() {
    let (srv, client) = start().await;
    let url = srv.url();
    // Slowed down (--rate) so that the signal lands mid-run.
    let child = rotcheck()
        .args([
            "run",
            "--no-progress",
            "--endpoint",
            &url,
            "--time-scale",
            "60",
            "--rate",
            "20",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let open = tunnels(&client).await.iter().filter(|t| t.2.is_some()).count();
        if open >= 2 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the run opened no tunnel");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    let left = tunnels(&client).await;
    assert!(left.is_empty(), "tunnels left after SIGTERM: {left:?}");

    // A leftover of an interrupted run: found by its tag, deleted; an untagged tunnel stays.
    let tagged = json!({"tags": [{"key": "rotcheck-run", "value": "1-deadbeef"}]});
    client.call("OpenTunnel", &tagged).await.unwrap();
    client.call("OpenTunnel", &json!({})).await.unwrap();
    let url = srv.url();
    let out = tokio::task::spawn_blocking(move || rotcheck().args(["cleanup", "--endpoint", &url]).output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("1 of 1 tunnel(s) deleted"), "{stdout}");
    let left = tunnels(&client).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].2, None, "only the untagged tunnel remains");
    srv.shutdown().await;
}
