//! rotcheck: a conformance harness and fuzzer for implementations of the AWS IoT Secure Tunneling
//! action RotateTunnelAccessToken.

// No unsafe code here: the CI fuzz smoke runs without AddressSanitizer on that ground.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod cases;
pub mod checks;
pub mod client;
pub mod fuzzing;
pub mod parity;
pub mod redact;
pub mod report;
pub mod runner;
pub mod secret;
pub mod server;
pub mod spec;
pub mod target;
pub mod traceability;
pub mod wire;
