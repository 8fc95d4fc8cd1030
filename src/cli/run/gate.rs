//! CI gating: `--strict`, `--baseline`, `--write-baseline`, `--snapshot`, and the Markdown step
//! summary. Kept in one place so the flags and what they do read together.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use rotcheck::baseline::{self, Baseline};
use rotcheck::report::snapfile::{self, SnapOutcome};
use rotcheck::report::{self, RenderOptions};
use rotcheck::runner::{RunMode, RunResult};

#[derive(Debug, Default, clap::Args)]
pub struct GateArgs {
    /// Also fail on the points PROTOCOL.md marks as inferred (reported as advisories
    /// otherwise), e.g. a 200 for rotating a CLOSED tunnel: for teams that want to match the
    /// real service beyond the spec. The summary and reports say which mode ran.
    #[arg(long)]
    pub strict: bool,

    /// Known failures (JSON; format in docs/baseline.md): failures it lists are reported as
    /// "known" and do not fail the run; entries that no longer fail are reported as fixed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// With --baseline: an entry that no longer fails (fixed: remove it from the baseline)
    /// fails the run (exit 1), so the baseline only ever shrinks.
    #[arg(long, requires = "baseline")]
    pub baseline_strict: bool,

    /// Write the run's failures to FILE as a baseline (with --baseline: its entries that still
    /// fail or were not judged, reasons kept, plus the new failures). The exit code is the
    /// run's as usual.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Compare the run's results with the insta snapshot FILE (must end in .snap; written when
    /// missing). Same redactions as snapshots/*.snap. When they differ, the new results go to
    /// FILE.new, the diff is printed and the run exits 1; review with
    /// `cargo insta review --workspace-root DIR` (DIR holding FILE).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,

    /// With --snapshot: accept the new results (overwrite FILE, remove FILE.new).
    #[arg(long, requires = "snapshot")]
    pub snapshot_update: bool,

    /// Append a Markdown summary (per-check table, failures grouped by cause with their
    /// reproduction) to FILE. GitHub Actions sets GITHUB_STEP_SUMMARY for every step.
    #[arg(long, env = "GITHUB_STEP_SUMMARY", value_name = "FILE")]
    pub step_summary: Option<PathBuf>,
}

impl GateArgs {
    /// `--strict` as the run's mode.
    pub fn run_mode(&self) -> RunMode {
        if self.strict {
            RunMode::Strict
        } else {
            RunMode::Spec
        }
    }
}

/// The gating work of one run, validated up front.
pub struct Gating {
    baseline: Option<(PathBuf, Baseline, bool)>,
    write_baseline: Option<PathBuf>,
    snapshot: Option<(PathBuf, bool)>,
    step_summary: Option<PathBuf>,
}

impl Gating {
    pub fn prepare(args: &GateArgs) -> anyhow::Result<Gating> {
        let baseline = match &args.baseline {
            Some(path) => Some((path.clone(), baseline::load(path)?, args.baseline_strict)),
            None => None,
        };
        if let Some(path) = &args.snapshot {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.ends_with(snapfile::EXTENSION) || name.len() == snapfile::EXTENSION.len() {
                bail!(
                    "--snapshot {}: the file name must end in {} (so `cargo insta review` finds it)",
                    path.display(),
                    snapfile::EXTENSION
                );
            }
        }
        for (flag, path) in [
            ("--write-baseline", &args.write_baseline),
            ("--snapshot", &args.snapshot),
        ] {
            if path.as_deref().is_some_and(Path::is_dir) {
                bail!(
                    "{flag} {}: is a directory",
                    path.as_deref().unwrap_or(Path::new("")).display()
                );
            }
        }
        Ok(Gating {
            baseline,
            write_baseline: args.write_baseline.clone(),
            snapshot: args.snapshot.clone().map(|p| (p, args.snapshot_update)),
            // An empty value (a variable set but blank) names no file.
            step_summary: args.step_summary.clone().filter(|p| !p.as_os_str().is_empty()),
        })
    }

    pub fn apply_baseline(&self, result: &mut RunResult) {
        if let Some((path, b, strict)) = &self.baseline {
            baseline::apply(result, b, &path.display().to_string(), *strict);
        }
    }

    pub fn write_baseline(&self, result: &RunResult) -> anyhow::Result<()> {
        let Some(path) = &self.write_baseline else {
            return Ok(());
        };
        let b = baseline::from_result(result);
        report::write_file(path, baseline::render(&b).as_bytes())?;
        eprintln!("baseline written to {} ({} entr(ies))", path.display(), b.entries.len());
        Ok(())
    }

    pub fn write_step_summary(&self, result: &RunResult, opts: &RenderOptions) -> anyhow::Result<()> {
        let Some(path) = &self.step_summary else { return Ok(()) };
        report::append_file(path, report::markdown::render(result, opts).as_bytes())
            .context("step summary (--step-summary / GITHUB_STEP_SUMMARY)")?;
        Ok(())
    }

    /// `Ok(true)` when the snapshot differs (the run then exits 1).
    pub fn check_snapshot(&self, result: &RunResult) -> anyhow::Result<bool> {
        let Some((path, update)) = &self.snapshot else {
            return Ok(false);
        };
        if result.interrupted {
            // Partial results must not become (or be diffed against) the reference.
            println!("snapshot: {} not compared: the run was interrupted", path.display());
            return Ok(false);
        }
        let outcome = snapfile::check(path, &snapfile::render(result), *update)?;
        let shown = path.display();
        match outcome {
            SnapOutcome::Created => println!("snapshot: written to {shown} (new)"),
            SnapOutcome::Unchanged => println!("snapshot: {shown} matches"),
            SnapOutcome::Updated => println!("snapshot: {shown} updated (--snapshot-update)"),
            SnapOutcome::Differs { pending, diff } => {
                print!("{}", report::summary::terminal_safe(&diff));
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                println!(
                    "snapshot: {shown} differs; the new results are in {}.\n  accept them: rerun with --snapshot-update, \
                     or review: cargo insta review --workspace-root {}",
                    pending.display(),
                    dir.display()
                );
                let in_package = dir
                    .canonicalize()
                    .is_ok_and(|d| d.ancestors().any(|a| a.join("Cargo.toml").is_file()));
                if !in_package {
                    println!(
                        "  (cargo-insta reviews only inside a Cargo package: outside a Rust crate, add the stub \
                         Cargo.toml described in docs/baseline.md of rotcheck, once)"
                    );
                }
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finished run with nothing in it but one harness error.
    fn result() -> RunResult {
        let settings = crate::cli::run::test_support::settings(&[]).unwrap();
        crate::cli::run::setup_failure(&settings, &anyhow::anyhow!("nothing ran"))
    }

    fn gate_args(flags: &[&str]) -> GateArgs {
        crate::cli::parse_flags(flags).expect("parses")
    }

    fn prepare(flags: &[&str]) -> anyhow::Result<Gating> {
        Gating::prepare(&gate_args(flags))
    }

    fn path_str(p: &Path) -> &str {
        p.to_str().expect("a UTF-8 temporary path")
    }

    #[test]
    fn strict_is_the_strict_mode() {
        assert_eq!(gate_args(&[]).run_mode(), RunMode::Spec);
        assert_eq!(gate_args(&["--strict"]).run_mode(), RunMode::Strict);
    }

    #[test]
    fn a_snapshot_must_be_a_snap_file_and_outputs_no_directories() {
        let dir = tempfile::tempdir().unwrap();
        let d = path_str(dir.path());
        for (flags, says) in [
            (vec!["--snapshot", "results.json"], "must end in .snap"),
            (vec!["--snapshot", ".snap"], "must end in .snap"),
            (vec!["--snapshot", d], "must end in .snap"),
            (vec!["--write-baseline", d], "is a directory"),
        ] {
            let e = prepare(&flags).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(says), "{flags:?}: {e}");
        }
        let ok = dir.path().join("run.snap");
        assert!(prepare(&["--snapshot", path_str(&ok), "--snapshot-update"]).is_ok());
    }

    #[test]
    fn an_unreadable_baseline_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.json");
        assert!(prepare(&["--baseline", path_str(&missing)]).is_err());
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "not json").unwrap();
        assert!(prepare(&["--baseline", path_str(&bad)]).is_err());
    }

    #[test]
    fn an_empty_step_summary_names_no_file_and_a_given_one_is_appended_to() {
        let result = result();
        let opts = RenderOptions::default();
        let blank = Gating::prepare(&GateArgs {
            step_summary: Some(PathBuf::new()),
            ..GateArgs::default()
        })
        .unwrap();
        assert!(blank.step_summary.is_none());
        blank.write_step_summary(&result, &opts).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("summary.md");
        std::fs::write(&file, "earlier step\n").unwrap();
        let gating = prepare(&["--step-summary", path_str(&file)]).unwrap();
        gating.write_step_summary(&result, &opts).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("earlier step\n") && text.len() > "earlier step\n".len(),
            "{text}"
        );
    }

    #[test]
    fn a_baseline_is_written_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nested/baseline.json");
        let result = result();
        prepare(&[]).unwrap().write_baseline(&result).unwrap();
        assert!(!file.exists());
        prepare(&["--write-baseline", path_str(&file)])
            .unwrap()
            .write_baseline(&result)
            .unwrap();
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(baseline::load(&file).is_ok(), "{written}");
    }

    #[test]
    fn an_interrupted_run_is_not_compared_with_its_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.snap");
        let gating = prepare(&["--snapshot", path_str(&file)]).unwrap();
        let interrupted = RunResult {
            interrupted: true,
            ..result()
        };
        assert!(!gating.check_snapshot(&interrupted).unwrap());
        assert!(!file.exists(), "partial results must not become the reference");
        assert!(!gating.check_snapshot(&result()).unwrap(), "a new snapshot is written");
        assert!(file.exists());
        assert!(!gating.check_snapshot(&result()).unwrap(), "and then matches");
    }
}
