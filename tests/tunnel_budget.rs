//! Issue 9: tunnels on a budget. A run never holds more tunnels than `--max-tunnels`, tags each
//! one with its run id, and deletes every one it opened even when SIGTERM (what CI sends on
//! cancel) stops it mid-run; `rotcheck cleanup` deletes what a killed run left.
//! Issue 16: a run opens two tunnels whatever the budget, always finishes (a watchdog stops a
//! run that no longer progresses), and `--plan` tells the cost before anything is sent.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::Arc;
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

/// Run `cmd` to its end off the async runtime: its exit code, and stdout and stderr as text.
async fn finished(mut cmd: Command) -> (Option<i32>, String) {
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

fn rotcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rotcheck"));
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_IOTSECURETUNNELING");
    c
}

const KEY_ID: &str = "AKIDBUDGET";
const SECRET: &str = "budget-secret";

/// `rotcheck serve --production-like` in-process (SigV4, throttling, a quota of 10 tunnels,
/// transient 5xx, the expiry sweep) at time scale 60, with `faults`.
async fn production_like(faults: Vec<server::Fault>) -> RunningServer {
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

/// `rotcheck run` against `srv` and its data plane (signed with the server's keys), with `extra`.
async fn run_against(srv: &RunningServer, extra: &[&str]) -> (Option<i32>, String, Value) {
    let url = srv.url();
    let dp = format!("ws://{}", srv.addr());
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.json");
        let out = rotcheck()
            .args([
                "run",
                "--no-progress",
                "--endpoint",
                &url,
                "--data-plane",
                &dp,
                "--time-scale",
                "60",
            ])
            .args(&extra)
            .arg("--report-json")
            .arg(&report)
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .output()
            .unwrap();
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let report = std::fs::read(&report)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        (out.status.code(), text, report)
    })
    .await
    .unwrap()
}

/// How many outcomes of `check` the JSON report counts as `status`.
fn tally(report: &Value, check: &str, status: &str) -> u64 {
    report["summary"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == check)
        .and_then(|c| c[status].as_u64())
        .unwrap_or(0)
}

/// Issue 16: the run that never finished (a tunnel budget with a data plane, the defaults
/// against AWS) finishes at every budget at once and every concurrency, on two tunnels (the
/// server's own count), with every data-plane check judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_budget_and_concurrency_finishes_on_two_tunnels() {
    let mut runs = tokio::task::JoinSet::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(4));
    for m in 1..=5u32 {
        for c in 1..=4u32 {
            let slots = Arc::clone(&slots);
            runs.spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                let srv = production_like(Vec::new()).await;
                let started = Instant::now();
                let (code, text, report) = run_against(
                    &srv,
                    &["--max-tunnels", &m.to_string(), "--concurrency", &c.to_string()],
                )
                .await;
                let opened = srv.tunnels_opened();
                srv.shutdown().await;
                (m, c, code, text, report, opened, started.elapsed())
            });
        }
    }
    let mut problems = Vec::new();
    while let Some(joined) = runs.join_next().await {
        let (m, c, code, text, report, opened, took) = joined.unwrap();
        let judged = |check: &str| tally(&report, check, "pass");
        if code != Some(0) || opened > 3 || judged("token-revoked") != 3 || judged("closed-tunnel") == 0 {
            problems.push(format!(
                "--max-tunnels {m} --concurrency {c}: exit {code:?}, {opened} tunnels opened (server), {took:?}\n{text}"
            ));
        }
        if report["tunnels"]["opened"].as_u64() != Some(opened) {
            problems.push(format!(
                "--max-tunnels {m} --concurrency {c}: the report says {} tunnels opened, the server {opened}",
                report["tunnels"]["opened"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// An implementation that closes the tunnel on every rotation would make the runner replace it
/// again and again: `--max-tunnels-opened` caps that, the failure is still found (exit 1), and
/// the summary says the budget ran out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_in_all_stops_opening_and_keeps_the_finding() {
    let srv = production_like(vec![server::Fault::RotationClosesTunnel]).await;
    let (code, text, report) = run_against(&srv, &["--max-tunnels-opened", "3", "--max-tunnels", "5"]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        srv.tunnels_opened() <= 3,
        "{} tunnels opened\n{text}",
        srv.tunnels_opened()
    );
    assert!(tally(&report, "duration-static", "fail") > 0, "{text}");
    assert!(text.contains("tunnel budget is spent"), "{text}");
    srv.shutdown().await;
}

/// `--plan` sends nothing (there is no server on that port) and says what the run would use.
#[test]
fn plan_prints_the_footprint_without_sending_anything() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let out = rotcheck()
        .args(["run", "--endpoint", &url, "--time-scale", "60", "--plan", "--rate", "5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("2 tunnel(s) opened") && stdout.contains("requests") && stdout.contains("--rate 5"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing was sent"), "{stdout}");
    assert!(listener.accept().is_err(), "--plan connected to the endpoint");
}

/// A budget in all below what the run needs is refused up front (exit 2), naming the way out.
#[test]
fn a_budget_below_the_plan_is_a_usage_error() {
    let out = rotcheck()
        .args([
            "run",
            "--endpoint",
            "http://127.0.0.1:1",
            "--time-scale",
            "60",
            "--max-tunnels-opened",
            "1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--max-tunnels-opened 1 is below the 2 tunnels") && stderr.contains("--no-live"),
        "{stderr}"
    );
}

/// An endpoint that answers the preflight, then accepts connections and never answers: the
/// watchdog stops the run with exit 2 and names what it was waiting for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchdog_stops_a_run_the_endpoint_stopped_answering() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let answered = Arc::clone(&answered);
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = vec![0u8; 65536];
                loop {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if answered.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        // Hold the connection: never answer again.
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                    let body = r#"{"tunnelSummaries":[]}"#;
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                }
            });
        }
    });
    let started = Instant::now();
    let mut cmd = rotcheck();
    cmd.args(["run", "--no-progress", "--endpoint", &url, "--time-scale", "60"])
        .args(["--timeout", "1", "--retry-base", "0.05", "--stall-timeout", "2"]);
    let (code, text) = finished(cmd).await;
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("made no progress"), "{text}");
    assert!(
        text.contains("waiting for:") && text.contains("the answer to OpenTunnel"),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}\n{text}",
        started.elapsed()
    );
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
        if open >= 1 {
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

/// `rotcheck fuzz` (requests) keeps its tunnels from batch to batch: two against a conformant
/// endpoint; against one that closes a tunnel on every rotation, never more than
/// `--max-tunnels-opened`, and it stops saying so (with the finding: exit 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_fuzzer_keeps_its_tunnels_and_its_budget() {
    for (faults, budget, want_exit) in [
        (Vec::new(), "3", 0),
        (vec![server::Fault::RotationClosesTunnel], "3", 1),
    ] {
        let srv = production_like(faults.clone()).await;
        let url = srv.url();
        let mut cmd = rotcheck();
        cmd.args(["fuzz", "--no-progress", "--endpoint", &url, "--duration", "6s"])
            .args(["--max-tunnels-opened", budget])
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET);
        let (code, text) = finished(cmd).await;
        let opened = srv.tunnels_opened();
        assert_eq!(code, Some(want_exit), "faults {faults:?}\n{text}");
        assert!(opened <= 3, "faults {faults:?}: {opened} tunnels opened\n{text}");
        assert!(
            text.contains("budget: at most 3 tunnel(s) opened"),
            "the first line states the budget\n{text}"
        );
        if faults.is_empty() {
            assert!(
                opened <= 2,
                "a conformant endpoint needs two tunnels, {opened} opened\n{text}"
            );
        } else {
            assert!(text.contains("tunnel budget spent"), "{text}");
        }
        srv.shutdown().await;
    }
}
