//! Reports rendered from constructed run results: the JSON schema, stable output, JUnit
//! structure, the summary's content, and that no secret reaches any output. Plus the `run`
//! command's usage errors through the real binary.

use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};

use quick_xml::events::Event;
use quick_xml::Reader;
use rotcheck::checks::CheckId;
use rotcheck::report::progress::{Progress, ProgressMode};
use rotcheck::report::{self, json, junit, repro, snapshot, summary, RenderOptions, RunVerdict};
use rotcheck::runner::{RunResult, Status};
use serde_json::{json, Value};

mod report_sample;
use report_sample::{outcome, sample, DST_TOKEN, SECRETS, SRC_TOKEN, TUNNEL};

fn opts() -> RenderOptions {
    RenderOptions::default()
}

#[test]
fn json_report_is_valid_against_its_schema() {
    let schema: Value = serde_json::from_str(json::SCHEMA).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut results = vec![sample(0)];
    let mut interrupted = sample(1);
    interrupted.interrupted = true;
    interrupted.cases.clear();
    results.push(interrupted);
    for result in &results {
        let report = json::to_value(result, &opts());
        let errors: Vec<String> = validator.iter_errors(&report).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "report invalid: {errors:#?}");
    }
    // The schema rejects what it should: a wrong verdict and an unknown check id.
    let mut report = json::to_value(&sample(0), &opts());
    report["verdict"] = json!("mostly-fine");
    assert!(!validator.is_valid(&report));
    let mut report = json::to_value(&sample(0), &opts());
    report["cases"][0]["outcomes"][0]["check"] = json!("no-such-check");
    assert!(!validator.is_valid(&report));
}

/// Issue 19: each check of the tally names the spec statements it enforces, quoted from the map.
#[test]
fn json_report_names_the_statements_of_each_check() {
    let report = json::to_value(&sample(0), &opts());
    let tally = report["summary"]["checks"].as_array().expect("tally");
    let not_found = tally
        .iter()
        .find(|c| c["id"] == "not-found")
        .expect("not-found in the tally");
    assert_eq!(
        not_found["statements"][0],
        json!({
            "id": "api.not-found",
            "kind": "fact",
            "source": "RotateTunnelAccessToken.txt",
            "quote": "ResourceNotFoundException Thrown when an operation is attempted on a resource that does not exist. HTTP Status Code: 400",
        })
    );
    let ids = not_found["statements"]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["id"].as_str());
    assert!(ids.eq(CheckId::NOT_FOUND.statements().iter().map(|s| Some(*s))));
}

#[test]
fn same_run_twice_is_identical_apart_from_timings() {
    let a = sample(0);
    let mut b = sample(1000);
    // Results arrive in another order (concurrency), outcomes too.
    b.cases.reverse();
    for c in &mut b.cases {
        c.outcomes.reverse();
    }
    let (mut ja, mut jb) = (json::to_value(&a, &opts()), json::to_value(&b, &opts()));
    assert_ne!(ja, jb, "timings differ, so the raw reports must too");
    json::strip_timings(&mut ja);
    json::strip_timings(&mut jb);
    assert_eq!(ja, jb);
    assert_eq!(junit_without_time(&a), junit_without_time(&b));
    assert_eq!(snapshot::snapshot(&a), snapshot::snapshot(&b));
    assert_eq!(summary::render(&a, &opts()), summary::render(&b, &opts()));
}

fn junit_without_time(r: &RunResult) -> String {
    let xml = junit::render(r, &opts()).expect("renders");
    regex::Regex::new(r#" time="[0-9.]+""#)
        .expect("regex")
        .replace_all(&xml, "")
        .into_owned()
}

#[test]
fn cases_are_sorted_by_id_and_outcomes_in_check_order() {
    let report = json::to_value(&sample(0), &opts());
    let ids: Vec<&str> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let valid = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == "valid/all");
    let checks: Vec<&str> = valid.expect("valid/all")["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .filter_map(|o| o["check"].as_str())
        .collect();
    assert_eq!(checks, ["response-schema", "token-set", "token-fresh"]);
}

#[test]
fn no_secret_reaches_any_output() {
    let result = sample(0);
    let verbose = RenderOptions {
        verbose: true,
        ..RenderOptions::default()
    };
    let mut outputs = vec![
        ("summary", summary::render(&result, &opts())),
        ("summary -v", summary::render(&result, &verbose)),
        ("json", json::render(&result, &opts())),
        ("junit", junit::render(&result, &opts()).expect("renders")),
        (
            "snapshot",
            serde_json::to_string(&snapshot::snapshot(&result)).expect("serializes"),
        ),
    ];
    for case in &result.cases {
        let rp = repro::for_case(&result, case, &opts());
        outputs.push(("curl", rp.curl));
        outputs.push(("rerun", rp.rerun));
    }
    for case in &result.cases {
        outputs.push((
            "progress",
            report::progress::case_line(1, 4, case, true, &result.redactor),
        ));
    }
    // `rotcheck record` and `rotcheck compare`: the recording, and a comparison's three renderings
    // (the endpoint's own answers differ in a token member and a message that echoes a token).
    let provenance = rotcheck::parity::Provenance {
        endpoint_host: "api.example.test".into(),
        region: "us-east-1".into(),
        tool_version: "0".into(),
        seed: 7,
        date: "2026-11-30".into(),
        only: None,
        custom_fixtures: false,
        concurrency: 1,
    };
    let recording = rotcheck::parity::normalize_run(&result, provenance.clone());
    let mut other = sample(0);
    for case in &mut other.cases {
        for e in case.exchanges.iter_mut().filter(|e| e.role == "request") {
            if let Some(resp) = &mut e.response {
                resp.body = format!(
                    r#"{{"message":"bad token {}","sourceAccessToken":"{}"}}"#,
                    SRC_TOKEN, DST_TOKEN
                )
                .into_bytes();
            }
        }
    }
    let candidate = rotcheck::parity::normalize_run(&other, provenance);
    let comparison = rotcheck::parity::compare(&recording, &candidate, &[]);
    assert!(
        comparison.exit_code() == 1,
        "the answers differ, so the comparison must say so"
    );
    outputs.push(("recording", recording.to_text()));
    outputs.push(("recording (other)", candidate.to_text()));
    outputs.push(("compare", rotcheck::parity::render::text(&comparison)));
    outputs.push(("compare json", rotcheck::parity::render::json_text(&comparison)));
    outputs.push((
        "compare junit",
        rotcheck::parity::render::junit(&comparison).expect("renders"),
    ));
    for (name, text) in &outputs {
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "{name} output contains a secret ({secret}):\n{text}"
            );
        }
        if name.starts_with("recording") || name.starts_with("compare") {
            assert!(
                !text.contains(TUNNEL),
                "{name} output contains a real tunnel id:\n{text}"
            );
        }
    }
    // The redaction is visible, not a silent drop.
    let json = &outputs[2].1;
    assert!(json.contains("<redacted>"));
}

#[test]
fn summary_explains_every_failure() {
    let result = sample(0);
    let text = summary::render(&result, &opts());
    // Table.
    assert!(text.contains("check") && text.contains("advisory"));
    let row = text
        .lines()
        .find(|l| l.starts_with("valid-accepted "))
        .expect("a row per check");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[..6], ["valid-accepted", "0", "1", "0", "0", "0"], "{row}");
    // Skipped checks with their reason, harness errors.
    assert!(text.contains("duration-live skipped: pass --live to run it against a non-embedded endpoint"));
    assert!(text.contains("CloseTunnel failed during cleanup"));
    // The failure: case, check, spec sentence, expected vs actual, reproductions.
    assert!(text.contains("boundary/tunnelId/len-128 [valid-accepted]"));
    // The spec line quotes the check's primary statement from the map, by id.
    assert!(
        text.contains(
            "spec:     api.success-200 \"If the action is successful, the service sends back an HTTP 200 response.\""
        ),
        "{text}"
    );
    assert!(text.contains("expected: HTTP 200"));
    assert!(text.contains("actual:   HTTP 400 ValidationException"));
    assert!(text.contains("(Authorization: <redacted>)"), "{text}");
    assert!(
        text.contains("--aws-sigv4 aws:amz:us-east-1:IoTSecuredTunneling"),
        "{text}"
    );
    assert!(text.contains("rotcheck run --only boundary/tunnelId/len-128 --seed 7 --endpoint"));
    // Against the built-in target the recorded headers are replayed, secrets redacted.
    let mut embedded = result.clone();
    embedded.meta.embedded = true;
    embedded.meta.endpoint = "embedded".into();
    let text = summary::render(&embedded, &opts());
    assert!(text.contains("-H 'Authorization: <redacted>'"), "{text}");
    assert!(text.contains("rotcheck serve --port 8080 --time-scale 60"), "{text}");
    assert!(
        text.contains("rotcheck run --only boundary/tunnelId/len-128 --seed 7\n"),
        "{text}"
    );
    // An escape sequence from the endpoint is shown, not executed.
    assert!(!text.contains('\u{1b}'));
    // Verdict.
    let last = text.lines().last().expect("verdict");
    assert!(
        last.starts_with("verdict: VIOLATION") && last.ends_with("(exit 1)"),
        "{last}"
    );
}

#[test]
fn curl_reproduction_sends_the_exact_body() {
    let result = sample(0);
    let case = result
        .cases
        .iter()
        .find(|c| c.id == "boundary/tunnelId/len-128")
        .expect("case");
    let rp = repro::for_case(&result, case, &opts());
    // Extract the --data-binary word and let sh unquote it.
    let word = rp.curl.split("--data-binary ").nth(1).expect("body").trim_end();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s' {word}"))
        .output()
        .expect("sh");
    assert_eq!(out.stdout, case.request.body);
    assert_eq!(
        rp.rerun,
        "rotcheck run --only boundary/tunnelId/len-128 --seed 7 --endpoint http://127.0.0.1:9/ --region us-east-1 --time-scale 60"
    );
}

#[test]
fn junit_has_one_testcase_per_outcome_with_the_right_elements() {
    let result = sample(0);
    let xml = junit::render(&result, &opts()).expect("renders");
    let mut reader = Reader::from_str(&xml);
    let (mut testcases, mut failures, mut errors, mut skipped, mut system_out, mut suites) = (0, 0, 0, 0, 0, 0);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.name().as_ref() {
                b"testsuite" => suites += 1,
                b"testcase" => testcases += 1,
                b"failure" => failures += 1,
                b"error" => errors += 1,
                b"skipped" => skipped += 1,
                b"system-out" => system_out += 1,
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => panic!("malformed XML at {}: {e}\n{xml}", reader.buffer_position()),
            _ => {}
        }
    }
    let outcomes: usize = result.cases.iter().map(|c| c.outcomes.len()).sum();
    assert_eq!(testcases, outcomes + 1 /* skipped check */ + 1 /* harness error */);
    assert_eq!(failures, 1);
    assert_eq!(errors, 1 + 1);
    assert_eq!(skipped, 1);
    assert_eq!(system_out, 1, "the advisory passes with system-out");
    // Suites: one per check with outcomes or skipped, plus the harness suite.
    let with_outcomes: std::collections::BTreeSet<CheckId> = result
        .cases
        .iter()
        .flat_map(|c| c.outcomes.iter().map(|o| o.check))
        .collect();
    assert_eq!(suites, with_outcomes.len() + 1 + 1);
    assert!(
        xml.contains(r#"<testsuites name="rotcheck" tests="10" failures="1" errors="2" skipped="1""#),
        "{xml}"
    );
}

#[test]
fn junit_escapes_markup_and_control_characters() {
    let mut result = sample(0);
    result.cases[0].outcomes[0] = outcome(
        CheckId::RESPONSE_SCHEMA,
        Status::Fail,
        "bad <tag> & \"q\" \u{0}\u{1b} ]]>",
    );
    let xml = junit::render(&result, &opts()).expect("renders");
    let mut reader = Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Err(e) => panic!("malformed XML: {e}"),
            _ => {}
        }
    }
    assert!(
        xml.contains("bad &lt;tag&gt; &amp; &quot;q&quot; \\u{0}\\u{1b} ]]&gt;"),
        "{xml}"
    );
}

#[test]
fn verdicts_and_exit_codes() {
    let mut r = sample(0);
    assert_eq!(RunVerdict::of(&r), RunVerdict::Violation);
    assert_eq!(RunVerdict::of(&r).exit_code(), 1);
    r.cases.retain(|c| c.worst() != Status::Fail);
    assert_eq!(RunVerdict::of(&r).exit_code(), 2, "an error and a harness error remain");
    r.cases.retain(|c| c.worst() != Status::Error);
    r.harness_errors.clear();
    assert_eq!(
        RunVerdict::of(&r).exit_code(),
        0,
        "advisories and skips are not failures"
    );
    assert!(summary::verdict_line(&r).starts_with("verdict: CONFORMANT"));
    r.interrupted = true;
    assert_eq!(RunVerdict::of(&r).exit_code(), 130);
    assert_eq!(json::to_value(&r, &opts())["exit_code"], json!(130));
}

#[test]
fn snapshot_keeps_outcomes_and_redacts_generated_values() {
    let result = sample(0);
    let snap = snapshot::snapshot(&result);
    let text = serde_json::to_string_pretty(&snap).expect("serializes");
    assert!(!text.contains(TUNNEL), "tunnel ids are redacted:\n{text}");
    assert!(!text.contains("123456789012"));
    let failing = snap["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == "boundary/tunnelId/len-128")
        .expect("case");
    assert_eq!(failing["status"], "fail");
    assert_eq!(failing["http_status"], 400);
    assert_eq!(failing["error_type"], "ValidationException");
    assert_eq!(failing["response_shape"], json!(["__type: string", "message: string"]));
    let valid = snap["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == "valid/all")
        .expect("case");
    assert_eq!(
        valid["response_shape"],
        json!([
            "tunnelArn: string",
            "sourceAccessToken: string",
            "destinationAccessToken: string"
        ])
    );
    assert_eq!(
        failing["outcomes"],
        json!({"valid-accepted": "fail", "error-shape": "pass"})
    );
    assert_eq!(snap["exit_code"], 1);
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn progress_prints_plain_lines_when_not_a_terminal() {
    let result = sample(0);
    let buf = Shared::default();
    let p = Progress::with_writer(
        ProgressMode::Lines,
        false,
        result.redactor.clone(),
        Box::new(buf.clone()),
    );
    p.start(2);
    p.case_started("valid/all");
    p.case_finished("valid/all", Status::Pass, None);
    p.case_finished("boundary/tunnelId/len-128", Status::Fail, None);
    let verbose = Progress::with_writer(
        ProgressMode::Lines,
        true,
        result.redactor.clone(),
        Box::new(buf.clone()),
    );
    verbose.start(1);
    verbose.case_finished("x", Status::Fail, Some(&result.cases[1]));
    let quiet = Progress::with_writer(
        ProgressMode::Quiet,
        true,
        result.redactor.clone(),
        Box::new(buf.clone()),
    );
    quiet.case_finished("y", Status::Pass, None);
    let text = String::from_utf8(buf.0.lock().expect("lock").clone()).expect("utf8");
    assert_eq!(
        text,
        "[1/2] valid/all ... ok\n\
         [2/2] boundary/tunnelId/len-128 ... FAIL\n\
         [1/1] boundary/tunnelId/len-128 ... FAIL [valid-accepted] (HTTP 400 ValidationException)\n"
    );
}

#[test]
fn reports_are_written_creating_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out/nested/report.json");
    report::write_file(&path, json::render(&sample(0), &opts()).as_bytes()).expect("written");
    let back: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    assert_eq!(back["run"]["seed"], 7);
}

#[test]
fn run_rejects_unknown_checks_with_the_valid_list() {
    let out = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["run", "--checks", "token-set,bogus-check"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bogus-check"), "{err}");
    for id in CheckId::all() {
        assert!(err.contains(id.as_str()), "valid ids listed: {err}");
    }
}

#[test]
fn run_help_teaches_flags_examples_and_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["run", "--help"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--endpoint",
        "--live",
        "--seed",
        "--only",
        "--checks",
        "--report-json",
        "--junit",
        "--fixtures",
        "AWS_PROFILE",
        "Exit codes:",
        "130",
        "rotcheck serve --port 8080",
    ] {
        assert!(help.contains(needle), "help lacks {needle}");
    }
}

#[test]
fn run_rejects_bad_numbers_as_usage_errors() {
    for args in [
        &["run", "--time-scale", "0"][..],
        &["run", "--time-scale", "NaN"],
        &["run", "--concurrency", "0"],
        &["run", "--timeout", "-1"],
        &["run", "--fixtures", "/nonexistent/rotcheck-fixtures"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
            .args(args)
            .env_remove("AWS_ENDPOINT_URL")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{args:?}");
    }
}

/// What the echo server received: method, headers, body.
type Received = Arc<Mutex<Vec<(String, Vec<(String, String)>, Vec<u8>)>>>;

async fn echo_server() -> (String, Received, tokio::task::JoinHandle<()>) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let store = store.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
            let headers = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            if let Ok(mut r) = store.lock() {
                r.push((parts.method.to_string(), headers, bytes.to_vec()));
            }
            "{}"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_reproductions_send_the_recorded_bytes() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl is not installed: nothing to check");
        return;
    }
    let (url, received, task) = echo_server().await;
    let r = rotcheck::redact::Redactor::new();
    let bodies: Vec<Vec<u8>> = vec![
        br#"{"tunnelId":"it's \"quoted\"","clientMode":"ALL"}"#.to_vec(),
        b"{\"tunnelId\":\"line\nbreak\x00nul\",\xff\xfe}".to_vec(),
        b"@not-a-file".to_vec(),
        Vec::new(),
    ];
    for (i, body) in bodies.iter().enumerate() {
        let req = rotcheck::wire::HttpRequest::raw(rotcheck::spec::facts::ROTATE, body.clone());
        let signing = if i % 2 == 0 {
            repro::Signing::AsRecorded
        } else {
            repro::Signing::SigV4 { region: "us-east-1" }
        };
        let script = repro::curl_command(&req, &url, signing, &r);
        let out = tokio::task::spawn_blocking(move || {
            Command::new("sh")
                .arg("-c")
                .arg(&script)
                .env("AWS_ACCESS_KEY_ID", "AKIDREPRO")
                .env("AWS_SECRET_ACCESS_KEY", "repro-secret")
                .env_remove("AWS_SESSION_TOKEN")
                .output()
        })
        .await
        .expect("joins")
        .expect("sh runs");
        assert!(
            out.status.success(),
            "curl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = received.lock().expect("lock").pop().expect("a request arrived");
        assert_eq!(got.0, "POST");
        assert_eq!(&got.2, body, "body {i} arrives byte for byte");
        let header = |n: &str| got.1.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(
            header("x-amz-target").as_deref(),
            Some("IoTSecuredTunneling.RotateTunnelAccessToken")
        );
        assert_eq!(header("content-type").as_deref(), Some("application/x-amz-json-1.1"));
        if i % 2 == 1 {
            let auth = header("authorization").expect("curl signed");
            assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDREPRO/"), "{auth}");
            assert!(auth.contains("/us-east-1/IoTSecuredTunneling/aws4_request"), "{auth}");
        }
    }
    task.abort();
}

#[test]
fn setup_failure_still_writes_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("report.json");
    let junit_path = dir.path().join("junit.xml");
    // No credentials anywhere, for an endpoint that is not loopback: a setup error before any
    // request is sent.
    let out = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args([
            "run",
            "--endpoint",
            "https://rotcheck.invalid",
            "--no-progress",
            "--report-json",
        ])
        .arg(&json_path)
        .arg("--junit")
        .arg(&junit_path)
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_CONFIG_FILE", dir.path().join("none-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error:"), "{stderr}");
    let report: Value = serde_json::from_slice(&std::fs::read(&json_path).expect("JSON written")).expect("JSON");
    assert_eq!(report["verdict"], "incomplete");
    assert_eq!(report["exit_code"], 2);
    let errors = report["harness_errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].as_str().unwrap_or("").starts_with("setup failed: "));
    let schema: Value = serde_json::from_str(json::SCHEMA).expect("schema");
    assert!(jsonschema::is_valid(&schema, &report));
    let xml = std::fs::read_to_string(&junit_path).expect("JUnit written");
    assert!(
        xml.contains(r#"<testsuite name="harness" tests="1" failures="0" errors="1""#),
        "{xml}"
    );
}
