//! How a run's outcomes were gated, as plain data: the strictness mode (applied by the runner,
//! see [`super::strict`]) and the baseline applied after the run (filled in by
//! [`crate::baseline`]). Reports render both; nothing here decides anything.

use serde::Serialize;

use crate::checks::CheckId;

/// Which points a failure may rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// Only what the spec states fails; points PROTOCOL.md marks as inferred are advisories.
    #[default]
    Spec,
    /// `--strict`: the inferred points fail too (matching the real service beyond the spec).
    Strict,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Spec => "spec",
            RunMode::Strict => "strict",
        }
    }
}

/// What became of one baseline entry in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryState {
    /// At least one failure matched it (now reported as known).
    Known,
    /// Cases it names ran and its check judged them, and none failed: remove it from the baseline.
    Fixed,
    /// No case it names was judged by its check in this run (`--only`, `--checks`, a skipped
    /// check): nothing is known about it.
    NotRun,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Known => "known",
            EntryState::Fixed => "fixed",
            EntryState::NotRun => "not-run",
        }
    }
}

/// One baseline entry and what it matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineEntryResult {
    /// The entry's case pattern (a glob over case ids; without `*`/`?` the exact id).
    pub case: String,
    pub check: CheckId,
    pub reason: String,
    pub state: EntryState,
    /// The cases whose failure of `check` this entry turned into a known failure.
    pub known_cases: Vec<String>,
}

/// The baseline a run was gated with (`--baseline FILE`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineApplied {
    /// The file, as given on the command line.
    pub path: String,
    /// `--baseline-strict`: a fixed entry fails the run.
    pub strict: bool,
    /// In file order.
    pub entries: Vec<BaselineEntryResult>,
}

impl BaselineApplied {
    pub fn fixed(&self) -> impl Iterator<Item = &BaselineEntryResult> {
        self.entries.iter().filter(|e| e.state == EntryState::Fixed)
    }

    /// The reason of the entry that made `case`'s failure of `check` known.
    pub fn reason_for(&self, case: &str, check: CheckId) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.check == check && e.known_cases.iter().any(|c| c == case))
            .map(|e| e.reason.as_str())
    }

    /// Fixed entries that fail the run (only with `--baseline-strict`).
    pub fn failing_fixed(&self) -> usize {
        if self.strict {
            self.fixed().count()
        } else {
            0
        }
    }
}
