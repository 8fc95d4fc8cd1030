//! Known divergences: `--ignore PATTERN` and ignore files, one entry a line with its reason.
//!
//! A pattern is `[CASE_GLOB::]PATH_GLOB`. `PATH_GLOB` matches a difference's path
//! (`$.response.body.message`) or any path below it (`$.response.body.tunnel` covers
//! `$.response.body.tunnel.createdAt`); `*` is any run of characters, `?` one. `CASE_GLOB`
//! restricts the entry to cases whose id matches it whole. An ignore file line is
//! `PATTERN  REASON...` (the reason is required); `#` starts a comment line.

use std::path::Path;

use regex::Regex;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    #[error("{source_name}: {message}")]
    Invalid { source_name: String, message: String },
    #[error("cannot read ignore file {path}: {error}")]
    Read { path: String, error: std::io::Error },
}

/// One known divergence.
#[derive(Debug, Clone, Serialize)]
pub struct IgnoreRule {
    /// As written.
    pub pattern: String,
    pub reason: String,
    /// `--ignore` or `FILE:LINE`.
    pub source: String,
    #[serde(skip)]
    case: Option<Regex>,
    #[serde(skip)]
    path: Regex,
}

fn glob(pattern: &str, subtree: bool) -> Result<Regex, regex::Error> {
    let mut re = String::from("^");
    for ch in pattern.chars() {
        match ch {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push_str(if subtree { r"(?:$|[.\[])" } else { "$" });
    Regex::new(&re)
}

impl IgnoreRule {
    pub fn new(pattern: &str, reason: &str, source: &str) -> Result<IgnoreRule, IgnoreError> {
        let invalid = |message: String| IgnoreError::Invalid {
            source_name: source.to_owned(),
            message,
        };
        let (case, path) = match pattern.split_once("::") {
            Some((case, path)) => (Some(case), path),
            None => (None, pattern),
        };
        if path.is_empty() || case.is_some_and(str::is_empty) {
            return Err(invalid(format!(
                "empty pattern in {pattern:?}: expected [CASE_GLOB::]PATH_GLOB, e.g. '$.response.body.message'"
            )));
        }
        if !path.starts_with('$') && !path.starts_with('*') {
            return Err(invalid(format!(
                "path pattern {path:?} must start with `$` (e.g. '$.response.status') or `*`"
            )));
        }
        let compile = |p: &str, subtree: bool| glob(p, subtree).map_err(|e| invalid(format!("pattern {p:?}: {e}")));
        Ok(IgnoreRule {
            pattern: pattern.to_owned(),
            reason: reason.to_owned(),
            source: source.to_owned(),
            case: case.map(|c| compile(c, false)).transpose()?,
            path: compile(path, true)?,
        })
    }

    pub fn matches(&self, case_id: &str, path: &str) -> bool {
        self.case.as_ref().is_none_or(|c| c.is_match(case_id)) && self.path.is_match(path)
    }
}

/// Parse an ignore file's text (`name` labels errors and rules).
pub fn parse_file(name: &str, text: &str) -> Result<Vec<IgnoreRule>, IgnoreError> {
    let mut rules = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let source = format!("{name}:{}", i + 1);
        let (pattern, reason) = line
            .split_once(char::is_whitespace)
            .map(|(p, r)| (p, r.trim()))
            .unwrap_or((line, ""));
        if reason.is_empty() {
            return Err(IgnoreError::Invalid {
                source_name: source,
                message: format!("{pattern:?} has no reason: write `PATTERN  why this divergence is known`"),
            });
        }
        rules.push(IgnoreRule::new(pattern, reason, &source)?);
    }
    Ok(rules)
}

pub fn load_file(path: &Path) -> Result<Vec<IgnoreRule>, IgnoreError> {
    let text = std::fs::read_to_string(path).map_err(|error| IgnoreError::Read {
        path: path.display().to_string(),
        error,
    })?;
    parse_file(&path.display().to_string(), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_whole_or_below() {
        let r = IgnoreRule::new("$.response.body.message", "", "--ignore").unwrap();
        assert!(r.matches("any", "$.response.body.message"));
        assert!(!r.matches("any", "$.response.body.messages"));
        let r = IgnoreRule::new("$.response.body.tunnel", "", "--ignore").unwrap();
        assert!(r.matches("c", "$.response.body.tunnel.createdAt"));
        assert!(r.matches("c", "$.response.body.tunnel[0]"));
        let r = IgnoreRule::new("fixtures/*::*.status", "", "--ignore").unwrap();
        assert!(r.matches("fixtures/closed", "$.response.status"));
        assert!(!r.matches("valid/all", "$.response.status"));
    }

    #[test]
    fn file_entries_need_a_reason() {
        let rules = parse_file("f", "# known\n\n$.response.body.message  our messages are shorter\n").unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].reason, "our messages are shorter");
        assert_eq!(rules[0].source, "f:3");
        let e = parse_file("f", "$.response.status\n").unwrap_err().to_string();
        assert!(e.contains("f:1") && e.contains("no reason"), "{e}");
        // The README's example file.
        let readme = "$.response.body.message               our messages are shorter than AWS's\n\
                      *closed*::$.response.status           we answer 409 for a CLOSED tunnel\n";
        let rules = parse_file("known.txt", readme).unwrap();
        assert!(rules[1].matches("boundary/tunnelState/closed-all", "$.response.status"));
        assert!(!rules[1].matches("valid/all", "$.response.status"));
        assert_eq!(rules[1].reason, "we answer 409 for a CLOSED tunnel");
        assert!(IgnoreRule::new("response.status", "r", "x").is_err());
        assert!(IgnoreRule::new("::$.x", "r", "x").is_err());
    }
}
