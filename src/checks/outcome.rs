//! What a check says about one piece of evidence: plain data, rendered by the reports.

use serde::Serialize;

use super::CheckId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// A conformance violation (exit 1).
    Fail,
    /// The harness could not judge: transport failure, setup failure (JUnit `<error>`).
    Error,
    /// Not applicable or not selected; `message` says why.
    Skip,
    /// Worth knowing, never a failure: behaviour PROTOCOL.md marks as inferred.
    Advisory,
    /// A failure the run's baseline lists (`--baseline`): reported, does not fail the run.
    Known,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckOutcome {
    pub check: CheckId,
    pub status: Status,
    /// One line for humans.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl CheckOutcome {
    pub fn new(check: CheckId, status: Status, message: impl Into<String>) -> CheckOutcome {
        CheckOutcome {
            check,
            status,
            message: message.into(),
            expected: None,
            actual: None,
        }
    }

    pub fn pass(check: CheckId, message: impl Into<String>) -> CheckOutcome {
        CheckOutcome::new(check, Status::Pass, message)
    }

    pub fn fail(check: CheckId, message: impl Into<String>) -> CheckOutcome {
        CheckOutcome::new(check, Status::Fail, message)
    }

    pub fn error(check: CheckId, message: impl Into<String>) -> CheckOutcome {
        CheckOutcome::new(check, Status::Error, message)
    }

    pub fn skip(check: CheckId, message: impl Into<String>) -> CheckOutcome {
        CheckOutcome::new(check, Status::Skip, message)
    }

    pub fn advisory(check: CheckId, message: impl Into<String>) -> CheckOutcome {
        CheckOutcome::new(check, Status::Advisory, message)
    }

    /// Attach what the spec expects and what was observed (both free of secrets).
    pub fn with(mut self, expected: impl Into<String>, actual: impl Into<String>) -> CheckOutcome {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }
}
