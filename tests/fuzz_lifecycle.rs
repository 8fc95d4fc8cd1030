//! The stateful fuzz target's oracle (`rotcheck::fuzzing::lifecycle`): every seed sequence passes
//! against the faithful reference implementation, and each lifecycle fault that no single request
//! can show is caught by a short sequence that exhibits it. (`scripts/fuzz-lifecycle-faults.sh`
//! shows the cargo-fuzz target finding each one on its own.) `rotcheck fuzz --sequences` finds
//! each of them too on a budget of 10 tunnels.

use rotcheck::fuzzing::driver::SequenceEnd;
use rotcheck::fuzzing::input::ModeChoice;
use rotcheck::fuzzing::lifecycle::{
    check_sequence, run_in_process, run_in_process_with, seed_sequences, LifecycleInput, Step,
};
use rotcheck::fuzzing::notation;
use rotcheck::fuzzing::sequences::{opening_scenarios, SequenceStream};
use rotcheck::server::{Fault, Variant};

use Step::*;

/// The catalog's faults that only a sequence of requests shows, with a sequence showing each.
fn sequence_faults() -> Vec<(&'static str, Vec<Step>)> {
    let open = |lifetime: u8| Open {
        lifetime,
        config: false,
    };
    let rotate = |mode: ModeChoice| Rotate {
        tunnel: 0,
        mode,
        config: false,
    };
    vec![
        (
            "tokens-recycled",
            vec![open(11), rotate(ModeChoice::Source), rotate(ModeChoice::Source)],
        ),
        ("tokens-not-rotated", vec![open(11), rotate(ModeChoice::All)]),
        (
            "closed-tunnel-reopens",
            vec![
                open(11),
                Close {
                    tunnel: 0,
                    delete: false,
                },
                rotate(ModeChoice::All),
                Describe { tunnel: 0 },
            ],
        ),
        // A 2-minute tunnel rotated after 1 minute: the real expiry moves to minute 3.
        (
            "extend-lifetime-hidden",
            vec![
                open(1),
                Advance { secs: 2 },
                rotate(ModeChoice::Source),
                Advance { secs: 4 },
                List,
            ],
        ),
        (
            "extend-lifetime-visible",
            vec![
                open(11),
                Describe { tunnel: 0 },
                Advance { secs: 0 },
                rotate(ModeChoice::All),
                Describe { tunnel: 0 },
            ],
        ),
        (
            "expiry-not-enforced",
            vec![open(0), Advance { secs: 5 }, Describe { tunnel: 0 }],
        ),
        (
            "timeout-reset",
            vec![open(11), rotate(ModeChoice::Destination), Describe { tunnel: 0 }],
        ),
        ("rotation-closes-tunnel", vec![open(11), rotate(ModeChoice::All), List]),
        (
            "source-dest-config-applied",
            vec![
                open(11),
                Rotate {
                    tunnel: 0,
                    mode: ModeChoice::Source,
                    config: true,
                },
                Describe { tunnel: 0 },
            ],
        ),
    ]
}

/// The check fixtures/fault-checks.txt names for `fault`.
fn catalog_check(fault: &str) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fault-checks.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(fault)).then(|| w.next().unwrap_or_default().to_owned())
        })
        .unwrap_or_else(|| panic!("{fault} is not in fixtures/fault-checks.txt"))
}

#[test]
fn every_seed_sequence_passes_against_the_faithful_server() {
    for (name, input) in seed_sequences() {
        let encoded = LifecycleInput::decode(&input.encode()).expect("seeds decode");
        assert_eq!(encoded.steps.len(), input.steps.len(), "{name} round-trips");
        if let Err(v) = check_sequence(&input.steps, &[]) {
            panic!("seed {name}: {v}");
        }
    }
}

/// Guards the one judge against false alarms: the checks now judge every step of a sequence
/// (answers the lifecycle model used to look at only in part, such as every success body's
/// schema), so the faithful server and every conformant variant must still pass the opening
/// scenarios and a few hundred random sequences.
#[test]
fn the_faithful_server_and_every_variant_pass_random_sequences() {
    let sequences: Vec<Vec<Step>> = opening_scenarios()
        .into_iter()
        .chain(SequenceStream::new(7, true).take(300))
        .collect();
    let variants = std::iter::once(None).chain(Variant::all().iter().map(Some));
    let mut failed = Vec::new();
    for variant in variants {
        let variants: Vec<Variant> = variant.into_iter().copied().collect();
        for steps in &sequences {
            if let SequenceEnd::Violation { step, outcome } = run_in_process_with(steps, &[], &variants).end {
                failed.push(format!(
                    "{variants:?}: {} at step {}: {}: {} ({:?} / {:?})",
                    notation::render(steps),
                    step + 1,
                    outcome.check,
                    outcome.message,
                    outcome.expected,
                    outcome.actual
                ));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} false alarm(s):\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn each_sequence_only_fault_is_caught_and_the_faithful_server_passes_the_same_sequence() {
    for (name, steps) in sequence_faults() {
        let fault: Fault = name.parse().expect("a catalog fault");
        if let Err(v) = check_sequence(&steps, &[]) {
            panic!("{name}: the faithful server fails the sequence: {v}");
        }
        match run_in_process(&steps, &[fault]).end {
            SequenceEnd::Violation { outcome, .. } => {
                eprintln!("{name}: {}: {}", outcome.check, outcome.message);
                // The finding names the check `rotcheck run` catches the fault with
                // (fixtures/fault-checks.txt), or the one the sequence shows it by.
                let expected = match name {
                    // A rotation that closes the tunnel: the sequence sees it CLOSED too early.
                    "rotation-closes-tunnel" => "closed-tunnel".to_owned(),
                    _ => catalog_check(name),
                };
                assert_eq!(outcome.check.as_str(), expected, "{name}");
            }
            other => panic!("{name}: not caught by {steps:?}: {other:?}"),
        }
    }
}

/// Guards the verdicts of a campaign on a tunnel budget: with 10 tunnels (the default against
/// AWS), `rotcheck fuzz --sequences` still finds every lifecycle fault of the catalog that a
/// sequence shows (before the budget, a 60 s campaign opening hundreds of tunnels found all but
/// extend-lifetime-hidden), and the server opened no more than 10. One campaign per fault, all
/// at once, each against its own server on 127.0.0.1 whose clock runs 60 times faster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sequence_only_fault_is_found_by_a_campaign_on_a_budget_of_10_tunnels() {
    use rotcheck::server::{self, ServerConfig};
    use std::net::{Ipv4Addr, SocketAddr};

    let campaigns = sequence_faults().into_iter().map(|(name, _)| async move {
        let config = ServerConfig {
            faults: vec![name.parse().expect("a catalog fault")],
            time_scale: 60.0,
            ..ServerConfig::default()
        };
        let srv = server::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("server starts");
        let url = srv.url();
        let home = tempfile::tempdir().expect("temp dir");
        let home_path = home.path().to_owned();
        let o = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_rotcheck"))
                .args(["fuzz", "--sequences", "--endpoint", &url, "--time-scale", "60"])
                .args(["--max-tunnels-opened", "10", "--duration", "30s", "--max-findings", "2"])
                .arg("--no-progress")
                .env_clear()
                .env("HOME", &home_path)
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .output()
                .expect("rotcheck runs")
        })
        .await
        .expect("fuzz ran");
        let opened = srv.tunnels_opened();
        srv.shutdown().await;
        (name, o, opened)
    });
    for (name, o, opened) in futures_util::future::join_all(campaigns).await {
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(1), "{name} not found: {out}");
        // The check `rotcheck run` names, or the one the sequence shows the fault by.
        let rules = match name {
            "rotation-closes-tunnel" => vec!["closed-tunnel".to_owned(), "valid-accepted".to_owned()],
            _ => vec![catalog_check(name)],
        };
        assert!(
            rules.iter().any(|r| out.contains(&format!("finding 1: {r} —"))),
            "{name}: expected a finding by {rules:?}: {out}"
        );
        assert!(opened <= 10, "{name}: the server opened {opened} tunnels: {out}");
    }
}
