//! Which files each command writes, checked writable before its first request (exit 2 at once).

use std::path::{Path, PathBuf};

use rotcheck::report::output_paths::{check_all, OutputPathError};
use rotcheck::report::snapfile;

use super::compare::CompareArgs;
use super::record::RecordArgs;
use super::run::RunArgs;

pub fn check_run(args: &RunArgs) -> Result<(), OutputPathError> {
    let gate = &args.gate;
    let snapshot = gate
        .snapshot
        .as_deref()
        .map(|p| snapshot_written(p, gate.snapshot_update));
    check_all([
        ("--report-json", args.output.report_json.as_deref()),
        ("--junit", args.output.junit.as_deref()),
        ("--write-baseline", gate.write_baseline.as_deref()),
        ("--snapshot", snapshot.as_deref()),
        // An empty GITHUB_STEP_SUMMARY names no file (as in `gate::Gating`).
        (
            "--step-summary",
            gate.step_summary.as_deref().filter(|p| !p.as_os_str().is_empty()),
        ),
    ])
}

pub fn check_record(args: &RecordArgs) -> Result<(), OutputPathError> {
    check_all([("--out", Some(args.out.as_path()))])
}

pub fn check_compare(args: &CompareArgs) -> Result<(), OutputPathError> {
    check_all([
        ("--report-json", args.report_json.as_deref()),
        ("--junit", args.junit.as_deref()),
    ])
}

/// The file a snapshot check may write: FILE when it is missing or being updated, else the
/// pending FILE.new beside it.
fn snapshot_written(path: &Path, update: bool) -> PathBuf {
    if update || !path.exists() {
        path.to_owned()
    } else {
        snapfile::pending_path(path)
    }
}
