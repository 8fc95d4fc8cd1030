//! The fuzz oracles: what must hold for any input. The cargo-fuzz targets are one call each
//! (`request_bytes`, `raw_bytes`, `response_bytes`, `sigv4_bytes`; the stateful target's is in
//! [`super::lifecycle`]), and `tests/fuzz_regressions.rs` replays every committed crash file
//! through the same calls.
//!
//! - `request`: requests through the reference implementation (`request_bytes`, `raw_bytes`);
//! - `response`: arbitrary answers judged by the runner's judge (`response_bytes`);
//! - `sigv4`: tampered signatures through the server's verifier (`sigv4_bytes`);
//! - `validity`: what the spec says of a request, from the committed JSON Schemas;
//! - `inprocess`: sending requests to a router in-process (`tower` `oneshot`, no sockets).

mod inprocess;
mod request;
mod response;
mod sigv4;
mod validity;

pub use super::dataplane::dataplane_bytes;
pub use inprocess::{exchange, send, Sent};
pub use request::{check_prepared, judge_exchange, raw_bytes, request_bytes, FUZZ_MAX_BODY_BYTES};
pub use response::{check_response, response_bytes};
pub use sigv4::{check_sigv4, sigv4_bytes};
pub use validity::{input_validity, parse_body, response_validity, schema_validity, validity, Validity};

/// An oracle that does not hold: what was expected and what happened (no secrets: the fuzz
/// server's tokens are throwaway, and none is quoted anyway).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Violation(pub String);

fn violation(msg: impl Into<String>) -> Result<(), Violation> {
    Err(Violation(msg.into()))
}

/// Runs a future on this thread's runtime (the router is in-process; nothing needs more).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime can always be built");
    }
    RT.with(|rt| rt.block_on(f))
}
