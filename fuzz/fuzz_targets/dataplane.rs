//! The reference data plane on any bytes: an upgrade request (selector byte even) through the
//! in-process router, or a binary frame (odd) through the frame decoder.
//! Oracles: rotcheck::fuzzing::oracles::dataplane_bytes (also replayed by tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(v) = rotcheck::fuzzing::oracles::dataplane_bytes(data) {
        panic!("oracle violated: {v}");
    }
});
