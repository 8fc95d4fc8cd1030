//! Arbitrary status, headers and body judged by the checks as the answer to a valid rotation.
//! Oracles: rotcheck::fuzzing::oracles::response_bytes (also replayed by tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(v) = rotcheck::fuzzing::oracles::response_bytes(data) {
        panic!("oracle violated: {v}");
    }
});
