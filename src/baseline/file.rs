//! The baseline file: loading (size cap, JSON, the schema, check ids), and writing.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checks::CheckId;

use super::pattern::CasePattern;

/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The file's JSON Schema (draft 2020-12).
pub const SCHEMA: &str = include_str!("../../docs/baseline.schema.json");

/// Larger files are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Schema problems listed in an error (the rest are counted).
const MAX_ISSUES: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Case ids: a glob, or without wildcards the exact id.
    pub case: String,
    pub check: CheckId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Baseline {
    pub entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline {path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("the baseline {path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("the baseline {path} is not JSON: {error}")]
    Json { path: PathBuf, error: serde_json::Error },
    #[error(
        "the baseline {path} does not follow the format (docs/baseline.md, schema docs/baseline.schema.json):\n{}",
        issues.join("\n")
    )]
    Invalid { path: PathBuf, issues: Vec<String> },
}

/// On-disk shape; `deny_unknown_fields` backs up the schema's `additionalProperties: false`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    #[serde(rename = "$schema")]
    _schema: Option<String>,
    #[serde(rename = "description")]
    _description: Option<String>,
    #[serde(rename = "version")]
    _version: u32,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    case: String,
    check: String,
    reason: String,
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA).expect("the embedded baseline schema is JSON (tested)");
        jsonschema::validator_for(&schema).expect("the embedded baseline schema compiles (tested)")
    })
}

/// Read and validate a baseline file.
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let read_err = |error| BaselineError::Read {
        path: path.to_owned(),
        error,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(BaselineError::TooLarge { path: path.to_owned() });
    }
    parse(path, &bytes)
}

/// Validate a baseline's bytes (`path` only names it in errors).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Baseline, BaselineError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| BaselineError::Json {
        path: path.to_owned(),
        error,
    })?;
    let invalid = |issues| BaselineError::Invalid {
        path: path.to_owned(),
        issues,
    };
    let mut issues = Vec::new();
    let mut total = 0usize;
    for e in validator().iter_errors(&value) {
        total += 1;
        if issues.len() < MAX_ISSUES {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            let full = e.to_string();
            // A long offending value is masked rather than quoted whole.
            let message = if full.chars().count() <= 200 {
                full
            } else {
                e.masked().to_string()
            };
            issues.push(format!("  at {at}: {message}"));
        }
    }
    if total > issues.len() {
        issues.push(format!("  ... and {} more", total - issues.len()));
    }
    if !issues.is_empty() {
        return Err(invalid(issues));
    }
    let repr: FileRepr = serde_json::from_value(value).map_err(|e| invalid(vec![format!("  {e}")]))?;
    // The typed view; the schema already refused empty patterns.
    let mut entries = Vec::with_capacity(repr.entries.len());
    for (i, raw) in repr.entries.into_iter().enumerate() {
        // Not in the schema: the check registry is the one list of checks.
        let Some(check) = CheckId::parse(&raw.check) else {
            let valid: Vec<&str> = CheckId::all().map(CheckId::as_str).collect();
            return Err(invalid(vec![format!(
                "  at /entries/{i}/check: unknown check id {:?}; valid ids: {}",
                raw.check,
                valid.join(", ")
            )]));
        };
        if CasePattern::new(&raw.case).is_none() {
            return Err(invalid(vec![format!("  at /entries/{i}/case: not a usable pattern")]));
        }
        entries.push(Entry {
            case: raw.case,
            check,
            reason: raw.reason,
        });
    }
    Ok(Baseline { entries })
}

/// The file text for `baseline`: pretty JSON with a trailing newline.
pub fn render(baseline: &Baseline) -> String {
    let value = serde_json::json!({
        "version": FORMAT_VERSION,
        "entries": baseline.entries,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Baseline, BaselineError> {
        parse(Path::new("b.json"), s.as_bytes())
    }

    #[test]
    fn reads_what_it_writes() {
        let b = Baseline {
            entries: vec![Entry {
                case: "boundary/tunnelId/*".into(),
                check: CheckId::NOT_FOUND,
                reason: "issue 12".into(),
            }],
        };
        assert_eq!(parse_str(&render(&b)).unwrap(), b);
    }

    #[test]
    fn bad_files_name_the_problem() {
        let e = parse_str("{").unwrap_err().to_string();
        assert!(e.contains("b.json is not JSON"), "{e}");
        let e = parse_str(r#"{"version":1,"entries":[{"case":"x","check":"nope","reason":"r"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/entries/0/check") && e.contains("valid ids: response-schema"),
            "{e}"
        );
        let e = parse_str(r#"{"version":1,"entries":[{"case":"","check":"not-found","reason":"r"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/entries/0/case"), "{e}");
        let e = parse_str(r#"{"version":2,"entries":[]}"#).unwrap_err().to_string();
        assert!(e.contains("/version"), "{e}");
        let e = parse_str(r#"{"version":1,"entries":[{"case":"x","check":"not-found"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("reason"), "{e}");
    }
}
