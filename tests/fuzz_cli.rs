//! `rotcheck fuzz` end to end: the built-in target has no finding (exit 0); a server answering
//! malformed JSON with HTTP 500 is caught (exit 1) with a shrunk curl reproduction.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Output};

use rotcheck::server::{self, Fault, ServerConfig};

/// `rotcheck fuzz ARGS --duration 2s`.
fn fuzz(args: &[&str]) -> Output {
    rotcheck_fuzz(&[args, &["--duration", "2s"]].concat())
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_built_in_target_has_no_finding() {
    let o = fuzz(&["--seed", "3"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("0 finding(s)"), "{out}");
    assert!(out.contains("requests/s"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_on_malformed_json_is_found_and_shrunk() {
    let config = ServerConfig {
        faults: vec![Fault::ServerErrorOnMalformedJson],
        ..ServerConfig::default()
    };
    let srv = server::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("server starts");
    let url = srv.url();
    let o = tokio::task::spawn_blocking(move || fuzz(&["--endpoint", &url, "--max-findings", "2"]))
        .await
        .expect("fuzz ran");
    srv.shutdown().await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("finding 1: no-5xx"), "{out}");
    assert!(
        out.contains("actual:   request RotateTunnelAccessToken: HTTP 500"),
        "{out}"
    );
    // The reproduction is a curl command with a body cut down to a few bytes.
    let repro = out
        .find("curl -sS")
        .map(|i| &out[i..])
        .unwrap_or_else(|| panic!("a curl reproduction in: {out}"));
    assert!(
        repro.contains("X-Amz-Target: IoTSecuredTunneling.RotateTunnelAccessToken"),
        "{repro}"
    );
    let shrunk = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("shrunk: body "))
        .and_then(|l| l.split(" -> ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("a shrink line in: {out}"));
    assert!(shrunk <= 8, "shrunk to {shrunk} bytes: {out}");
    assert!(
        !out.contains("AccessToken\":\""),
        "no token values in the output: {out}"
    );
}

#[test]
fn seeds_and_dictionary_are_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = fuzz(&["--write-seeds", &dir.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for t in ["request", "raw", "response", "sigv4"] {
        assert!(
            std::fs::read_dir(dir.path().join(t)).map(|d| d.count()).unwrap_or(0) > 100,
            "{t}"
        );
    }
    let dict = dir.path().join("rotcheck.dict");
    let o = fuzz(&["--write-dict", &dict.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(std::fs::read_to_string(dict)
        .unwrap_or_default()
        .contains("\"X-Amz-Target\""));
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["--duration", "0s"][..],
        &["--concurrency", "0"],
        &["--duration", "soon"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
            .arg("fuzz")
            .args(args)
            .output()
            .expect("rotcheck runs");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
    }
}

#[test]
fn an_unreachable_endpoint_is_a_setup_error() {
    // A port nothing listens on: bind, take the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let o = fuzz(&["--endpoint", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `rotcheck fuzz ARGS` (no default duration).
fn rotcheck_fuzz(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .arg("fuzz")
        .args(args)
        .arg("--no-progress")
        // No credentials from the developer's environment or files; never the metadata service.
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("rotcheck runs")
}

/// A reference server on 127.0.0.1 with `faults`, its tunnel clock 60 times faster than real time.
async fn fast_server(faults: Vec<Fault>) -> server::RunningServer {
    let config = ServerConfig {
        faults,
        time_scale: 60.0,
        ..ServerConfig::default()
    };
    server::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("server starts")
}

#[test]
fn sequences_against_the_built_in_target_find_nothing() {
    let o = fuzz(&["--sequences", "--seed", "2"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("0 finding(s)") && out.contains("sequences/s"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recycled_token_is_found_by_sequences_shrunk_and_replayed() {
    let srv = fast_server(vec![Fault::TokensRecycled]).await;
    let url = srv.url();
    let args = ["--sequences", "--endpoint", &url, "--max-findings", "1"];
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let o = tokio::task::spawn_blocking(move || fuzz(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .expect("fuzz ran");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("finding 1: token-fresh"), "{out}");
    assert!(
        out.contains("spec (RotateTunnelAccessToken.txt): \"Revokes"),
        "the spec sentence is cited: {out}"
    );
    // The reproduction replays the shrunk sequence: a tunnel and two rotations at most.
    let replay = out
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&format!("rotcheck fuzz --endpoint {url} --sequences --replay '"))
        })
        .and_then(|l| l.strip_suffix('\''))
        .unwrap_or_else(|| panic!("a replay command in: {out}"))
        .to_owned();
    assert!(replay.split(' ').count() <= 4, "shrunk: {replay}");
    let again = {
        let (url, replay) = (url.clone(), replay.clone());
        tokio::task::spawn_blocking(move || rotcheck_fuzz(&["--endpoint", &url, "--replay", &replay]))
            .await
            .expect("replay ran")
    };
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("finding: token-fresh"), "{}", text(&again));
    srv.shutdown().await;

    // The same sequence passes against the faithful server.
    let faithful = fast_server(Vec::new()).await;
    let url = faithful.url();
    let o = tokio::task::spawn_blocking(move || rotcheck_fuzz(&["--endpoint", &url, "--replay", &replay]))
        .await
        .expect("replay ran");
    faithful.shutdown().await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("passed"), "{}", text(&o));
}

/// A hidden lifetime extension shows only when time passes: a 6-minute tunnel rotated at minute 5
/// of tunnel time is still OPEN at minute 9 (its expiry moved to minute 11). Time steps wait for
/// real on a server whose clock runs 60 times faster (about 9 s here); the margins either side
/// (3 and 2 tunnel-minutes, a second each) leave room for the model's latency slack on a busy
/// machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_lifetime_extension_is_found_by_a_sequence_that_lets_time_pass() {
    const SEQUENCE: &str = "open:6m advance:300s rotate:#0:SOURCE advance:240s list";
    for (faults, code, expect) in [
        (vec![Fault::ExtendLifetimeHidden], 1, "finding: duration-live"),
        (Vec::new(), 0, "passed"),
    ] {
        let srv = fast_server(faults).await;
        let url = srv.url();
        let o = tokio::task::spawn_blocking(move || {
            rotcheck_fuzz(&["--endpoint", &url, "--time-scale", "60", "--replay", SEQUENCE])
        })
        .await
        .expect("replay ran");
        srv.shutdown().await;
        assert_eq!(o.status.code(), Some(code), "{}", text(&o));
        assert!(text(&o).contains(expect), "{}", text(&o));
    }
}

#[test]
fn sequence_flags_that_cannot_apply_are_usage_errors() {
    for (args, why) in [
        (
            &["--time-scale", "60", "--duration", "1s"][..],
            "--time-scale applies to --sequences",
        ),
        (
            &["--sequences", "--time-scale", "60", "--duration", "1s"],
            "--time-scale is for --endpoint",
        ),
        (&["--replay", "rotate:#0:ALL"], "only 0 tunnel(s)"),
        (&["--replay", "open:2m", "--duration", "5s"], "cannot be used with"),
        (&["--replay", "open:2m", "--concurrency", "8"], "cannot be used with"),
        (
            &["--replay", "open:2m advance:40s", "--endpoint", "http://127.0.0.1:9"],
            "lets time pass",
        ),
    ] {
        let o = rotcheck_fuzz(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(why), "{args:?}: {}", text(&o));
    }
}

/// An interruption (SIGINT) stops `rotcheck fuzz --sequences` with 130 and leaves no tunnel: the
/// running sequences stop at their next step and delete what they opened, and on a tunnel budget
/// the tunnels kept between sequences are deleted too.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_sequence_campaign_leaves_no_tunnel() {
    for budget in [None, Some("10")] {
        let srv = fast_server(Vec::new()).await;
        let url = srv.url();
        let home = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_rotcheck"));
        command.args([
            "fuzz",
            "--sequences",
            "--endpoint",
            &url,
            "--time-scale",
            "60",
            "--duration",
            "60s",
        ]);
        if let Some(b) = budget {
            command.args(["--max-tunnels-opened", b]);
        }
        let child = command
            .arg("--no-progress")
            .env_clear()
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("rotcheck starts");
        // Mid-campaign: some sequence has a tunnel open.
        let started = std::time::Instant::now();
        while tunnels_listed(&url).await == 0 {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "no tunnel was opened"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let killed = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(130), "budget {budget:?}: {}", text(&out));
        assert_eq!(
            tunnels_listed(&url).await,
            0,
            "budget {budget:?}: tunnels left: {}",
            text(&out)
        );
        srv.shutdown().await;
    }
}

/// Tunnels the server at `url` lists (each page of 100 is enough here).
async fn tunnels_listed(url: &str) -> usize {
    use rotcheck::wire::HttpRequest;
    let client = rotcheck::client::Client::for_endpoint(
        url,
        "us-east-1",
        aws_credential_types::Credentials::new("AKIDTEST", "secret", None, None, "test"),
        &rotcheck::client::ConnectOptions::default(),
    )
    .expect("a client");
    let resp = client
        .send(&HttpRequest::json(
            "ListTunnels",
            &serde_json::json!({"maxResults": 100}),
        ))
        .await
        .expect("ListTunnels");
    resp.body_json()
        .and_then(|b| b["tunnelSummaries"].as_array().map(Vec::len))
        .unwrap_or(0)
}

/// The number in the summary's "N tunnel(s) opened".
fn tunnels_reported(out: &str) -> u64 {
    out.split(" tunnel(s) opened)")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a tunnel count in the summary: {out}"))
}

/// Guards the bill against AWS: `--max-tunnels-opened` is the most tunnels a sequence campaign
/// opens in all (shrinking and the re-runs of findings included), by the server's own count; the
/// summary reports the same number, and no tunnel is left open at the end (the ones kept between
/// sequences are deleted too). Before the budget, 10 s of sequences opened 133 tunnels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequence_campaign_never_opens_more_tunnels_than_its_budget() {
    for (budget, faults, code) in [
        (3, Vec::new(), 0),
        (10, Vec::new(), 0),
        // A finding is re-run, then shrunk: on the same budget.
        (3, vec![Fault::TokensRecycled], 1),
    ] {
        let srv = fast_server(faults.clone()).await;
        let url = srv.url();
        let args: Vec<String> = [
            "--sequences",
            "--endpoint",
            &url,
            "--time-scale",
            "60",
            "--max-tunnels-opened",
            &budget.to_string(),
            "--duration",
            "6s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o =
            tokio::task::spawn_blocking(move || rotcheck_fuzz(&args.iter().map(String::as_str).collect::<Vec<_>>()))
                .await
                .expect("fuzz ran");
        let out = text(&o);
        let what = format!("budget {budget}, faults {faults:?}");
        assert_eq!(o.status.code(), Some(code), "{what}: {out}");
        let opened = srv.tunnels_opened();
        assert!(opened <= budget, "{what}: the server opened {opened} tunnels: {out}");
        assert!(opened > 0, "{what}: {out}");
        assert_eq!(tunnels_reported(&out), opened, "{what}: {out}");
        assert_eq!(tunnels_listed(&url).await, 0, "{what}: tunnels left open: {out}");
        srv.shutdown().await;
    }
}

/// A campaign whose tunnel budget is spent before --duration stops there: exit 0 without a
/// finding, and it says why it stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_tunnel_budget_stops_the_campaign_with_exit_0_and_says_so() {
    let srv = fast_server(Vec::new()).await;
    let url = srv.url();
    let started = std::time::Instant::now();
    let o = tokio::task::spawn_blocking(move || {
        rotcheck_fuzz(&[
            "--sequences",
            "--endpoint",
            &url,
            "--time-scale",
            "60",
            "--max-tunnels-opened",
            "2",
            "--duration",
            "60s",
        ])
    })
    .await
    .expect("fuzz ran");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("tunnel budget spent: 2 of 2 tunnels opened (--max-tunnels-opened)"),
        "{out}"
    );
    assert!(out.contains("0 finding(s)"), "{out}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(50),
        "it stopped early: {out}"
    );
    assert!(srv.tunnels_opened() <= 2);
    srv.shutdown().await;
}

/// The first line of a sequence campaign states its budget before anything is sent: 10 tunnels
/// by default against a remote endpoint (here one whose name never resolves, and no credentials:
/// the campaign stops at the setup error right after), unlimited on loopback.
#[test]
fn the_first_line_states_the_tunnel_budget() {
    let first_line = |o: &Output| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let remote = rotcheck_fuzz(&[
        "--sequences",
        "--endpoint",
        "http://rotcheck-remote.invalid",
        "--duration",
        "1s",
    ]);
    assert_eq!(remote.status.code(), Some(2), "{}", text(&remote));
    assert!(
        first_line(&remote).contains("budget: at most 10 tunnel(s) opened (--max-tunnels-opened)"),
        "{}",
        text(&remote)
    );
    // The same remote campaign with `--max-tunnels-opened budget`.
    let with_budget = |budget: &str| {
        rotcheck_fuzz(&[
            "--sequences",
            "--endpoint",
            "http://rotcheck-remote.invalid",
            "--max-tunnels-opened",
            budget,
            "--duration",
            "1s",
        ])
    };
    let chosen = with_budget("4");
    assert!(first_line(&chosen).contains("at most 4 tunnel(s)"), "{}", text(&chosen));
    let replay = rotcheck_fuzz(&[
        "--replay",
        "open:2m rotate:#0:ALL",
        "--endpoint",
        "http://rotcheck-remote.invalid",
    ]);
    assert!(
        first_line(&replay).contains("opens 1 tunnel(s); budget: at most 10 tunnel(s)"),
        "{}",
        text(&replay)
    );
    // Regression: `run` read 0 as unlimited while the fuzzers refused it; both read it so now.
    let unlimited = with_budget("0");
    assert!(
        first_line(&unlimited).contains("budget: tunnels unlimited"),
        "{}",
        text(&unlimited)
    );
    let local = fuzz(&["--sequences"]);
    assert!(
        first_line(&local).contains("budget: tunnels unlimited"),
        "{}",
        text(&local)
    );
}

/// Guards against a budget that is silently misread.
#[test]
fn a_tunnel_budget_that_is_not_a_whole_number_is_a_usage_error() {
    for bad in ["-3", "ten", "1.5"] {
        let flag = format!("--max-tunnels-opened={bad}");
        let o = rotcheck_fuzz(&["--sequences", &flag, "--duration", "1s"]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o));
        assert!(text(&o).contains("--max-tunnels-opened"), "{bad}: {}", text(&o));
    }
    // A replay that opens more tunnels than the budget is refused before it opens any.
    let o = rotcheck_fuzz(&["--replay", "open:2m open:3m", "--max-tunnels-opened", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("opens 2 tunnels, more than --max-tunnels-opened 1"),
        "{}",
        text(&o)
    );
}
