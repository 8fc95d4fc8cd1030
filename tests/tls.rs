//! Issue 17: TLS end to end. `rotcheck serve --tls self-signed` serves HTTPS and WSS on one port
//! and prints its CA; `rotcheck run` trusts it through `--ca-bundle` or `AWS_CA_BUNDLE` on the
//! control plane AND the data plane (one client builder), still catches a data-plane fault over
//! TLS, and without the CA stops with exit 2 saying the certificate is not trusted and how to fix
//! it.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use rotcheck::client::local_proxy::{Attempt, DataPlane, DataPlaneError};
use rotcheck::client::TlsSettings;
use rotcheck::secret::SecretString;
use serde_json::Value;

/// The data-plane checks `rotcheck run` judges only through its scenarios.
const DATA_PLANE_CHECKS: [&str; 6] = [
    "handshake",
    "token-revoked",
    "token-single-use",
    "connection-state",
    "rotated-connection",
    "relay",
];

/// A `rotcheck serve --tls self-signed` child process, stopped (by its own PID) when dropped.
struct Served {
    child: Child,
    port: u16,
    ca: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// With `ca_out`, the CA goes to a temporary directory (`--tls-ca-out`); else to the default
/// path, which the server removes when it stops.
fn serve_with(extra: &[&str], ca_out: bool) -> Served {
    let dir = ca_out.then(|| tempfile::tempdir().unwrap());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rotcheck"));
    cmd.args(["serve", "--port", "0", "--tls", "self-signed", "--time-scale", "60"])
        .args(extra);
    if let Some(d) = &dir {
        cmd.arg("--tls-ca-out").arg(d.path().join("ca.pem"));
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("rotcheck serve starts");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        out.read_line(&mut line).expect("announcement");
        lines.push(line.trim().to_owned());
    }
    let url = lines[0]
        .strip_prefix("listening on https://127.0.0.1:")
        .expect("an https URL");
    assert!(lines[1].starts_with("data plane on wss://127.0.0.1:"), "{lines:?}");
    let ca = PathBuf::from(lines[2].strip_prefix("tls ca: ").expect("the CA's path"));
    assert!(ca.is_file(), "{lines:?}");
    Served {
        port: url.parse().expect("a port"),
        child,
        ca,
        _dir: dir,
    }
}

fn serve(extra: &[&str]) -> Served {
    serve_with(extra, true)
}

/// `rotcheck ARGS --endpoint https://localhost:PORT` (the name the certificate gives), with
/// `--ca-bundle` when given, in an environment with no CA, credentials or profile of its own.
fn rotcheck_over_tls(s: &Served, args: &[&str], ca_bundle: Option<&Path>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rotcheck"));
    cmd.args(args)
        .arg("--endpoint")
        .arg(format!("https://localhost:{}", s.port))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE");
    if let Some(ca) = ca_bundle {
        cmd.arg("--ca-bundle").arg(ca);
    }
    cmd
}

/// `rotcheck run` against the server over TLS, with `--ca-bundle` when given and the environment
/// pairs `env`; its output and JSON report.
fn run(s: &Served, ca_bundle: Option<&Path>, env: &[(&str, &Path)], report: &Path) -> Output {
    let mut cmd = rotcheck_over_tls(s, &["run", "--no-progress", "--time-scale", "60"], ca_bundle);
    cmd.arg("--report-json")
        .arg(report)
        .arg("--data-plane")
        .arg(format!("wss://localhost:{}", s.port));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("rotcheck run runs")
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("report written")).expect("JSON report")
}

/// Every data-plane check was judged: some outcome, none skipped or in error.
fn assert_data_plane_judged(r: &Value) {
    let checks = r["summary"]["checks"].as_array().expect("checks");
    for id in DATA_PLANE_CHECKS {
        let t = checks.iter().find(|c| c["id"] == id).expect(id);
        let judged = ["pass", "fail", "advisory"]
            .iter()
            .map(|k| t[k].as_u64().unwrap())
            .sum::<u64>();
        assert!(
            judged > 0 && t["error"] == 0 && t["skip"] == 0,
            "{id} not fully judged: {t}"
        );
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn run_over_tls_trusts_the_ca_from_the_flag_or_aws_ca_bundle_on_both_planes() {
    let s = serve(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("flag.json"), dir.path().join("env.json"));

    let out = run(&s, Some(&s.ca), &[], &a);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_data_plane_judged(&report(&a));

    let out = run(&s, None, &[("AWS_CA_BUNDLE", &s.ca)], &b);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_data_plane_judged(&report(&b));
}

#[test]
fn a_data_plane_fault_is_still_caught_over_tls() {
    let s = serve(&["--fault", "revoked-token-accepted"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = run(&s, Some(&s.ca), &[], &path);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        report(&path)["summary"]["failed_checks"],
        serde_json::json!(["token-revoked"])
    );
}

/// Regression: without the CA the run used to end with "the data-plane handshake failed: error
/// sending request", which hid that the certificate was the problem and what to do about it.
#[test]
fn without_the_ca_the_run_stops_naming_the_certificate_and_ca_bundle() {
    let s = serve(&[]);
    let dir = tempfile::tempdir().unwrap();
    let out = run(&s, None, &[], &dir.path().join("report.json"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("certificate") && all.contains("not trusted"), "{all}");
    assert!(all.contains("--ca-bundle"), "{all}");
}

/// Regression: the data-plane client built its own HTTP client, so `--ca-bundle` never reached
/// it, and its error dropped the cause. Now it takes the control plane's settings, and an
/// untrusted certificate says so, once.
#[tokio::test]
async fn the_data_plane_client_takes_the_shared_tls_settings() {
    let s = serve(&[]);
    let url = format!("wss://localhost:{}", s.port);
    let wait = Duration::from_secs(10);
    let token = || Attempt::new("source", SecretString::new("not-a-token"));

    let untrusted = DataPlane::new(&url, wait, wait).unwrap();
    let e = untrusted.connect(&token()).await.unwrap_err();
    assert!(matches!(e, DataPlaneError::UntrustedCertificate(_)), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("not trusted") && msg.contains("--ca-bundle"), "{msg}");
    assert_eq!(msg.matches("UnknownIssuer").count(), 1, "the cause once: {msg}");

    let tls = TlsSettings::resolve(Some(&s.ca)).unwrap();
    let trusted = DataPlane::with_tls(&url, &tls, wait, wait).unwrap();
    match trusted.connect(&token()).await.unwrap() {
        rotcheck::client::local_proxy::Outcome::Refused(r) => assert_eq!(r.status, 400),
        other => panic!("an unknown token must be refused: {other:?}"),
    }
}

/// The CA written to the default path is the server's to remove: gone after SIGTERM.
#[cfg(unix)]
#[test]
fn the_default_ca_file_is_removed_when_the_server_stops() {
    let mut s = serve_with(&[], false);
    assert!(s.ca.starts_with(std::env::temp_dir()), "{}", s.ca.display());
    let term = Command::new("kill")
        .arg("-TERM")
        .arg(s.child.id().to_string())
        .status()
        .unwrap();
    assert!(term.success());
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!s.ca.exists(), "{} left behind", s.ca.display());
}

/// A bad certificate or key file is exit 2 naming the file, its cause printed once.
#[test]
fn bad_pem_files_are_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let missing = dir.path().join("missing.pem");
    for (cert, key, names) in [(&junk, &junk, "junk.pem"), (&missing, &junk, "missing.pem")] {
        let out = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
            .args(["serve", "--port", "0", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(names), "{err}");
        assert!(err.matches("os error").count() <= 1, "the cause once: {err}");
    }
}

/// `rotcheck fuzz` or `rotcheck cleanup` against the server over TLS; its output.
fn other_command(s: &Served, args: &[&str], ca_bundle: Option<&Path>) -> Output {
    rotcheck_over_tls(s, args, ca_bundle).output().expect("rotcheck runs")
}

/// `--ca-bundle` is one shared option: `fuzz` and `cleanup` take it too, and honour it.
#[test]
fn fuzz_and_cleanup_trust_the_ca_from_the_flag() {
    let s = serve(&[]);
    let fuzz = ["fuzz", "--duration", "2s", "--no-progress"];
    let out = other_command(&s, &fuzz, Some(&s.ca));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("0 finding(s)"), "{}", text(&out));
    let out = other_command(&s, &fuzz, None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    let out = other_command(&s, &["cleanup"], Some(&s.ca));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("no tunnel left by a rotcheck run"),
        "{}",
        text(&out)
    );
    let out = other_command(&s, &["cleanup"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not trusted"), "{}", text(&out));
}
