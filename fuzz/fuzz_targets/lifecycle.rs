//! Sequences of operations (open, rotate in every mode, describe, close, list, tag, time passing)
//! against the reference implementation, judged by the lifecycle model.
//! Oracles: rotcheck::fuzzing::lifecycle::lifecycle_bytes_with (also replayed by tests/fuzz_regressions.rs).
//!
//! ROTCHECK_FUZZ_FAULTS=name[,name...] switches server faults on (`rotcheck serve --list-faults`),
//! to show the target finds them; an unknown name stops the target at start.
#![no_main]

use std::sync::OnceLock;

use rotcheck::server::Fault;

fn faults() -> &'static [Fault] {
    static FAULTS: OnceLock<Vec<Fault>> = OnceLock::new();
    FAULTS.get_or_init(|| match std::env::var("ROTCHECK_FUZZ_FAULTS") {
        Ok(names) => names
            .split(',')
            .filter(|n| !n.trim().is_empty())
            .map(|n| {
                n.trim()
                    .parse::<Fault>()
                    .unwrap_or_else(|e| panic!("ROTCHECK_FUZZ_FAULTS: {e}"))
            })
            .collect(),
        Err(_) => Vec::new(),
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(v) = rotcheck::fuzzing::lifecycle::lifecycle_bytes_with(data, faults()) {
        panic!("oracle violated: {v}");
    }
});
