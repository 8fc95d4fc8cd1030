//! Renderers of a [`RunResult`]: terminal summary, JSON, JUnit XML, reproduction commands,
//! snapshots, and the live progress display. Renderers only read the result; every request,
//! response, header and message they show goes through the run's [`crate::redact::Redactor`].

pub mod groups;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod output_paths;
pub mod progress;
pub mod repro;
pub mod snapfile;
pub mod snapshot;
pub mod spec_map;
pub mod summary;

use std::path::{Path, PathBuf};

use crate::checks::CheckId;
use crate::runner::{CaseResult, CheckOutcome, RunResult, Status};
use crate::spec::statements::{Statement, Statements};

/// The skipped checks grouped by their reason, in the order reasons first appear: five data-plane
/// checks skipped for want of a data plane are one line, not five.
pub fn skipped_by_reason(skipped: &[crate::runner::SkippedCheck]) -> Vec<(Vec<CheckId>, &str)> {
    let mut groups: Vec<(Vec<CheckId>, &str)> = Vec::new();
    for s in skipped {
        match groups.iter_mut().find(|(_, reason)| *reason == s.reason) {
            Some((checks, _)) => checks.push(s.check),
            None => groups.push((vec![s.check], &s.reason)),
        }
    }
    groups
}

/// The spec statements `id` enforces, the primary one first, as reports name them beside the
/// check. Empty only if the embedded statements do not load, which tests/spec_coverage.rs rules
/// out: reports then fall back to the check's citation.
pub fn check_statements(id: CheckId) -> Vec<&'static Statement> {
    let Ok(all) = Statements::embedded() else {
        return Vec::new();
    };
    id.statements().iter().filter_map(|s| all.get(s)).collect()
}

fn join_checks(checks: &[CheckId], quote: &str) -> String {
    checks
        .iter()
        .map(|c| format!("{quote}{c}{quote}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What renderers need besides the result itself.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// The `--fixtures DIR` the run used, repeated in `rotcheck run` reproduction commands.
    pub fixtures: Option<PathBuf>,
    /// `-v`: the summary also lists advisories and every error in full.
    pub verbose: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report to {path}: {error}")]
    Write { path: PathBuf, error: std::io::Error },
    #[error("cannot render the JUnit report: {0}")]
    Xml(std::io::Error),
    #[error("cannot read {path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
}

/// Append to a file (created if missing), e.g. the CI step summary.
pub fn append_file(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    use std::io::Write as _;
    let err = |error| ReportError::Write {
        path: path.to_owned(),
        error,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    f.write_all(contents).map_err(err)
}

/// Write a rendered report, creating missing parent directories.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    let err = |error| ReportError::Write {
        path: path.to_owned(),
        error,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    std::fs::write(path, contents).map_err(err)
}

/// The overall verdict, as the summary's last line and the JSON `verdict` field say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunVerdict {
    /// Every check that ran passed (advisories allowed): exit 0.
    Conformant,
    /// At least one conformance violation: exit 1.
    Violation,
    /// The harness could not judge everything (harness errors, check errors): exit 2.
    Incomplete,
    /// Ctrl-C stopped the run: exit 130.
    Interrupted,
}

impl RunVerdict {
    pub fn of(result: &RunResult) -> RunVerdict {
        if result.interrupted {
            return RunVerdict::Interrupted;
        }
        match result.exit_code() {
            0 => RunVerdict::Conformant,
            1 => RunVerdict::Violation,
            _ => RunVerdict::Incomplete,
        }
    }

    /// The process exit code for this verdict. An interrupted run exits 130 (the shell convention
    /// for SIGINT) whatever it found before the interruption: its results are incomplete.
    pub fn exit_code(self) -> u8 {
        match self {
            RunVerdict::Conformant => 0,
            RunVerdict::Violation => 1,
            RunVerdict::Incomplete => 2,
            RunVerdict::Interrupted => 130,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunVerdict::Conformant => "conformant",
            RunVerdict::Violation => "violation",
            RunVerdict::Incomplete => "incomplete",
            RunVerdict::Interrupted => "interrupted",
        }
    }
}

pub fn status_str(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
        Status::Skip => "skip",
        Status::Advisory => "advisory",
        Status::Known => "known",
    }
}

/// Position of a check in the registry: the order every report lists checks in.
pub fn check_rank(id: CheckId) -> usize {
    id.rank()
}

/// Cases sorted by id, so reports do not depend on the order results arrived in.
pub fn sorted_cases(result: &RunResult) -> Vec<&CaseResult> {
    let mut cases: Vec<&CaseResult> = result.cases.iter().collect();
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

/// A case's outcomes in report order ([`CheckId::rank`]) (stable for outcomes of the same check).
pub fn sorted_outcomes(case: &CaseResult) -> Vec<&CheckOutcome> {
    let mut outcomes: Vec<&CheckOutcome> = case.outcomes.iter().collect();
    outcomes.sort_by_key(|o| check_rank(o.check));
    outcomes
}

/// A duration for people: `850 ms`, `42 s`, `2.8 min`, `1.5 h`.
pub fn fmt_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{} ms", d.as_millis())
    } else if secs < 100.0 {
        format!("{secs:.0} s")
    } else if secs < 6000.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the terminal summary repeated the same "no data plane given" reason once per
    /// data-plane check (five lines).
    #[test]
    fn skipped_checks_with_one_reason_are_one_line() {
        use crate::runner::SkippedCheck;
        let skip = |check, reason: &str| SkippedCheck {
            check,
            reason: reason.into(),
        };
        let skipped = [
            skip(CheckId::DURATION_LIVE, "off"),
            skip(CheckId::HANDSHAKE, "no data plane"),
            skip(CheckId::TOKEN_REVOKED, "no data plane"),
        ];
        let groups = skipped_by_reason(&skipped);
        assert_eq!(
            groups,
            vec![
                (vec![CheckId::DURATION_LIVE], "off"),
                (vec![CheckId::HANDSHAKE, CheckId::TOKEN_REVOKED], "no data plane")
            ]
        );
        assert_eq!(join_checks(&groups[1].0, "`"), "`handshake`, `token-revoked`");
    }
}
