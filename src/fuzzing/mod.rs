//! Fuzzing: the inputs and oracles the cargo-fuzz targets share with the regression tests
//! (`input`, `oracles`, `seeds`), the stateful target's sequences (`lifecycle`) and the tunnel
//! lifecycle model that judges them (`model`), and `rotcheck fuzz`, which sends random requests
//! from the mutation catalog to an endpoint and judges them with the runner's checks (`campaign`),
//! shrinking each finding to a minimal request (`shrink`).

pub mod campaign;
pub mod dataplane;
pub mod input;
pub mod lifecycle;
pub mod model;
pub mod oracles;
pub mod repro;
pub mod seeds;
pub mod shrink;

pub use campaign::{fuzz, FuzzConfig, FuzzProgress, FuzzSummary};
