//! Which files each command writes, checked writable before its first request (exit 2 at once),
//! and writing a command's reports at the end.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rotcheck::report::output_paths::{check_all, OutputPathError};
use rotcheck::report::{self, snapfile};

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

/// A report a command may write: where (None: not asked for), what it is (for messages), and how
/// to render it (only called when it is asked for).
pub type Report<'a> = (Option<&'a Path>, &'a str, &'a dyn Fn() -> anyhow::Result<String>);

/// Write every report asked for; each is attempted even when an earlier one fails, and the error
/// names every one that failed.
pub fn write_reports(reports: &[Report<'_>]) -> anyhow::Result<()> {
    let mut errors = Vec::new();
    for (path, what, render) in reports {
        let Some(path) = path else { continue };
        let written = render()
            .with_context(|| format!("{what} {}", path.display()))
            .and_then(|text| Ok(report::write_file(path, text.as_bytes())?));
        if let Err(e) = written {
            errors.push(format!("{e:#}"));
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(anyhow::anyhow!("{}", errors.join("; "))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_asked_for_is_written_and_every_failure_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a/report.json");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let bad = blocker.join("x.xml");
        let unasked = || -> anyhow::Result<String> { panic!("rendered a report nobody asked for") };
        let e = write_reports(&[
            (Some(bad.as_path()), "JUnit report", &|| Ok("<x/>".into())),
            (Some(good.as_path()), "JSON report", &|| Ok("{}".into())),
            (None, "unasked", &unasked),
            (Some(dir.path().join("r.xml").as_path()), "JUnit report", &|| {
                anyhow::bail!("no XML")
            }),
        ])
        .unwrap_err()
        .to_string();
        assert_eq!(
            std::fs::read_to_string(&good).unwrap(),
            "{}",
            "written despite the failure before it"
        );
        assert!(e.contains("cannot write the report to"), "{e}");
        assert!(e.contains("JUnit report ") && e.contains("r.xml: no XML"), "{e}");
        assert!(write_reports(&[(None, "unasked", &unasked)]).is_ok());
    }
}
