//! Benchmark of a whole `rotcheck run` (not a timed test): wall time and requests per second
//! against the embedded target and against `rotcheck serve` over loopback (with its data plane),
//! at --concurrency 1 and 2, with and without the two timed scenarios: duration-live waits about
//! 1.2 tunnel lifetimes (~1.2 s at time-scale 60) and the aged rotation of duration-static waits
//! 1.1 s, whatever the speed of the target, so with them a run cannot be shorter than ~1.2 s. The
//! rows without them (`--checks` minus duration-live and duration-static) still run every
//! data-plane scenario.
//!
//! Method: the optimized `rotcheck` binary (bench profile) is run as a child process with
//! `--seed 1 --no-progress --report-json FILE`; wall time is measured around the process (so it
//! includes start-up, case generation, cleanup and report writing); requests are the HTTP
//! exchanges the report records (setup, request, verify and cleanup calls of every case);
//! requests/s = requests / the run's own `duration_ms`. Each configuration runs
//! `ROTCHECK_BENCH_RUNS` times (default 3) and the median run (by wall time) is shown. For the
//! `serve` target one server (`rotcheck serve --port 0 --time-scale 60`) is started per
//! configuration and stopped after it. Only 127.0.0.1 is used.
//!
//! Run: `cargo bench --bench run`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rotcheck");
const TIME_SCALE: &str = "60";

struct Sample {
    wall: Duration,
    run_ms: u64,
    requests: usize,
    cases: usize,
    exit: Option<i32>,
}

fn main() {
    // `cargo bench` passes `--bench`; filters are not supported.
    if let Err(e) = bench() {
        eprintln!("benchmark failed: {e}");
        std::process::exit(2);
    }
}

fn bench() -> Result<(), String> {
    let runs: usize = std::env::var("ROTCHECK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3);
    // Every check a run judges (not the ones only fuzz sequences judge), less the two timed ones.
    let without_scenarios: Vec<&str> = rotcheck::checks::CheckId::all()
        .filter(|c| !c.sequences_only())
        .map(|c| c.as_str())
        .filter(|c| *c != "duration-live" && *c != "duration-static")
        .collect();
    let without_scenarios = without_scenarios.join(",");

    println!("rotcheck run benchmark: seed 1, time-scale {TIME_SCALE}, median of {runs} run(s)\n");
    println!(
        "| target   | scenarios | concurrency | cases | requests | run time (s) | wall time (s) | requests/s | exit |"
    );
    println!(
        "|----------|-----------|-------------|-------|----------|--------------|---------------|------------|------|"
    );
    for target in ["embedded", "serve"] {
        for live in [true, false] {
            for concurrency in [1, 2] {
                let mut server = None;
                let mut args: Vec<String> = vec!["--concurrency".into(), concurrency.to_string()];
                if target == "serve" {
                    let (child, url) = start_server()?;
                    server = Some(child);
                    // Its data plane shares the port: the same scenarios as the embedded target.
                    let data_plane = url.replacen("http://", "ws://", 1);
                    args.extend([
                        "--endpoint".into(),
                        url,
                        "--data-plane".into(),
                        data_plane,
                        "--time-scale".into(),
                        TIME_SCALE.into(),
                    ]);
                    if live {
                        args.push("--live".into());
                    }
                }
                if !live {
                    args.extend(["--checks".into(), without_scenarios.clone()]);
                }
                let mut samples = Vec::new();
                let mut failure = None;
                for _ in 0..runs {
                    match run_once(&args) {
                        Ok(s) => samples.push(s),
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                if let Some(mut child) = server {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                if let Some(e) = failure {
                    return Err(format!("{target} concurrency {concurrency}: {e}"));
                }
                samples.sort_by_key(|s| s.wall);
                let Some(m) = samples.get(samples.len() / 2) else {
                    continue;
                };
                let rps = m.requests as f64 / (m.run_ms.max(1) as f64 / 1000.0);
                println!(
                    "| {target:<8} | {:<9} | {concurrency:>11} | {:>5} | {:>8} | {:>12.2} | {:>13.2} | {rps:>10.0} | {:>4} |",
                    if live { "yes" } else { "no" },
                    m.cases,
                    m.requests,
                    m.run_ms as f64 / 1000.0,
                    m.wall.as_secs_f64(),
                    m.exit.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                );
            }
        }
    }
    Ok(())
}

/// Start `rotcheck serve` on a free loopback port; its first stdout line names the URL.
fn start_server() -> Result<(Child, String), String> {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--time-scale",
            TIME_SCALE,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start rotcheck serve: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout from rotcheck serve")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = match rx.recv_timeout(Duration::from_secs(15)) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err("rotcheck serve did not print its address within 15 s".into());
        }
    };
    match line.trim().strip_prefix("listening on ") {
        Some(url) => Ok((child, url.to_owned())),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("unexpected first line from rotcheck serve: {line:?}"))
        }
    }
}

fn run_once(extra: &[String]) -> Result<Sample, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let report = dir.path().join("report.json");
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["run", "--seed", "1", "--no-progress", "--report-json"])
        .arg(&report)
        .args(extra)
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run rotcheck: {e}"))?;
    let wall = started.elapsed();
    let (run_ms, requests, cases) = read_report(&report).map_err(|e| {
        format!(
            "{e} (exit {:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })?;
    Ok(Sample {
        wall,
        run_ms,
        requests,
        cases,
        exit: out.status.code(),
    })
}

fn read_report(path: &Path) -> Result<(u64, usize, usize), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("no report: {e}"))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("report is not JSON: {e}"))?;
    let cases = v["cases"].as_array().ok_or("report has no cases")?;
    let requests = cases
        .iter()
        .map(|c| c["exchanges"].as_array().map_or(0, Vec::len))
        .sum();
    Ok((v["duration_ms"].as_u64().unwrap_or(0), requests, cases.len()))
}
