//! docs/iam-policy.json, the minimal policy the README tells AWS users to attach: valid JSON,
//! exactly the `iot:` actions rotcheck's commands call, on the tunnel ARN, and every thing the
//! cases name in a destinationConfig (OpenTunnel: `RemoteDeviceA` and `rotcheck-*`; rotations:
//! any valid name, the boundary cases pick them at random).

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Command, Stdio};

use rotcheck::cases::{self, Expectation, TunnelState};
use rotcheck::spec::Op;
use serde_json::Value;

const TUNNELS: &str = "arn:aws:iot:REGION:ACCOUNT:tunnel/*";
const THING_PREFIX: &str = "arn:aws:iot:REGION:ACCOUNT:thing/";

fn policy() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/iam-policy.json");
    let text = std::fs::read_to_string(&path).expect("docs/iam-policy.json exists");
    serde_json::from_str(&text).expect("docs/iam-policy.json is JSON")
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

/// (actions, resources) of each Allow statement.
fn statements() -> Vec<(BTreeSet<String>, Vec<String>)> {
    let p = policy();
    assert_eq!(p["Version"], "2012-10-17");
    p["Statement"]
        .as_array()
        .expect("Statement is a list")
        .iter()
        .map(|s| {
            assert_eq!(s["Effect"], "Allow", "{s}");
            (strings(&s["Action"]).into_iter().collect(), strings(&s["Resource"]))
        })
        .collect()
}

/// Every operation rotcheck can send: `rotcheck fuzz` names each of `Op::ALL` in X-Amz-Target,
/// the others a subset (checked against a live server below).
fn actions_rotcheck_calls() -> BTreeSet<String> {
    Op::ALL.iter().map(|op| format!("iot:{}", op.name())).collect()
}

/// IAM's `*` wildcard (the only one the policy uses).
fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, tail)) => s.strip_prefix(head).is_some_and(|rest| {
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| glob(tail, &rest[i..]))
        }),
    }
}

fn allowed(action: &str, resource: &str) -> bool {
    statements()
        .iter()
        .any(|(actions, resources)| actions.contains(action) && resources.iter().any(|r| glob(r, resource)))
}

#[test]
fn the_policy_allows_exactly_the_iot_actions_rotcheck_calls_on_tunnels() {
    let all: BTreeSet<String> = statements().into_iter().flat_map(|(a, _)| a).collect();
    assert_eq!(all, actions_rotcheck_calls());
    for action in actions_rotcheck_calls() {
        assert!(
            allowed(&action, &TUNNELS.replace('*', "abc-123")),
            "{action} on a tunnel"
        );
    }
    assert!(all.iter().all(|a| a.starts_with("iot:")), "{all:?}");
}

#[test]
fn every_thing_the_cases_name_is_allowed_for_open_and_rotate() {
    let mut open = BTreeSet::new();
    let mut rotate = BTreeSet::new();
    let thing = |dc: &Value| dc["thingName"].as_str().map(String::from);
    for seed in 1..=3 {
        let fixtures = cases::embedded_fixtures().expect("fixtures");
        for case in cases::all_cases(seed, fixtures).expect("cases") {
            if let TunnelState::Open {
                destination_config: Some(dc),
            } = &case.tunnel
            {
                open.extend(thing(dc));
            }
            // Only a request the spec expects to succeed has to get past IAM.
            if matches!(case.expect, Expectation::Success { .. }) {
                if let Some(body) = case.request.body_json() {
                    rotate.extend(thing(&body["destinationConfig"]));
                }
            }
        }
    }
    assert!(open.contains("RemoteDeviceA"), "{open:?}");
    for (action, names) in [("iot:OpenTunnel", &open), ("iot:RotateTunnelAccessToken", &rotate)] {
        for name in names {
            assert!(
                allowed(action, &format!("{THING_PREFIX}{name}")),
                "{action} for thing {name}"
            );
        }
    }
}

/// The operations a `rotcheck serve -v` log shows (`operation="Name"`; `-` is an unknown target).
fn logged_operations(log: &str) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    let mut plain = String::new();
    let mut chars = log.chars();
    // Strip ANSI colour sequences (ESC [ ... m).
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    for part in plain.split("operation=\"").skip(1) {
        if let Some(name) = part.split('"').next() {
            if Op::parse(name).is_some() {
                ops.insert(format!("iot:{name}"));
            }
        }
    }
    ops
}

fn rotcheck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_IOTSECURETUNNELING")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("rotcheck runs")
}

#[test]
fn the_commands_call_no_operation_the_policy_leaves_out() {
    let mut serve = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["serve", "-v", "--time-scale", "60"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rotcheck serve starts");
    let mut first = String::new();
    BufReader::new(serve.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_owned();
    let mut stderr = serve.stderr.take().expect("stderr");
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let runs: [&[&str]; 4] = [
        &["run", "--no-progress", "--endpoint", &url, "--time-scale", "60"],
        &["fuzz", "--no-progress", "--endpoint", &url, "--duration", "1s"],
        &[
            "fuzz",
            "--no-progress",
            "--sequences",
            "--endpoint",
            &url,
            "--duration",
            "1s",
            "--time-scale",
            "60",
        ],
        &["cleanup", "--endpoint", &url],
    ];
    for args in runs {
        let out = rotcheck(args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serve.kill().expect("stop serve");
    let _ = serve.wait();
    let observed = logged_operations(&log.join().expect("log reader"));
    assert!(observed.contains("iot:RotateTunnelAccessToken"), "{observed:?}");
    let in_policy: BTreeSet<String> = statements().into_iter().flat_map(|(a, _)| a).collect();
    let missing: Vec<&String> = observed.difference(&in_policy).collect();
    assert!(missing.is_empty(), "sent but not in docs/iam-policy.json: {missing:?}");
}
