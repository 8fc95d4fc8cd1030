//! Fuzzing: the inputs and oracles the cargo-fuzz targets share with the regression tests
//! (`input`, `oracles`, `seeds`); sequences of lifecycle operations (`lifecycle`: the steps and the
//! in-process target), the driver that runs them against any endpoint (`driver`), the tunnel
//! lifecycle model that says what each answer must be (`model`) and their text form (`notation`);
//! and `rotcheck fuzz`, which sends random requests from the mutation catalog to an endpoint
//! (`campaign`, shrinking each finding to a minimal request: `shrink`), or random sequences
//! (`sequences`), on a tunnel budget (`budget`) that reuses the tunnels a campaign already has
//! (`reuse`). Every answer, on every path, is judged by the one registry of checks
//! (`crate::checks`).

pub mod budget;
pub mod campaign;
pub mod dataplane;
pub mod driver;
pub mod input;
pub mod lifecycle;
pub mod model;
pub mod notation;
pub mod oracles;
pub mod repro;
pub mod reuse;
pub mod seeds;
pub mod sequences;
pub mod shrink;

/// The base of both campaigns' retry backoff: short, since the fuzzers hunt 5xx answers (a 5xx
/// that persists through the retries is still judged; throttling answers also slow the client's
/// rate limiter down).
pub(crate) const FUZZ_RETRY_BASE: std::time::Duration = std::time::Duration::from_millis(10);

pub use campaign::{fuzz, FuzzConfig, FuzzProgress, FuzzSummary};
pub use sequences::SequenceSummary;
