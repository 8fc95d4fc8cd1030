//! Output paths, checked before a command sends its first request: a report that cannot be
//! written must stop the command at once, not after minutes of requests (and tunnels paid for).
//! The check writes nothing that stays: what it creates to prove it can, it removes.

use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// An output path the command could not write to, named by its flag.
#[derive(Debug, thiserror::Error)]
#[error("{flag} {}: {reason}", path.display())]
pub struct OutputPathError {
    pub flag: &'static str,
    pub path: PathBuf,
    /// Why, with the I/O error's text (kept in the message, not as a `source()`).
    pub reason: String,
}

/// Check every `(flag, path)` given; the first that cannot be written is the error.
pub fn check_all<'a>(
    outputs: impl IntoIterator<Item = (&'static str, Option<&'a Path>)>,
) -> Result<(), OutputPathError> {
    outputs
        .into_iter()
        .filter_map(|(flag, path)| path.map(|p| (flag, p)))
        .try_for_each(|(flag, path)| check_writable(flag, path))
}

/// Whether `path` can be written as the report writers do ([`super::write_file`] creates missing
/// parent directories, [`super::append_file`] appends): an existing file must open for writing; a
/// new one must be creatable, in its parent or in the directory the writer would create first.
pub fn check_writable(flag: &'static str, path: &Path) -> Result<(), OutputPathError> {
    let fail = |reason: String| OutputPathError {
        flag,
        path: path.to_owned(),
        reason,
    };
    if path.as_os_str().is_empty() {
        return Err(fail("an empty path".into()));
    }
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(fail("is a directory".into())),
        // Append, not write: opening must not truncate what is there.
        Ok(_) => match OpenOptions::new().append(true).open(path) {
            Ok(_) => Ok(()),
            Err(e) => Err(fail(format!("cannot be written: {e}"))),
        },
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Err(fail(format!("cannot be written: {e}"))),
        Err(_) => {
            let (base, first_missing) = nearest_existing(path).map_err(fail)?;
            // Create what the writer would create first (the file, or its topmost missing
            // directory), then remove it again.
            let created = if first_missing == path {
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .map(drop)
                    .and_then(|()| fs::remove_file(path))
            } else {
                fs::create_dir(&first_missing).and_then(|()| fs::remove_dir(&first_missing))
            };
            match created {
                Ok(()) => Ok(()),
                // Someone else created it meanwhile: writable as far as this check can tell.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
                Err(e) => Err(fail(format!("cannot create files in {}: {e}", base.display()))),
            }
        }
    }
}

/// The nearest ancestor of `path` that exists (it must be a directory) and the path's component
/// right below it, the first one a writer creates.
fn nearest_existing(path: &Path) -> Result<(PathBuf, PathBuf), String> {
    let mut below = path.to_owned();
    loop {
        let parent = match below.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            // A relative path's last parent is the working directory.
            _ => PathBuf::from("."),
        };
        match fs::metadata(&parent) {
            Ok(m) if m.is_dir() => return Ok((parent, below)),
            Ok(_) => return Err(format!("{} is not a directory", parent.display())),
            // Missing, or below a file: the walk up finds the culprit.
            Err(e)
                if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) && parent != Path::new(".") =>
            {
                below = parent
            }
            Err(e) => return Err(format!("{}: {e}", parent.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(flag: &'static str, path: &Path) -> String {
        check_writable(flag, path).unwrap_err().to_string()
    }

    #[test]
    fn writable_paths_pass_and_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let new_file = dir.path().join("r.json");
        check_writable("--report-json", &new_file).unwrap();
        assert!(!new_file.exists(), "the probe file was removed");
        let deep = dir.path().join("a/b/r.json");
        check_writable("--junit", &deep).unwrap();
        assert!(!dir.path().join("a").exists(), "the probe directory was removed");
        let existing = dir.path().join("summary.md");
        fs::write(&existing, "kept").unwrap();
        check_writable("--step-summary", &existing).unwrap();
        assert_eq!(fs::read_to_string(&existing).unwrap(), "kept");
    }

    #[test]
    fn unwritable_paths_name_the_flag_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        let under = file.join("x.xml");
        let msg = reason("--junit", &under);
        assert!(msg.starts_with(&format!("--junit {}: ", under.display())), "{msg}");
        assert!(
            msg.ends_with(&format!("{} is not a directory", file.display())),
            "{msg}"
        );
        let deeper = reason("--out", &file.join("a/b.json"));
        assert!(deeper.ends_with("is not a directory"), "{deeper}");
        assert!(reason("--write-baseline", dir.path()).ends_with(": is a directory"));
        assert!(reason("--snapshot", Path::new("")).contains("an empty path"));
    }

    #[test]
    fn check_all_stops_at_the_first_bad_path_and_skips_absent_ones() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("r.json");
        let bad = dir.path();
        let err = check_all([
            ("--report-json", Some(ok.as_path())),
            ("--junit", None),
            ("--snapshot", Some(bad)),
        ])
        .unwrap_err();
        assert_eq!(err.flag, "--snapshot");
        check_all([("--report-json", Some(ok.as_path())), ("--junit", None)]).unwrap();
    }
}
