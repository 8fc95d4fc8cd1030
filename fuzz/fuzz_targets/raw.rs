//! Raw body bytes (after an operation selector byte) through the reference router's request decoding.
//! Oracles: rotcheck::fuzzing::oracles::raw_bytes (also replayed by tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(v) = rotcheck::fuzzing::oracles::raw_bytes(data) {
        panic!("oracle violated: {v}");
    }
});
