//! `rotcheck fuzz` end to end: the built-in target has no finding (exit 0); a server answering
//! malformed JSON with HTTP 500 is caught (exit 1) with a shrunk curl reproduction.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Output};

use rotcheck::server::{self, Fault, ServerConfig};

fn fuzz(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .arg("fuzz")
        .args(args)
        .args(["--duration", "2s", "--no-progress"])
        // No credentials from the developer's environment or files; never the metadata service.
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("rotcheck runs")
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
