//! Holds the statements file to the spec files: every quote occurs in the file it names, every
//! model path and constraint value is the model's, and every unit of the spec files
//! ([`super::units`]) is mapped: each of its words is covered by a statement's quote or by a
//! non-normative entry, save the connectives between two claims (`and`, `or`, `the`, ...).
//!
//! Coverage is by text, not by sentence, so a sentence holding two claims is mapped by two
//! statements quoting one clause each, and a sentence gaining a clause is unmapped again.

use serde_json::Value;

use super::facts::MODEL_JSON;
use super::statements::{Statements, ELISION};
use super::units::{model_at, model_constraints, model_docs, normalize, text_sentences};

/// Words that may be left between two quotes of one sentence: they join claims, they make none.
const CONNECTIVES: [&str; 9] = ["and", "or", "but", "then", "so", "also", "a", "an", "the"];

/// A spec file by the name statements give as their `source`, and its text.
#[derive(Debug, Clone, Copy)]
pub struct SpecFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingProblem {
    #[error("{name} is named by fixtures/statements.json but was not given")]
    MissingFile { name: String },
    #[error("{name} is not JSON: {error}")]
    ModelNotJson { name: String, error: String },
    #[error("{owner}: {file} does not contain {piece:?}")]
    QuoteNotFound { owner: String, file: String, piece: String },
    #[error("{owner}: the model has no documentation or constraint at {path}")]
    PathNotFound { owner: String, path: String },
    #[error("{owner}: the model has {found} at {path}, the statement says {expected}")]
    ValueDiffers {
        owner: String,
        path: String,
        expected: String,
        found: String,
    },
    #[error(
        "{file} {locator}: unmapped: {text:?} (not covered: {words}); quote it in a statement of \
         fixtures/statements.json or list it under non_normative with the reason"
    )]
    Unmapped {
        file: String,
        locator: String,
        text: String,
        words: String,
    },
}

/// Every problem of `statements` against `files` (empty: the map is complete and exact).
pub fn check(statements: &Statements, files: &[SpecFile]) -> Vec<MappingProblem> {
    let mut problems = Vec::new();
    let sources: std::collections::BTreeSet<&String> = statements
        .statements
        .iter()
        .map(|s| &s.source)
        .chain(statements.non_normative.iter().map(|n| &n.source))
        .collect();
    for name in sources {
        if !files.iter().any(|f| f.name == name) {
            problems.push(MappingProblem::MissingFile { name: name.clone() });
        }
    }
    for file in files {
        if file.name == MODEL_JSON {
            check_model(statements, file, &mut problems);
        } else {
            check_text(statements, file, &mut problems);
        }
    }
    problems
}

/// Whose quote it is, as messages name it.
fn statement_owner(id: &str) -> String {
    format!("statement {id}")
}

fn ignored_owner(reason: &str) -> String {
    let short: String = reason.chars().take(60).collect();
    let more = if short.len() < reason.len() { "..." } else { "" };
    format!("non_normative entry \"{short}{more}\"")
}

/// The first piece of `quote` (split at `[...]`, the elision mark) not found in `text` after the
/// previous piece; None when the whole quote occurs, whitespace-normalized. How every citation
/// and statement quote is looked up in the spec.
pub fn quote_missing_piece(quote: &str, text: &str) -> Option<String> {
    missing_piece(&pieces(quote), &normalize(text))
}

fn pieces(quote: &str) -> Vec<String> {
    quote.split(ELISION).map(normalize).filter(|p| !p.is_empty()).collect()
}

/// The first piece not found in `text` after the previous one.
fn missing_piece(pieces: &[String], text: &str) -> Option<String> {
    let mut from = 0;
    for p in pieces {
        match text[from..].find(p.as_str()) {
            Some(at) => from += at + p.len(),
            None => return Some(p.clone()),
        }
    }
    None
}

/// Text whose bytes are marked as mapped, and the units it is made of.
struct Cover {
    text: String,
    covered: Vec<bool>,
    /// (start, end, locator) of each unit in `text`.
    units: Vec<(usize, usize, String)>,
}

impl Cover {
    fn new(units: impl IntoIterator<Item = (String, String)>) -> Cover {
        let mut text = String::new();
        let mut spans = Vec::new();
        for (locator, unit) in units {
            if !text.is_empty() {
                text.push(' ');
            }
            spans.push((text.len(), text.len() + unit.len(), locator));
            text.push_str(&unit);
        }
        Cover {
            covered: vec![false; text.len()],
            text,
            units: spans,
        }
    }

    /// Mark every occurrence of `piece`; whether there was one.
    fn mark(&mut self, piece: &str) -> bool {
        let at: Vec<usize> = self.text.match_indices(piece).map(|(i, _)| i).collect();
        for &i in &at {
            self.covered[i..i + piece.len()].iter_mut().for_each(|c| *c = true);
        }
        !at.is_empty()
    }

    fn mark_all(&mut self) {
        self.covered.iter_mut().for_each(|c| *c = true);
    }

    /// Each unit with a word left uncovered (connectives aside): locator, text, the words.
    fn unmapped(&self) -> Vec<(String, String, Vec<String>)> {
        let mut out = Vec::new();
        for (start, end, locator) in &self.units {
            let unit = &self.text[*start..*end];
            let mut words = Vec::new();
            let mut word_start = None;
            for (i, c) in unit.char_indices().chain(std::iter::once((unit.len(), ' '))) {
                match (c.is_alphanumeric(), word_start) {
                    (true, None) => word_start = Some(i),
                    (false, Some(ws)) => {
                        word_start = None;
                        let word = &unit[ws..i];
                        let bare = !self.covered[start + ws..start + i].iter().all(|c| *c);
                        if bare && !CONNECTIVES.contains(&word.to_lowercase().as_str()) {
                            words.push(word.to_owned());
                        }
                    }
                    _ => {}
                }
            }
            if !words.is_empty() {
                out.push((locator.clone(), unit.to_owned(), words));
            }
        }
        out
    }
}

fn unmapped_problems(file: &str, cover: &Cover, problems: &mut Vec<MappingProblem>) {
    for (locator, text, words) in cover.unmapped() {
        problems.push(MappingProblem::Unmapped {
            file: file.to_owned(),
            locator,
            text,
            words: words.join(" "),
        });
    }
}

/// Statement `id`'s quote: a problem when it is not in `cover` (`file` names where), and its
/// pieces marked as mapped.
fn map_quote(cover: &mut Cover, id: &str, file: String, quote: &str, problems: &mut Vec<MappingProblem>) {
    let ps = pieces(quote);
    if let Some(piece) = missing_piece(&ps, &cover.text) {
        problems.push(MappingProblem::QuoteNotFound {
            owner: statement_owner(id),
            file,
            piece,
        });
    }
    for p in &ps {
        cover.mark(p);
    }
}

fn check_text(statements: &Statements, file: &SpecFile, problems: &mut Vec<MappingProblem>) {
    let sentences = text_sentences(file.text);
    let mut cover = Cover::new(sentences.into_iter().map(|s| (format!("line {}", s.line), s.text)));
    for s in statements.statements.iter().filter(|s| s.source == file.name) {
        let quote = s.text.as_deref().unwrap_or_default();
        map_quote(&mut cover, &s.id, file.name.to_owned(), quote, problems);
    }
    for n in statements.non_normative.iter().filter(|n| n.source == file.name) {
        for q in &n.quotes {
            for p in pieces(q) {
                if !cover.mark(&p) {
                    problems.push(MappingProblem::QuoteNotFound {
                        owner: ignored_owner(&n.reason),
                        file: file.name.to_owned(),
                        piece: p,
                    });
                }
            }
        }
    }
    unmapped_problems(file.name, &cover, problems);
}

/// `pattern` (an exact path, or `prefix.*`) names `path`.
fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(prefix) => path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')),
        None => pattern == path,
    }
}

// Long: one walk of the model, each kind of constraint checked against the map in turn.
fn check_model(statements: &Statements, file: &SpecFile, problems: &mut Vec<MappingProblem>) {
    let model: Value = match serde_json::from_str(file.text) {
        Ok(m) => m,
        Err(e) => {
            problems.push(MappingProblem::ModelNotJson {
                name: file.name.to_owned(),
                error: e.to_string(),
            });
            return;
        }
    };
    let ours = |source: &String| source == file.name;
    let ignored_paths: Vec<(&str, &str)> = statements
        .non_normative
        .iter()
        .filter(|n| ours(&n.source))
        .flat_map(|n| n.paths.iter().map(move |p| (p.as_str(), n.reason.as_str())))
        .collect();
    let ignored = |path: &str| ignored_paths.iter().any(|(p, _)| path_matches(p, path));
    let docs = model_docs(&model);
    let constraints = model_constraints(&model);

    // Documentation: one cover per string, so a quote is found at the path it names.
    let mut ignored_quotes_found = vec![false; statements.non_normative.len()];
    for doc in &docs {
        let mut cover = Cover::new(doc.sentences.iter().map(|s| (doc.path.clone(), s.clone())));
        if ignored(&doc.path) {
            cover.mark_all();
        }
        for s in statements
            .statements
            .iter()
            .filter(|s| ours(&s.source) && s.path.as_deref() == Some(&doc.path))
        {
            let Some(text) = &s.text else { continue };
            map_quote(
                &mut cover,
                &s.id,
                format!("{} at {}", file.name, doc.path),
                text,
                problems,
            );
        }
        for (i, n) in statements
            .non_normative
            .iter()
            .enumerate()
            .filter(|(_, n)| ours(&n.source))
        {
            for p in n.quotes.iter().flat_map(|q| pieces(q)) {
                ignored_quotes_found[i] |= cover.mark(&p);
            }
        }
        unmapped_problems(file.name, &cover, problems);
    }
    for (i, n) in statements.non_normative.iter().enumerate() {
        if ours(&n.source) && !n.quotes.is_empty() && !ignored_quotes_found[i] {
            problems.push(MappingProblem::QuoteNotFound {
                owner: ignored_owner(&n.reason),
                file: file.name.to_owned(),
                piece: n.quotes.join(" / "),
            });
        }
    }

    // Statements: the path exists, and a constraint's value is the model's.
    for s in statements.statements.iter().filter(|s| ours(&s.source)) {
        let Some(path) = &s.path else { continue };
        let found = model_at(&model, path);
        let is_doc = docs.iter().any(|d| &d.path == path);
        match (&s.value, found) {
            (_, None) => problems.push(MappingProblem::PathNotFound {
                owner: statement_owner(&s.id),
                path: path.clone(),
            }),
            (None, Some(_)) if !is_doc => problems.push(MappingProblem::PathNotFound {
                owner: statement_owner(&s.id),
                path: path.clone(),
            }),
            (Some(expected), Some(found)) if expected != found => problems.push(MappingProblem::ValueDiffers {
                owner: statement_owner(&s.id),
                path: path.clone(),
                expected: expected.to_string(),
                found: found.to_string(),
            }),
            _ => {}
        }
    }
    for c in &constraints {
        let stated = statements
            .statements
            .iter()
            .any(|s| ours(&s.source) && s.value.is_some() && s.path.as_deref() == Some(&c.path));
        if !stated && !ignored(&c.path) {
            problems.push(MappingProblem::Unmapped {
                file: file.name.to_owned(),
                locator: c.path.clone(),
                text: format!("{} = {}", c.path, c.value),
                words: "a constraint".to_owned(),
            });
        }
    }
    for (pattern, reason) in &ignored_paths {
        let used = docs.iter().map(|d| &d.path).chain(constraints.iter().map(|c| &c.path));
        if !used.into_iter().any(|p| path_matches(pattern, p)) {
            problems.push(MappingProblem::PathNotFound {
                owner: ignored_owner(reason),
                path: (*pattern).to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::facts::{API_PAGE, PROTOCOL_MD};
    use crate::spec::statements::for_test as statements;

    const MD: &str = "# Title\n\n- Rotation revokes the token; the other side keeps its token.\n";

    fn md_problems(st: &Statements, md: &str) -> Vec<MappingProblem> {
        check(
            st,
            &[SpecFile {
                name: PROTOCOL_MD,
                text: md,
            }],
        )
    }

    fn two_claims() -> Statements {
        statements(
            r#"{"id": "proto.a", "kind": "fact", "source": "PROTOCOL.md", "text": "Rotation revokes the token;"},
               {"id": "proto.b", "kind": "fact", "source": "PROTOCOL.md", "text": "other side keeps its token."}"#,
            r#"{"source": "PROTOCOL.md", "reason": "a section title", "quotes": ["Title"]}"#,
        )
    }

    #[test]
    fn two_statements_may_map_one_sentence_clause_by_clause() {
        assert_eq!(md_problems(&two_claims(), MD), vec![]);
    }

    /// The acceptance rule: a sentence added to a spec file without a statement or a reason fails,
    /// and the message names it.
    #[test]
    fn an_added_sentence_or_clause_is_unmapped_and_named() {
        let added = format!("{MD}- Tokens expire with the tunnel.\n");
        let p = md_problems(&two_claims(), &added);
        assert_eq!(p.len(), 1, "{p:?}");
        let msg = p[0].to_string();
        assert!(
            msg.contains("PROTOCOL.md line 4") && msg.contains("Tokens expire with the tunnel."),
            "{msg}"
        );
        let clause = MD.replace("; the other", "; at once the other");
        let msg = md_problems(&two_claims(), &clause)[0].to_string();
        assert!(
            msg.contains("line 3") && msg.contains("(not covered: at once)"),
            "{msg}"
        );
    }

    #[test]
    fn a_quote_the_file_lacks_is_named() {
        let st = statements(
            r#"{"id": "api.x", "kind": "fact", "source": "RotateTunnelAccessToken.txt", "text": "Revokes [...] the token"}"#,
            "",
        );
        let p = check(
            &st,
            &[SpecFile {
                name: API_PAGE,
                text: "Revokes a token.",
            }],
        );
        assert!(
            p.contains(&MappingProblem::QuoteNotFound {
                owner: "statement api.x".into(),
                file: API_PAGE.into(),
                piece: "the token".into()
            }),
            "{p:?}"
        );
        let p = check(&st, &[]);
        assert_eq!(p, vec![MappingProblem::MissingFile { name: API_PAGE.into() }]);
    }

    #[test]
    fn model_constraints_and_docs_are_mapped_by_path() {
        let model = r#"{"documentation": "<p>About.</p>", "shapes": {
            "Id": {"type": "string", "pattern": "[a-z]+", "documentation": "An id. It names a tunnel."},
            "Tag": {"type": "string", "max": 3}
        }}"#;
        let st = statements(
            r#"{"id": "model.id.pattern", "kind": "fact", "source": "iotsecuretunneling-2018-10-05.service-2.json", "path": "shapes.Id.pattern", "value": "[a-z]+"},
               {"id": "model.id.names", "kind": "fact", "source": "iotsecuretunneling-2018-10-05.service-2.json", "path": "shapes.Id.documentation", "text": "It names a tunnel."}"#,
            r#"{"source": "iotsecuretunneling-2018-10-05.service-2.json", "reason": "labels", "quotes": ["An id.", "About."]},
               {"source": "iotsecuretunneling-2018-10-05.service-2.json", "reason": "tags are not tested", "paths": ["shapes.Tag.*"]}"#,
        );
        let file = |text| [SpecFile { name: MODEL_JSON, text }];
        assert_eq!(check(&st, &file(model)), vec![]);
        // A changed constraint, and a new one, are both named.
        let changed = model
            .replace("[a-z]+", "[a-z0-9]+")
            .replace("\"max\": 3", "\"max\": 3, \"min\": 1");
        let p = check(&st, &file(&changed));
        assert!(
            matches!(&p[..], [MappingProblem::ValueDiffers { path, .. }] if path == "shapes.Id.pattern"),
            "a constraint under an ignored prefix stays ignored: {p:?}"
        );
        let new_trait = model.replace("\"documentation\": \"An id.", "\"min\": 1, \"documentation\": \"An id.");
        let p = check(&st, &file(&new_trait));
        assert!(
            matches!(&p[..], [MappingProblem::Unmapped { locator, .. }] if locator == "shapes.Id.min"),
            "{p:?}"
        );
    }
}
