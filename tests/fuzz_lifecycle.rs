//! The stateful fuzz target's oracle (`rotcheck::fuzzing::lifecycle`): every seed sequence passes
//! against the faithful reference implementation, and each lifecycle fault that no single request
//! can show is caught by a short sequence that exhibits it. (`scripts/fuzz-lifecycle-faults.sh`
//! shows the cargo-fuzz target finding each one on its own.)

use rotcheck::fuzzing::driver::Verdict;
use rotcheck::fuzzing::input::Mode;
use rotcheck::fuzzing::lifecycle::{check_sequence, run_in_process, seed_sequences, LifecycleInput, Step};
use rotcheck::server::Fault;

use Step::*;

/// The catalog's faults that only a sequence of requests shows, with a sequence showing each.
fn sequence_faults() -> Vec<(&'static str, Vec<Step>)> {
    let open = |lifetime: u8| Open {
        lifetime,
        config: false,
    };
    let rotate = |mode: Mode| Rotate {
        tunnel: 0,
        mode,
        config: false,
    };
    vec![
        (
            "tokens-recycled",
            vec![open(11), rotate(Mode::Source), rotate(Mode::Source)],
        ),
        ("tokens-not-rotated", vec![open(11), rotate(Mode::All)]),
        (
            "closed-tunnel-reopens",
            vec![
                open(11),
                Close {
                    tunnel: 0,
                    delete: false,
                },
                rotate(Mode::All),
                Describe { tunnel: 0 },
            ],
        ),
        // A 2-minute tunnel rotated after 1 minute: the real expiry moves to minute 3.
        (
            "extend-lifetime-hidden",
            vec![
                open(1),
                Advance { secs: 2 },
                rotate(Mode::Source),
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
                rotate(Mode::All),
                Describe { tunnel: 0 },
            ],
        ),
        (
            "expiry-not-enforced",
            vec![open(0), Advance { secs: 5 }, Describe { tunnel: 0 }],
        ),
        (
            "timeout-reset",
            vec![open(11), rotate(Mode::Destination), Describe { tunnel: 0 }],
        ),
        ("rotation-closes-tunnel", vec![open(11), rotate(Mode::All), List]),
        (
            "source-dest-config-applied",
            vec![
                open(11),
                Rotate {
                    tunnel: 0,
                    mode: Mode::Source,
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

#[test]
fn each_sequence_only_fault_is_caught_and_the_faithful_server_passes_the_same_sequence() {
    for (name, steps) in sequence_faults() {
        let fault: Fault = name.parse().expect("a catalog fault");
        if let Err(v) = check_sequence(&steps, &[]) {
            panic!("{name}: the faithful server fails the sequence: {v}");
        }
        match run_in_process(&steps, &[fault]).verdict {
            Verdict::Violation { broken, .. } => {
                eprintln!("{name}: {broken}");
                // The finding names the check `rotcheck run` catches the fault with
                // (fixtures/fault-checks.txt), or the one the sequence shows it by.
                let expected = match name {
                    // A rotation that closes the tunnel: the sequence sees it CLOSED too early.
                    "rotation-closes-tunnel" => "closed-tunnel".to_owned(),
                    _ => catalog_check(name),
                };
                assert_eq!(broken.rule.name(), expected, "{name}");
            }
            other => panic!("{name}: not caught by {steps:?}: {other:?}"),
        }
    }
}
