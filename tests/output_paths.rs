//! Every output path of `run`, `record` and `compare` is checked before the first request: a bad
//! one is exit 2 at once, naming the flag, and the endpoint never sees a connection.

use std::net::TcpListener;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A loopback endpoint that counts connections and never answers.
fn counting_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (url, count)
}

fn rotcheck(args: &[&str]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("rotcheck runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

/// Regression: `rotcheck run --junit /etc/passwd/x.xml` ran every case, then failed to write.
#[test]
fn a_bad_output_path_stops_each_command_before_its_first_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let under = |name: &str| file.join(name).display().to_string();
    let a_dir = dir.path().display().to_string();
    let (url, connections) = counting_endpoint();
    let limits = ["--connect-timeout", "1", "--timeout", "1", "--no-progress"];

    let cases: Vec<(Vec<String>, &str, String)> = vec![
        (
            vec!["run".into(), "--report-json".into(), under("r.json")],
            "--report-json",
            under("r.json"),
        ),
        (
            vec!["run".into(), "--junit".into(), under("x.xml")],
            "--junit",
            under("x.xml"),
        ),
        (
            vec!["run".into(), "--snapshot".into(), under("s.snap")],
            "--snapshot",
            under("s.snap"),
        ),
        (
            vec!["run".into(), "--step-summary".into(), under("s.md")],
            "--step-summary",
            under("s.md"),
        ),
        (
            vec!["run".into(), "--write-baseline".into(), a_dir.clone()],
            "--write-baseline",
            a_dir.clone(),
        ),
        (
            vec!["record".into(), "--out".into(), under("rec.json")],
            "--out",
            under("rec.json"),
        ),
        (
            vec![
                "compare".into(),
                "--reference".into(),
                url.clone(),
                "--junit".into(),
                under("c.xml"),
            ],
            "--junit",
            under("c.xml"),
        ),
        (
            vec![
                "compare".into(),
                "--reference".into(),
                url.clone(),
                "--report-json".into(),
                a_dir.clone(),
            ],
            "--report-json",
            a_dir.clone(),
        ),
    ];
    for (mut args, flag, path) in cases {
        args.extend(["--endpoint".to_string(), url.clone()]);
        args.extend(limits.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stderr, took) = rotcheck(&args);
        assert_eq!(code, Some(2), "{args:?}\n{stderr}");
        assert!(
            stderr.contains(&format!("error: {flag} {path}: ")),
            "{args:?}: the message names the flag and the path\n{stderr}"
        );
        assert!(
            !stderr.contains("connect") && !stderr.contains("rotcheck run:"),
            "{args:?}: stopped before the target was touched\n{stderr}"
        );
        assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "no request was sent");
}
