//! Baselines (`rotcheck run --baseline FILE`): failures a team already knows about, each with a
//! reason, reported as "known" instead of failing the run, so a CI gate fails only on new
//! findings. Applied to a finished [`crate::runner::RunResult`] (never inside the checks); the
//! outcome is recorded in [`crate::runner::BaselineApplied`] for the reports.
//!
//! File format (JSON, schema `docs/baseline.schema.json`, described in docs/baseline.md):
//!
//! ```json
//! {
//!   "version": 1,
//!   "entries": [
//!     {"case": "boundary/tunnelId/*", "check": "not-found", "reason": "issue #12: we answer 404"}
//!   ]
//! }
//! ```

mod apply;
mod file;
mod pattern;

pub use apply::{apply, from_result};
pub use file::{load, parse, render, Baseline, BaselineError, Entry, FORMAT_VERSION, MAX_FILE_BYTES, SCHEMA};
pub use pattern::CasePattern;
