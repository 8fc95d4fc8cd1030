//! insta snapshots, committed under snapshots/ at the repository top and reviewed with
//! `cargo insta review`.
//!
//! - `run_snapshot`: a whole `rotcheck run --seed 1` through the real binary against the built-in
//!   reference implementation (snapshot `embedded`), or against any endpoint with
//!   `ROTCHECK_SNAPSHOT_ENDPOINT=URL cargo test --test snapshots` (snapshot
//!   `endpoint-<host>-<port>`; `ROTCHECK_SNAPSHOT_TIME_SCALE=N` if its clock runs fast, and
//!   `ROTCHECK_SNAPSHOT_LIVE=1` to include duration-live). Per case: status, HTTP status, error
//!   type, response shape and check outcomes, with the standard redactions of
//!   `rotcheck::report::snapshot`. The same seed gives the same snapshot; the embedded run is
//!   made twice to prove it.
//! - `rendered_*`: the summary, JUnit and JSON renderings of a constructed result, so any change of
//!   the output formats is reviewed.

use std::process::Command;

use rotcheck::report::{json, junit, snapshot, summary, RenderOptions};
use serde_json::Value;

mod report_sample;

const SEED: &str = "1";

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

/// Run the binary and return the snapshot view of its JSON report.
fn run_and_snapshot(endpoint: Option<&str>) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rotcheck"));
    cmd.args(["run", "--seed", SEED, "--no-progress", "--report-json"])
        .arg(&report)
        .env_remove("AWS_ENDPOINT_URL")
        // Never let a credential lookup reach the instance metadata service.
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if let Some(url) = endpoint {
        cmd.args(["--endpoint", url]);
        if let Ok(scale) = std::env::var("ROTCHECK_SNAPSHOT_TIME_SCALE") {
            cmd.args(["--time-scale", &scale]);
        }
        if std::env::var("ROTCHECK_SNAPSHOT_LIVE").is_ok_and(|v| v == "1") {
            cmd.arg("--live");
        }
    }
    let out = cmd.output().expect("rotcheck runs");
    let code = out.status.code();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match endpoint {
        // The reference implementation is conformant: anything but exit 0 is a bug.
        None => assert_eq!(code, Some(0), "embedded run not conformant\n{stdout}\n{stderr}"),
        // Any endpoint: a verdict (0 or 1) is snapshotted; 2 means the run could not judge.
        Some(url) => assert!(
            matches!(code, Some(0 | 1)),
            "run against {url} exited {code:?}\n{stdout}\n{stderr}"
        ),
    }
    let text = std::fs::read_to_string(&report).expect("the report is written");
    let value: Value = serde_json::from_str(&text).expect("the report is JSON");
    snapshot::from_report(&value)
}

#[test]
fn run_snapshot() {
    let endpoint = std::env::var("ROTCHECK_SNAPSHOT_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty());
    let snap = run_and_snapshot(endpoint.as_deref());
    if endpoint.is_none() {
        assert_eq!(run_and_snapshot(None), snap, "same seed, same snapshot");
    }
    let name = snapshot::snapshot_name(endpoint.as_deref());
    settings().bind(|| insta::assert_json_snapshot!(name, snap));
}

#[test]
fn rendered_summary() {
    let text = summary::render(&report_sample::sample(0), &RenderOptions::default());
    settings().bind(|| insta::assert_snapshot!("rendered-summary", text));
}

#[test]
fn rendered_junit() {
    let xml = junit::render(&report_sample::sample(0), &RenderOptions::default()).expect("renders");
    settings().bind(|| insta::assert_snapshot!("rendered-junit", xml));
}

#[test]
fn rendered_json() {
    let report = json::to_value(&report_sample::sample(0), &RenderOptions::default());
    settings().bind(|| insta::assert_json_snapshot!("rendered-json", report));
}
