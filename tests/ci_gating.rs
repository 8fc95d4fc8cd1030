//! Issue 11 acceptance, through the binary against `rotcheck serve` child processes: baselines
//! (known, fixed, --baseline-strict, --write-baseline, bad files), failures grouped by cause,
//! --strict, `--snapshot` files in insta's format, and the GitHub step summary.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// `rotcheck serve --time-scale 60` with extra flags; killed when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
            .args(["serve", "--port", "0", "--time-scale", "60"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rotcheck serve starts");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("serve prints its URL");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        Serve { child, url }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `rotcheck run --no-progress` against `target` (None: the built-in target) with `extra` flags.
fn run(target: Option<&Serve>, extra: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rotcheck"));
    cmd.args(["run", "--no-progress"])
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if let Some(s) = target {
        cmd.args(["--endpoint", &s.url, "--time-scale", "60"]);
    }
    cmd.args(extra);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("rotcheck runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn explain(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("file written")).expect("JSON")
}

fn validate(schema_file: &str, doc: &Value) {
    let path = format!("{}/docs/{schema_file}", env!("CARGO_MANIFEST_DIR"));
    let schema = json_file(Path::new(&path));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:?}");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// The acceptance's first line: one group of 10 for not-found-404; --write-baseline then
/// --baseline passes with 10 known; the same baseline against the faithful server reports the
/// entries fixed (and fails with --baseline-strict).
#[test]
fn not_found_404_is_one_group_and_a_baseline_gates_it() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.json");
    let faulty = Serve::start(&["--fault", "not-found-404"]);

    let first = run(Some(&faulty), &["--write-baseline", p(&b)], &[]);
    let out = stdout(&first);
    assert_eq!(first.status.code(), Some(1), "{}", explain(&first));
    assert!(
        out.contains("Failures (10 in 1 group(s) by cause"),
        "{}",
        explain(&first)
    );
    assert!(out.contains("1) [not-found] 10 case(s):"), "{out}");
    assert_eq!(out.matches("reproduce:").count(), 1, "one full reproduction: {out}");
    let written = json_file(&b);
    validate("baseline.schema.json", &written);
    assert_eq!(written["entries"].as_array().map(Vec::len), Some(10), "{written}");

    // -v: every case in full.
    let verbose = run(Some(&faulty), &["-v"], &[]);
    assert_eq!(
        stdout(&verbose).matches("reproduce:").count(),
        10,
        "{}",
        explain(&verbose)
    );

    let report = dir.path().join("known.json");
    let junit = dir.path().join("known.xml");
    let gated = run(
        Some(&faulty),
        &["--baseline", p(&b), "--report-json", p(&report), "--junit", p(&junit)],
        &[],
    );
    assert_eq!(gated.status.code(), Some(0), "{}", explain(&gated));
    assert!(stdout(&gated).contains("Known failures (10,"), "{}", explain(&gated));
    let r = json_file(&report);
    validate("report.schema.json", &r);
    assert_eq!(r["baseline"]["known"], 10, "{}", r["baseline"]);
    assert_eq!(r["verdict"], "conformant");
    let known_outcomes = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["outcomes"].as_array().unwrap())
        .filter(|o| o["status"] == "known")
        .count();
    assert_eq!(known_outcomes, 10, "the report keeps every known case");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<skipped message=\"KNOWN FAILURE").count(), 10, "{xml}");
    assert!(!xml.contains("<failure"), "known failures do not fail CI: {xml}");
    drop(faulty);

    let faithful = Serve::start(&[]);
    let fixed = run(
        Some(&faithful),
        &["--baseline", p(&b), "--report-json", p(&report)],
        &[],
    );
    assert_eq!(fixed.status.code(), Some(0), "{}", explain(&fixed));
    assert_eq!(
        stdout(&fixed).matches("fixed: remove it from the baseline").count(),
        10,
        "{}",
        explain(&fixed)
    );
    assert_eq!(json_file(&report)["baseline"]["fixed"], 10);
    let strict = run(Some(&faithful), &["--baseline", p(&b), "--baseline-strict"], &[]);
    assert_eq!(strict.status.code(), Some(1), "{}", explain(&strict));
}

/// Regression: an exact baseline entry must not act as a prefix (len-1 hiding len-128), and an
/// entry whose cases did not run (--only) is not reported as fixed.
#[test]
fn entries_are_exact_and_unrun_entries_are_not_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.json");
    std::fs::write(
        &b,
        r#"{"version": 1, "entries": [
            {"case": "boundary/tunnelId/len-1", "check": "not-found", "reason": "prefix test"},
            {"case": "valid/*", "check": "valid-accepted", "reason": "not run below"}
        ]}"#,
    )
    .unwrap();
    let faulty = Serve::start(&["--fault", "not-found-404"]);
    let report = dir.path().join("r.json");
    let out = run(
        Some(&faulty),
        &[
            "--baseline",
            p(&b),
            "--only",
            "boundary/tunnelId/len-1",
            "--report-json",
            p(&report),
        ],
        &[],
    );
    let r = json_file(&report);
    let states: Vec<&str> = r["baseline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["known", "not-run"], "{}", explain(&out));
    let failing: Vec<&str> = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        failing
            .iter()
            .any(|id| id.starts_with("boundary/tunnelId/len-1") && *id != "boundary/tunnelId/len-1"),
        "longer ids still fail: {failing:?}"
    );
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
}

#[test]
fn a_bad_baseline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("missing.json", None, "cannot read the baseline"),
        ("broken.json", Some("{"), "is not JSON"),
        (
            "badcheck.json",
            Some(r#"{"version":1,"entries":[{"case":"x","check":"no-such-check","reason":"r"}]}"#),
            "/entries/0/check",
        ),
        (
            "noreason.json",
            Some(r#"{"version":1,"entries":[{"case":"x","check":"not-found"}]}"#),
            "reason",
        ),
    ];
    for (name, contents, expected) in cases {
        let path = dir.path().join(name);
        if let Some(c) = contents {
            std::fs::write(&path, c).unwrap();
        }
        let out = run(None, &["--baseline", p(&path)], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", explain(&out));
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let no_file = run(None, &["--baseline-strict"], &[]);
    assert_eq!(no_file.status.code(), Some(2), "--baseline-strict needs --baseline");
}

/// The acceptance's second line: a 200 for rotating a CLOSED tunnel is an advisory (exit 0) and a
/// failure with --strict (exit 1); the summary says which mode ran.
#[test]
fn strict_fails_the_inferred_points() {
    let server = Serve::start(&["--fault", "closed-tunnel-accepted"]);
    let spec = run(Some(&server), &[], &[]);
    assert_eq!(spec.status.code(), Some(0), "{}", explain(&spec));
    assert!(stdout(&spec).contains("mode: spec"), "{}", explain(&spec));
    assert!(stdout(&spec).contains("Advisories ("), "{}", explain(&spec));

    let strict = run(Some(&server), &["--strict"], &[]);
    let out = stdout(&strict);
    assert_eq!(strict.status.code(), Some(1), "{}", explain(&strict));
    assert!(out.contains("mode: strict"), "{out}");
    assert!(
        out.contains("[closed-tunnel]") && out.contains("--strict mode"),
        "{out}"
    );
    assert!(out.contains("--strict\n"), "the rerun command keeps --strict: {out}");

    let faithful = Serve::start(&[]);
    let ok = run(Some(&faithful), &["--strict"], &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", explain(&ok));
}

/// The acceptance's third line, plus: the CLI's snapshot of the built-in target has the same body
/// as the test suite's snapshots/embedded.snap (one snapshot code path).
#[test]
fn snapshots_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("s.snap");
    let pending = dir.path().join("s.snap.new");
    let faithful = Serve::start(&[]);

    let first = run(Some(&faithful), &["--snapshot", p(&snap)], &[]);
    assert_eq!(first.status.code(), Some(0), "{}", explain(&first));
    let written = std::fs::read_to_string(&snap).unwrap();
    assert!(
        written.starts_with("---\nsource: rotcheck run\nexpression: "),
        "{written}"
    );
    let second = run(Some(&faithful), &["--snapshot", p(&snap)], &[]);
    assert_eq!(second.status.code(), Some(0), "{}", explain(&second));
    assert!(stdout(&second).contains("matches"), "{}", explain(&second));
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), written, "nothing rewritten");
    assert!(!pending.exists());
    drop(faithful);

    let variant = Serve::start(&["--variant", "closed-tunnel-409-conflict"]);
    let differs = run(Some(&variant), &["--snapshot", p(&snap)], &[]);
    assert_eq!(differs.status.code(), Some(1), "{}", explain(&differs));
    assert!(pending.exists(), "pending snapshot left for review");
    assert!(
        stdout(&differs).contains("-      \"http_status\": 400"),
        "{}",
        explain(&differs)
    );
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), written, "FILE untouched");
    let accepted = run(Some(&variant), &["--snapshot", p(&snap), "--snapshot-update"], &[]);
    assert_eq!(accepted.status.code(), Some(0), "{}", explain(&accepted));
    assert!(!pending.exists());

    let bad = run(None, &["--snapshot", p(&dir.path().join("s.json"))], &[]);
    assert_eq!(bad.status.code(), Some(2), "the name must end in .snap");

    let embedded = dir.path().join("embedded.snap");
    let out = run(None, &["--seed", "1", "--snapshot", p(&embedded)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let committed = format!("{}/snapshots/embedded.snap", env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        rotcheck::report::snapfile::body(&std::fs::read_to_string(&embedded).unwrap()),
        rotcheck::report::snapfile::body(&std::fs::read_to_string(committed).unwrap()),
        "the CLI and the test suite write the same snapshot"
    );
}

#[test]
fn github_step_summary_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let faulty = Serve::start(&["--fault", "not-found-404"]);
    let out = run(Some(&faulty), &[], &[("GITHUB_STEP_SUMMARY", &summary)]);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n## rotcheck: VIOLATION (exit 1)"), "{md}");
    // The statement id next to the check: its primary one, and how many more it enforces.
    assert!(md.contains("| `not-found` ❌ | `api.not-found` +1 | 0 | 10 |"), "{md}");
    assert!(md.contains("### Failures (10 in 1 group(s) by cause)"), "{md}");
    assert!(md.contains("curl "), "the reproduction is there: {md}");
}

/// Regression: --write-baseline copied the ARNs of the run's tunnels into reasons, so the
/// committed file changed on every run; now two runs write the same file.
#[test]
fn written_baselines_do_not_change_between_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let server = Serve::start(&["--fault", "wrong-arn"]);
    for path in [&a, &b] {
        let out = run(Some(&server), &["--only", "valid/", "--write-baseline", p(path)], &[]);
        assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    }
    let text = std::fs::read_to_string(&a).unwrap();
    assert!(text.contains("tunnel-arn") && !text.contains("arn:aws"), "{text}");
    assert_eq!(text, std::fs::read_to_string(&b).unwrap());
}
