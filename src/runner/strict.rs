//! `--strict`: the one place the strictness mode acts. Checks report behaviour that PROTOCOL.md
//! only infers as [`Status::Advisory`]; in strict mode those outcomes become failures, for teams
//! that want to match the real service beyond the spec. Applied as each case's outcomes are
//! final, so checks never need to know the mode.

use super::gating::RunMode;
use super::result::{CaseResult, Status};

/// Appended to an advisory's message when strict mode turns it into a failure.
pub const STRICT_NOTE: &str = "(a failure in --strict mode: PROTOCOL.md infers this, the spec does not state it)";

pub fn apply(mode: RunMode, case: &mut CaseResult) {
    if mode != RunMode::Strict {
        return;
    }
    // Advisories about what no source settles stay advisories: there is nothing to match.
    for o in case
        .outcomes
        .iter_mut()
        .filter(|o| o.status == Status::Advisory && o.check.strict_applies())
    {
        o.status = Status::Fail;
        o.message = format!("{} {STRICT_NOTE}", o.message);
    }
}
