//! Structured requests (a valid skeleton or a catalog case, plus mutations) through the reference router.
//! Oracles: rotcheck::fuzzing::oracles::request_bytes (also replayed by tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(v) = rotcheck::fuzzing::oracles::request_bytes(data) {
        panic!("oracle violated: {v}");
    }
});
