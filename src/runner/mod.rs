//! The runner: prepares tunnel state, sends each case, gathers what the checks need, runs the
//! checks, and returns a [`RunResult`]. It prints nothing; reports render the result.

pub mod result;

pub use result::{CaseResult, CheckOutcome, Exchange, RunMeta, RunResult, SkippedCheck, Status};
