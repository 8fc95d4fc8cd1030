//! The case list as the runner and the CLI see it: deterministic, uniquely and safely named,
//! covering every kind, with expectations that agree with the spec's own validator, and fixture
//! directories that fail loudly and precisely.

use std::collections::BTreeSet;
use std::fs;

use rotcheck::cases::{
    all_cases, embedded_fixtures, generate, is_safe_id, load_fixtures, mutate, rng_for, valid, BaseRequest, Case,
    CaseError, CaseKind, Expectation, FixtureError, TunnelState,
};
use rotcheck::spec::facts::{self, ClientMode};
use rotcheck::spec::{model, validate_input};
use serde_json::Value;

const SEED: u64 = 1;
/// A well-formed id standing in for the tunnel the runner would prepare.
const OPEN_ID: &str = "rotcheckIntegration1";

fn count(cases: &[Case], kind: CaseKind) -> usize {
    cases.iter().filter(|c| c.kind == kind).count()
}

#[test]
fn generate_is_deterministic_and_ids_do_not_depend_on_the_seed() {
    let a = generate(SEED);
    assert_eq!(a, generate(SEED));
    let b = generate(SEED + 1);
    let ids = |cs: &[Case]| cs.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    // Random content (unknown ids, names, insertion points) follows the seed.
    assert!(a.iter().zip(&b).any(|(x, y)| x.request.body != y.request.body));
    assert!(a.iter().zip(&b).any(|(x, y)| x.tunnel != y.tunnel));
}

#[test]
fn ids_are_sorted_unique_and_shell_safe_with_kind_prefixes() {
    let cases = generate(SEED);
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "duplicate ids");
    for c in &cases {
        assert!(is_safe_id(&c.id), "{}", c.id);
        let prefix = match c.kind {
            CaseKind::Valid => "valid/",
            CaseKind::Boundary => "boundary/",
            CaseKind::Mutated => "mutate/",
            CaseKind::Fixture => "fixture/",
        };
        assert!(c.id.starts_with(prefix), "{}", c.id);
        assert!(!c.description.is_empty() && !c.description.contains('\n'), "{}", c.id);
        assert_eq!(c.operator.is_some(), c.kind == CaseKind::Mutated, "{}", c.id);
    }
}

#[test]
fn counts_per_kind() {
    let cases = generate(SEED);
    // 3 modes without destinationConfig + DESTINATION/ALL x 1..3 services x thingName or not.
    assert_eq!(count(&cases, CaseKind::Valid), 15);
    assert!(
        count(&cases, CaseKind::Boundary) >= 60,
        "{}",
        count(&cases, CaseKind::Boundary)
    );
    assert!(
        count(&cases, CaseKind::Mutated) >= 150,
        "{}",
        count(&cases, CaseKind::Mutated)
    );
    assert_eq!(count(&cases, CaseKind::Fixture), 0);
    let ops: BTreeSet<&str> = cases.iter().filter_map(|c| c.operator.as_deref()).collect();
    assert_eq!(ops.len(), mutate::catalog().len(), "every operator contributes cases");
    assert!(mutate::catalog().len() >= 25);
    for e in [
        Expectation::NotFound,
        Expectation::Invalid,
        Expectation::SourceWithDestinationConfig,
        Expectation::ClosedTunnel,
        Expectation::AnyNon5xx { mode: None },
    ] {
        assert!(cases.iter().any(|c| c.expect == e), "no case expects {e:?}");
    }
    for mode in ClientMode::ALL_MODES {
        assert!(cases.iter().any(|c| c.expect == Expectation::Success { mode }));
    }
}

/// The tunnel id a runner would substitute for the case's placeholder.
fn id_for(tunnel: &TunnelState) -> &str {
    match tunnel {
        TunnelState::Unknown { id } => id,
        _ => OPEN_ID,
    }
}

/// Whether the request is a well-formed AWS JSON 1.1 call of RotateTunnelAccessToken.
fn standard_envelope(c: &Case) -> bool {
    c.request.method == "POST"
        && c.request.header("Content-Type") == Some(facts::CONTENT_TYPE)
        && c.request.operation() == Some(facts::ROTATE)
}

/// The body as the most lenient conformant server could read it: bytes decoded lossily, a BOM
/// skipped, anything after the first JSON value ignored (duplicate keys: the last wins).
fn lenient_body(bytes: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .next()?
        .ok()
}

/// Every expectation agrees with the spec's validator (src/spec/validate.rs): what must succeed
/// validates, what must be refused does not (unless the refusal comes from the envelope or from
/// bytes that are not JSON), and the tunnel state fits the expectation.
fn check_expectations(cases: &[Case]) {
    for c in cases {
        let sent = c.materialize(id_for(&c.tunnel));
        let body: Option<Value> = serde_json::from_slice(&sent.body).ok();
        let verdict = body.as_ref().map(|b| validate_input(model(), facts::ROTATE, b));
        let mode_of = |b: &Value| b.get("clientMode").and_then(Value::as_str).and_then(ClientMode::parse);
        match &c.expect {
            Expectation::Success { mode } => {
                assert!(standard_envelope(c), "{}: success needs the standard envelope", c.id);
                assert!(matches!(c.tunnel, TunnelState::Open { .. }), "{}", c.id);
                let b = body
                    .as_ref()
                    .unwrap_or_else(|| panic!("{}: success body is JSON", c.id));
                assert_eq!(verdict, Some(Ok(())), "{}", c.id);
                assert_eq!(mode_of(b), Some(*mode), "{}", c.id);
                assert!(
                    *mode != ClientMode::Source || b.get("destinationConfig").is_none_or(Value::is_null),
                    "{}",
                    c.id
                );
            }
            Expectation::Invalid => {
                // The validator knows the model; the envelope, JSON syntax and the SOURCE +
                // destinationConfig rule are checked elsewhere.
                let source_with_config = body.as_ref().is_some_and(|b| {
                    mode_of(b) == Some(ClientMode::Source) && b.get("destinationConfig").is_some_and(|d| !d.is_null())
                });
                let refused_anyway = !standard_envelope(c) || body.is_none() || source_with_config;
                assert!(
                    refused_anyway || matches!(verdict, Some(Err(_))),
                    "{}: the validator accepts it",
                    c.id
                );
                // Leniency the spec allows must not turn a forbidden request into a valid one.
                if standard_envelope(c) && !source_with_config {
                    if let Some(b) = lenient_body(&sent.body) {
                        let lenient = validate_input(model(), facts::ROTATE, &b);
                        let sw = mode_of(&b) == Some(ClientMode::Source) && b.get("destinationConfig").is_some();
                        assert!(lenient.is_err() || sw, "{}: a lenient reading accepts it", c.id);
                    }
                }
            }
            Expectation::NotFound => {
                assert!(
                    matches!(c.tunnel, TunnelState::Unknown { .. } | TunnelState::None),
                    "{}",
                    c.id
                );
                assert!(standard_envelope(c), "{}", c.id);
                assert_eq!(verdict, Some(Ok(())), "{}: an unknown id must be well-formed", c.id);
            }
            Expectation::SourceWithDestinationConfig => {
                assert!(matches!(c.tunnel, TunnelState::Open { .. }), "{}", c.id);
                let b = body.as_ref().unwrap_or_else(|| panic!("{}", c.id));
                assert_eq!(verdict, Some(Ok(())), "{}", c.id);
                assert_eq!(mode_of(b), Some(ClientMode::Source), "{}", c.id);
                assert!(b["destinationConfig"].is_object(), "{}", c.id);
            }
            Expectation::ClosedTunnel => {
                assert_eq!(c.tunnel, TunnelState::Closed, "{}", c.id);
                assert_eq!(verdict, Some(Ok(())), "{}", c.id);
            }
            Expectation::AnyNon5xx { .. } => {}
        }
    }
}

#[test]
fn generated_expectations_agree_with_the_validator() {
    check_expectations(&generate(SEED));
    check_expectations(&generate(0xdead_beef));
}

#[test]
fn embedded_fixture_expectations_agree_with_the_validator() {
    check_expectations(&embedded_fixtures().expect("embedded fixtures load"));
}

#[test]
fn mutated_cases_run_on_an_open_tunnel() {
    for c in generate(SEED).iter().filter(|c| c.kind == CaseKind::Mutated) {
        assert!(matches!(c.tunnel, TunnelState::Open { .. }), "{}", c.id);
    }
}

#[test]
fn operators_are_usable_one_at_a_time_on_every_valid_base() {
    let bases: Vec<BaseRequest> = valid::bases(&mut rng_for(SEED, "fuzz-bases"));
    let mut produced = BTreeSet::new();
    for (i, base) in bases.iter().enumerate() {
        for op in mutate::catalog() {
            let once = mutate::apply(op, base, &mut rng_for(7, op.name));
            if i % 4 == 0 {
                assert_eq!(once, mutate::apply(op, base, &mut rng_for(7, op.name)), "{}", op.name);
            }
            for c in &once {
                assert!(is_safe_id(&c.id), "{}", c.id);
                assert_eq!(c.tunnel, base.tunnel);
            }
            if !once.is_empty() {
                produced.insert(op.name);
            }
            check_expectations(&once);
        }
    }
    assert_eq!(produced.len(), mutate::catalog().len());
}

#[test]
fn all_cases_merges_fixtures_and_rejects_duplicates() {
    let fixtures = embedded_fixtures().unwrap();
    let n = fixtures.len();
    let all = all_cases(SEED, fixtures.clone()).unwrap();
    assert_eq!(all.len(), generate(SEED).len() + n);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));

    let mut twice = fixtures.clone();
    twice.push(fixtures[0].clone());
    assert_eq!(
        all_cases(SEED, twice),
        Err(CaseError::DuplicateId(fixtures[0].id.clone()))
    );

    let mut clash = fixtures[0].clone();
    clash.id = "valid/source".into();
    assert_eq!(
        all_cases(SEED, vec![clash]),
        Err(CaseError::DuplicateId("valid/source".into()))
    );

    let mut unsafe_id = fixtures[0].clone();
    unsafe_id.id = "fixture/x/a b".into();
    assert!(matches!(all_cases(SEED, vec![unsafe_id]), Err(CaseError::UnsafeId(_))));
}

const GOOD: &str = r#"{"cases": [{"name": "ok", "description": "d",
    "request": {"body": {"tunnelId": "{{tunnelId}}", "clientMode": "SOURCE"}},
    "expect": {"outcome": "success", "mode": "SOURCE"}}]}"#;

#[test]
fn a_users_fixture_directory_loads_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("b.json"), GOOD).unwrap();
    fs::write(dir.path().join("a.json"), GOOD).unwrap();
    fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let cases = load_fixtures(dir.path()).unwrap();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["fixture/a/ok", "fixture/b/ok"]);
    assert!(all_cases(SEED, cases).is_ok());
}

#[test]
fn bad_fixtures_name_the_file_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.json"), GOOD).unwrap();
    let bad = r#"{"cases": [{"name": "x", "description": "d",
        "tunnel": {"state": "unknown", "id": "not valid!"},
        "request": {"body": {}}, "expect": {"outcome": "not-found"}}]}"#;
    let path = dir.path().join("broken.json");
    fs::write(&path, bad).unwrap();
    let err = load_fixtures(dir.path()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("/cases/0/tunnel/id"), "{msg}");
    let FixtureError::Invalid { issues, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(issues[0].pointer, "/cases/0/tunnel/id");

    fs::write(&path, "{\"cases\": [").unwrap();
    let msg = load_fixtures(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("broken.json") && msg.contains("not valid JSON"), "{msg}");

    fs::write(&path, r#"{"cases": [], "extra": true}"#).unwrap();
    let msg = load_fixtures(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("broken.json") && msg.contains("/cases"), "{msg}");
}

#[test]
fn unusable_directories_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_fixtures(dir.path()).unwrap_err();
    assert!(matches!(err, FixtureError::NoFixtures { .. }), "{err:?}");

    let missing = dir.path().join("nope");
    let msg = load_fixtures(&missing).unwrap_err().to_string();
    assert!(msg.contains("nope"), "{msg}");

    // A huge file is refused before it is read (sparse: no disk used).
    let f = fs::File::create(dir.path().join("huge.json")).unwrap();
    f.set_len(rotcheck::cases::fixtures::MAX_FILE_BYTES + 1).unwrap();
    let err = load_fixtures(dir.path()).unwrap_err();
    assert!(matches!(err, FixtureError::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("huge.json"));
}

/// The catalog of generated cases, one line each: id, tunnel state and expectation (no random
/// content, so the snapshot is the same for every seed). Review changes with `cargo insta review`.
#[test]
fn case_catalog_snapshot() {
    let lines: Vec<String> = generate(SEED)
        .iter()
        .map(|c| {
            let state = match &c.tunnel {
                TunnelState::Open {
                    destination_config: None,
                } => "open",
                TunnelState::Open { .. } => "open+config",
                TunnelState::Closed => "closed",
                TunnelState::Unknown { .. } => "unknown",
                TunnelState::None => "none",
            };
            let expect = serde_json::to_string(&c.expect).unwrap_or_default();
            format!("{:<64} {:<12} {expect}", c.id, state)
        })
        .collect();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("case-catalog", lines.join("\n")));
}
