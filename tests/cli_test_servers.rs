//! Issue 3 acceptance: small test servers (tests/common) that return 404 for unknown tunnels,
//! accept destinationConfig in SOURCE mode, reset createdAt on rotation, or quietly push the expiry
//! later while reporting createdAt unchanged each make the `rotcheck run --endpoint` binary exit 1
//! naming the right check; the same server without a fault passes.

mod common;

use std::process::Command;

use common::{Fault, TestServer};
use serde_json::Value;

const SCALE: f64 = 60.0;

/// Run the binary against `url`; the exit code and the failed check ids of its JSON report.
fn run_cli(url: &str) -> (Option<i32>, Vec<String>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
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
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("rotcheck runs");
    let report: Value = serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("JSON");
    let failed = report["summary"]["failed_checks"]
        .as_array()
        .expect("failed_checks")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    (
        out.status.code(),
        failed,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn verdict(fault: Fault) -> (Option<i32>, Vec<String>, String) {
    let server = TestServer::start(fault, SCALE).await;
    let url = server.url.clone();
    let result = tokio::task::spawn_blocking(move || run_cli(&url)).await.expect("join");
    drop(server);
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_test_server_fault_fails_its_check_through_the_cli() {
    let cases = [
        (Fault::NotFound404, "not-found"),
        (Fault::AcceptSourceWithConfig, "source-destination-config"),
        (Fault::ResetCreatedAtOnRotation, "duration-static"),
        (Fault::ExtendExpiryOnRotation, "duration-live"),
    ];
    for (fault, check) in cases {
        let (code, failed, stdout) = verdict(fault).await;
        assert_eq!(code, Some(1), "{fault:?}: exit code\n{stdout}");
        assert!(
            failed.iter().any(|c| c == check),
            "{fault:?}: {check} not among {failed:?}\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("[{check}]")),
            "{fault:?}: the summary names {check}\n{stdout}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_server_without_a_fault_passes_through_the_cli() {
    let (code, failed, stdout) = verdict(Fault::None).await;
    assert_eq!((code, failed), (Some(0), vec![]), "{stdout}");
}
