//! Issue 9: no silent passes. The endpoint comes from --endpoint, then
//! AWS_ENDPOINT_URL_IOTSECURETUNNELING, then AWS_ENDPOINT_URL; an empty value is a usage error;
//! the summary's first line names the target and where it came from; a selected check that never
//! runs is exit 2.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Output};

use rotcheck::server::{self, ServerConfig};

fn rotcheck(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rotcheck"));
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_IOTSECURETUNNELING");
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).output().unwrap()
}

/// The reference server on 127.0.0.1, its tunnel clock 60 times faster.
async fn fast_server() -> server::RunningServer {
    let config = ServerConfig {
        time_scale: 60.0,
        ..ServerConfig::default()
    };
    server::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap()
}

/// Regression: AWS_ENDPOINT_URL_IOTSECURETUNNELING was ignored and the run silently tested the
/// built-in server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_specific_variable_names_the_target() {
    let srv = fast_server().await;
    let url = srv.url();
    let out = tokio::task::spawn_blocking(move || {
        rotcheck(
            &[
                ("AWS_ENDPOINT_URL_IOTSECURETUNNELING", url.as_str()),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ],
            &["run", "--no-progress", "--time-scale", "60", "--only", "valid/"],
        )
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let first = stdout.lines().next().unwrap();
    assert!(
        first.contains(&srv.url()) && first.contains("from AWS_ENDPOINT_URL_IOTSECURETUNNELING"),
        "{first}"
    );
    srv.shutdown().await;
}

/// Regression: `rotcheck record` and `compare` read AWS_ENDPOINT_URL into --endpoint themselves, so
/// AWS_ENDPOINT_URL_IOTSECURETUNNELING was silently ignored when both were set. Every command
/// that takes --endpoint resolves the variables the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_prefers_the_service_specific_variable() {
    let srv = fast_server().await;
    let url = srv.url();
    let port = srv.addr().port();
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.json").display().to_string();
    let outputs = tokio::task::spawn_blocking(move || {
        let env = [
            ("AWS_ENDPOINT_URL_IOTSECURETUNNELING", url.as_str()),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ];
        let fast = ["--no-progress", "--time-scale", "60"];
        vec![
            rotcheck(
                &env,
                &[&["record", "--out", &rec, "--only", "valid/"][..], &fast].concat(),
            ),
            rotcheck(&env, &[&["compare", &rec][..], &fast].concat()),
            rotcheck(&env, &["fuzz", "--sequences", "--duration", "1s", "--no-progress"]),
        ]
    })
    .await
    .unwrap();
    srv.shutdown().await;
    for out in outputs {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.contains(&format!("127.0.0.1:{port}")), "names the server: {text}");
    }
}

/// Regression: `--endpoint ""` (an unset CI variable) silently tested the built-in server.
#[test]
fn an_empty_endpoint_is_a_usage_error() {
    let out = rotcheck(&[], &["run", "--no-progress", "--endpoint", ""]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--endpoint is set but empty"));
    let out = rotcheck(&[("AWS_ENDPOINT_URL", "")], &["run", "--no-progress"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Regression: `--checks duration-live` with the live check off judged nothing and exited 0.
#[test]
fn a_selected_check_that_never_runs_is_exit_2() {
    let out = rotcheck(&[], &["run", "--no-progress", "--no-live", "--checks", "duration-live"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("selected check duration-live never ran"), "{stdout}");
}
