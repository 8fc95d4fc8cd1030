//! `rotcheck run --snapshot FILE`: the run's snapshot ([`super::snapshot`], the same view and
//! redactions as the test suite's `snapshots/*.snap`) written in insta's `.snap` format, so
//! `cargo insta review` can review it without this repository.
//!
//! The format (insta's "snapshot files"): a YAML header between `---` lines (`source`,
//! `expression`), then the body, here the snapshot as pretty JSON, and a newline. Only bodies
//! are compared, as insta does: a header that names another port is the same snapshot. When the
//! body differs the new one goes to `FILE.new`, insta's pending-snapshot name, which
//! `cargo insta review` offers to accept (it then replaces FILE).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::runner::{RunMode, RunResult};

use super::ReportError;

/// The extension `cargo insta review` looks for.
pub const EXTENSION: &str = ".snap";

/// Lines of diff printed at most (the pending file has everything).
const MAX_DIFF_LINES: usize = 400;

/// What `--snapshot` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapOutcome {
    /// FILE did not exist: written.
    Created,
    /// FILE holds the same results: nothing written (a stale FILE.new was removed).
    Unchanged,
    /// `--snapshot-update`: FILE replaced with the new results.
    Updated,
    /// FILE differs: the new results are in `pending`; `diff` is a unified diff, FILE -> pending.
    Differs { pending: PathBuf, diff: String },
}

/// The `.snap` text of a run.
pub fn render(result: &RunResult) -> String {
    let body = serde_json::to_string_pretty(&super::snapshot::snapshot(result)).unwrap_or_else(|_| "{}".into());
    let mut out = String::from("---\nsource: rotcheck run\n");
    // A JSON string is a valid YAML double-quoted scalar.
    let expression = serde_json::to_string(&expression(result)).unwrap_or_default();
    out.push_str(&format!("expression: {expression}\n---\n{body}\n"));
    out
}

/// The command whose results the snapshot holds (target, seed, selection, mode).
fn expression(result: &RunResult) -> String {
    let meta = &result.meta;
    let mut cmd = format!("rotcheck run --seed {}", meta.seed);
    if !meta.embedded {
        let endpoint = super::snapshot::redact_text(&crate::redact::endpoint(&meta.endpoint), &Default::default());
        cmd.push_str(&format!(" --endpoint {endpoint}"));
    }
    if let Some(only) = &meta.only {
        cmd.push_str(&format!(
            " --only {}",
            super::repro::shell_quote(&result.redactor.scrub(only))
        ));
    }
    if meta.mode == RunMode::Strict {
        cmd.push_str(" --strict");
    }
    cmd
}

/// The body of a `.snap` file (after the header), line endings normalized and trailing
/// whitespace removed, as insta compares it. A file without a header is all body.
pub fn body(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut rest = text.as_str();
    if let Some(after) = rest.strip_prefix("---\n") {
        if let Some(end) = after.find("\n---\n") {
            rest = &after[end + 5..];
        } else if let Some(head) = after.strip_suffix("\n---") {
            rest = &after[head.len() + 4..];
        }
    }
    rest.trim_end().to_owned()
}

/// Insta's pending name for FILE: `FILE.new`.
pub fn pending_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Compare the run's snapshot `text` with FILE and write what the outcome needs.
pub fn check(path: &Path, text: &str, update: bool) -> Result<SnapOutcome, ReportError> {
    let pending = pending_path(path);
    let existing = match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(ReportError::Read {
                path: path.to_owned(),
                error,
            })
        }
    };
    let remove_pending = || match std::fs::remove_file(&pending) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(ReportError::Write {
            path: pending.clone(),
            error,
        }),
    };
    let Some(existing) = existing else {
        super::write_file(path, text.as_bytes())?;
        remove_pending()?;
        return Ok(SnapOutcome::Created);
    };
    let (old, new) = (body(&existing), body(text));
    if old == new {
        remove_pending()?;
        return Ok(SnapOutcome::Unchanged);
    }
    if update {
        super::write_file(path, text.as_bytes())?;
        remove_pending()?;
        return Ok(SnapOutcome::Updated);
    }
    super::write_file(&pending, text.as_bytes())?;
    Ok(SnapOutcome::Differs {
        diff: diff(&old, &new, path, &pending),
        pending,
    })
}

fn diff(old: &str, new: &str, path: &Path, pending: &Path) -> String {
    let (old, new) = (format!("{old}\n"), format!("{new}\n"));
    let text = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&path.display().to_string(), &pending.display().to_string())
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_DIFF_LINES {
        return text;
    }
    let mut out = lines[..MAX_DIFF_LINES].join("\n");
    out.push_str(&format!(
        "\n... {} more diff line(s); the whole new snapshot is in {}\n",
        lines.len() - MAX_DIFF_LINES,
        pending.display()
    ));
    out
}

/// The snapshot view of a `.snap` body, for tests that compare with the committed snapshots.
pub fn parse_body(text: &str) -> Option<Value> {
    serde_json::from_str(&body(text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_skips_the_header_and_normalizes() {
        assert_eq!(
            body("---\nsource: x\nexpression: \"a: b\"\n---\n{\r\n  \"a\": 1\r\n}\n\n"),
            "{\n  \"a\": 1\n}"
        );
        assert_eq!(body("{}\n"), "{}");
    }

    #[test]
    fn pending_is_insta_naming() {
        assert_eq!(pending_path(Path::new("out/s.snap")), PathBuf::from("out/s.snap.new"));
    }

    #[test]
    fn second_check_writes_nothing_a_difference_leaves_a_pending_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.snap");
        let a = "---\nsource: rotcheck run\n---\n{\n  \"v\": 1\n}\n";
        let b = "---\nsource: rotcheck run\nexpression: \"other\"\n---\n{\n  \"v\": 2\n}\n";
        assert_eq!(check(&path, a, false).unwrap(), SnapOutcome::Created);
        assert_eq!(check(&path, a, false).unwrap(), SnapOutcome::Unchanged);
        let SnapOutcome::Differs { pending, diff } = check(&path, b, false).unwrap() else {
            panic!("expected a difference");
        };
        assert_eq!(std::fs::read_to_string(&pending).unwrap(), b);
        assert!(diff.contains("-  \"v\": 1") && diff.contains("+  \"v\": 2"), "{diff}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), a, "FILE untouched");
        assert_eq!(check(&path, b, true).unwrap(), SnapOutcome::Updated);
        assert!(!pending.exists(), "accepting removes the pending file");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), b);
    }
}
