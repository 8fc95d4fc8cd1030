//! Signed requests, tampered with, through the server's SigV4 verifier.
//! Oracles: rotcheck::fuzzing::oracles::sigv4_bytes (also replayed by tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(v) = rotcheck::fuzzing::oracles::sigv4_bytes(data) {
        panic!("oracle violated: {v}");
    }
});
