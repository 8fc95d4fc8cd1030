//! The normative statements of the spec files (`fixtures/statements.json`, format
//! `docs/statements.schema.json`): each claim of the API page, PROTOCOL.md and the service model
//! with a stable id, its exact text (or model path and constraint) and its kind, plus the text of
//! those files that is not normative, with the reason. Checks name the statements they enforce;
//! [`super::mapping`] proves every sentence of the spec files is one or the other.
//!
//! This module loads and validates the file on its own terms (schema, unique ids, references
//! between entries); whether the quotes occur in the spec files is [`super::mapping`]'s business.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

/// The committed statements, embedded so that `rotcheck spec` and the reports work anywhere.
pub const STATEMENTS_SOURCE: &str = include_str!("../../fixtures/statements.json");
/// The statements file's JSON Schema (draft 2020-12).
pub const STATEMENTS_SCHEMA: &str = include_str!("../../docs/statements.schema.json");

/// The elision mark inside a quote: the text between two pieces is mapped by other entries.
pub const ELISION: &str = "[...]";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A source states it.
    Fact,
    /// PROTOCOL.md marks it "Inferred" and infers an outcome: `--strict` enforces it.
    Inference,
    /// The spec allows several outcomes: the harness must accept each.
    LeftOpen,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fact => "fact",
            Kind::Inference => "inference",
            Kind::LeftOpen => "left-open",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One normative claim of a spec file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub id: String,
    pub kind: Kind,
    /// A file of `fixtures/spec`.
    pub source: String,
    /// The quote (text files, or a model documentation string at `path`).
    #[serde(default)]
    pub text: Option<String>,
    /// Model statements: where in the model.
    #[serde(default)]
    pub path: Option<String>,
    /// Model constraints: the value at `path`.
    #[serde(default)]
    pub value: Option<Value>,
    /// Why the statement is not covered, when it is not.
    #[serde(default)]
    pub gap: Option<String>,
}

impl Statement {
    /// What the statement says, as reports quote it: the text, or `path = value` for a model
    /// constraint.
    pub fn quote(&self) -> String {
        match (&self.text, &self.path, &self.value) {
            (Some(text), _, _) => text.clone(),
            (None, Some(path), Some(value)) => format!("{path} = {value}"),
            (None, Some(path), None) => path.clone(),
            (None, None, _) => String::new(),
        }
    }

    /// Where the statement is, for a reader: the file, and the model path if any.
    pub fn location(&self) -> String {
        match (&self.path, &self.text) {
            (Some(path), Some(_)) => format!("{}: {path}", self.source),
            _ => self.source.clone(),
        }
    }
}

/// Spec text that states nothing an implementation can be held to, or restates a statement.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NonNormative {
    pub source: String,
    pub reason: String,
    #[serde(default)]
    pub same_as: Vec<String>,
    /// Text files (and model documentation): the text ignored, wherever it occurs in `source`.
    #[serde(default)]
    pub quotes: Vec<String>,
    /// Model only: documentation or constraint paths, or `prefix.*`.
    #[serde(default)]
    pub paths: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct File {
    statements: Vec<Statement>,
    non_normative: Vec<NonNormative>,
}

/// The statements file, validated.
#[derive(Debug, Clone)]
pub struct Statements {
    pub statements: Vec<Statement>,
    pub non_normative: Vec<NonNormative>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatementsError {
    #[error("the statements file is not JSON: {0}")]
    Json(String),
    #[error("the statements schema (docs/statements.schema.json) does not compile: {0}")]
    Schema(String),
    #[error("the statements file does not match docs/statements.schema.json:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
    #[error("statement id {0} is used twice")]
    DuplicateId(String),
    #[error("a non-normative entry of {source_file} (\"{reason}\") is the same as {id}, which is not a statement")]
    UnknownSameAs {
        source_file: String,
        reason: String,
        id: String,
    },
}

impl Statements {
    /// Parse and validate a statements file.
    pub fn parse(text: &str) -> Result<Statements, StatementsError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| StatementsError::Json(e.to_string()))?;
        let schema: Value =
            serde_json::from_str(STATEMENTS_SCHEMA).map_err(|e| StatementsError::Schema(e.to_string()))?;
        let validator = super::schema::compile(&schema).map_err(StatementsError::Schema)?;
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("at {}: {e}", e.instance_path()))
            .collect();
        if !errors.is_empty() {
            return Err(StatementsError::Invalid(errors));
        }
        let file: File = serde_json::from_value(doc).map_err(|e| StatementsError::Invalid(vec![e.to_string()]))?;
        let mut ids = BTreeSet::new();
        for s in &file.statements {
            if !ids.insert(s.id.as_str()) {
                return Err(StatementsError::DuplicateId(s.id.clone()));
            }
        }
        for n in &file.non_normative {
            if let Some(id) = n.same_as.iter().find(|id| !ids.contains(id.as_str())) {
                return Err(StatementsError::UnknownSameAs {
                    source_file: n.source.clone(),
                    reason: n.reason.clone(),
                    id: id.clone(),
                });
            }
        }
        Ok(Statements {
            statements: file.statements,
            non_normative: file.non_normative,
        })
    }

    /// The committed statements (`fixtures/statements.json`), parsed once.
    pub fn embedded() -> Result<&'static Statements, &'static StatementsError> {
        static EMBEDDED: OnceLock<Result<Statements, StatementsError>> = OnceLock::new();
        EMBEDDED.get_or_init(|| Statements::parse(STATEMENTS_SOURCE)).as_ref()
    }

    pub fn get(&self, id: &str) -> Option<&Statement> {
        self.statements.iter().find(|s| s.id == id)
    }
}

/// A statements file made of JSON fragments (the entries of each list), for unit tests.
#[cfg(test)]
pub(crate) fn for_test(statements: &str, non_normative: &str) -> Statements {
    Statements::parse(&format!(
        r#"{{"statements": [{statements}], "non_normative": [{non_normative}]}}"#
    ))
    .expect("valid test statements")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(statements: &str, non_normative: &str) -> String {
        format!(r#"{{"statements": [{statements}], "non_normative": [{non_normative}]}}"#)
    }

    const FACT: &str = r#"{"id": "api.x", "kind": "fact", "source": "RotateTunnelAccessToken.txt", "text": "Revokes"}"#;

    #[test]
    fn the_committed_file_is_valid() {
        let s = Statements::embedded().expect("fixtures/statements.json is valid");
        assert!(s.statements.len() > 10);
    }

    #[test]
    fn a_valid_file_parses_and_quotes() {
        let model = r#"{"id": "model.tunnel-id.pattern", "kind": "fact", "source": "iotsecuretunneling-2018-10-05.service-2.json", "path": "shapes.TunnelId.pattern", "value": "[a-z]+"}"#;
        let s = Statements::parse(&file(&format!("{FACT}, {model}"), "")).expect("valid");
        assert_eq!(s.get("api.x").map(Statement::quote).as_deref(), Some("Revokes"));
        assert_eq!(
            s.get("model.tunnel-id.pattern").map(Statement::quote).as_deref(),
            Some("shapes.TunnelId.pattern = \"[a-z]+\"")
        );
    }

    #[test]
    fn the_schema_refuses_malformed_statements() {
        for bad in [
            // A text file needs a quote, not a path.
            r#"{"id": "api.x", "kind": "fact", "source": "PROTOCOL.md", "path": "a.b"}"#,
            // A model statement needs a path.
            r#"{"id": "model.x", "kind": "fact", "source": "iotsecuretunneling-2018-10-05.service-2.json", "text": "t"}"#,
            // Unknown kind, unknown source, id not in the id format.
            r#"{"id": "api.x", "kind": "rumour", "source": "PROTOCOL.md", "text": "t"}"#,
            r#"{"id": "api.x", "kind": "fact", "source": "README.md", "text": "t"}"#,
            r#"{"id": "Api X", "kind": "fact", "source": "PROTOCOL.md", "text": "t"}"#,
        ] {
            assert!(
                matches!(Statements::parse(&file(bad, "")), Err(StatementsError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn ids_are_unique_and_same_as_must_name_a_statement() {
        assert_eq!(
            Statements::parse(&file(&format!("{FACT}, {FACT}"), "")).unwrap_err(),
            StatementsError::DuplicateId("api.x".into())
        );
        let restates = r#"{"source": "PROTOCOL.md", "reason": "r", "same_as": ["api.y"], "quotes": ["q"]}"#;
        assert!(matches!(
            Statements::parse(&file(FACT, restates)),
            Err(StatementsError::UnknownSameAs { id, .. }) if id == "api.y"
        ));
        assert!(matches!(Statements::parse("{"), Err(StatementsError::Json(_))));
    }
}
