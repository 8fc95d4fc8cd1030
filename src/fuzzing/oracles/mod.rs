//! The fuzz oracles: what must hold for any input. The cargo-fuzz targets are one call each
//! (`request_bytes`, `raw_bytes`, `response_bytes`, `sigv4_bytes`; the stateful target's is in
//! [`super::lifecycle`]), and `tests/fuzz_regressions.rs` replays every committed crash file
//! through the same calls.
//!
//! - `request`: requests through the reference implementation (`request_bytes`, `raw_bytes`),
//!   each answer judged by the checks (`checks::judge_step`) with what the committed schemas say
//!   of its request;
//! - `response`: arbitrary answers judged by the checks as `rotcheck run` judges them, the verdicts
//!   held to an independent reading of the answer (`response_bytes`);
//! - `sigv4`: tampered signatures through the server's verifier (`sigv4_bytes`);
//! - `validity`: what the spec says of a request, from the committed JSON Schemas;
//! - `inprocess`: sending requests to a router in-process (`tower` `oneshot`, no sockets).

mod inprocess;
mod request;
mod response;
mod sigv4;
mod validity;

pub use super::dataplane::dataplane_bytes;
pub use inprocess::{exchange, send, Exchanged};
pub use request::{check_prepared, judge_exchange, raw_bytes, request_bytes, FUZZ_MAX_BODY_BYTES};
pub use response::{check_response, response_bytes};
pub use sigv4::{check_sigv4, sigv4_bytes};
pub use validity::{input_validity, parse_body, response_validity, schema_validity, validity, Validity};

use crate::checks::{CheckId, CheckOutcome};

/// An oracle that does not hold: the check whose rule the answer broke (None: a rule of the
/// oracle's own, such as the frame decoder's round trip, or a setup failure), and what was
/// expected and what happened (no secrets: the fuzz server's tokens are throwaway, and none is
/// quoted anyway).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OracleFailure {
    pub check: Option<CheckId>,
    pub message: String,
}

impl OracleFailure {
    pub fn new(message: impl Into<String>) -> OracleFailure {
        OracleFailure {
            check: None,
            message: message.into(),
        }
    }

    /// A check's failing outcome, with `context` (what was sent) in front.
    pub fn of_outcome(context: &str, o: &CheckOutcome) -> OracleFailure {
        let mut message = format!("{}: {context}{}", o.check, o.message);
        if let (Some(expected), Some(actual)) = (&o.expected, &o.actual) {
            message.push_str(&format!(" (expected {expected}, got {actual})"));
        }
        OracleFailure {
            check: Some(o.check),
            message,
        }
    }
}

fn violation(msg: impl Into<String>) -> Result<(), OracleFailure> {
    Err(OracleFailure::new(msg))
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
