//! The units of the spec files that must each be mapped to a statement or declared non-normative
//! ([`super::mapping`]): every sentence of a text file (headings and bullets included), every
//! sentence of every `documentation` string of the service model, and every constraint trait of
//! the model's shapes and members.
//!
//! Sentences, not paragraphs: a paragraph of PROTOCOL.md often holds several claims, and a unit is
//! what the test names when it is unmapped, so it must be small enough to read in one message.

use serde_json::Value;

/// Traits of a model shape (or member) that constrain values: the claims the model makes.
pub const CONSTRAINT_KEYS: [&str; 6] = ["pattern", "min", "max", "enum", "required", "sensitive"];

/// A sentence of a text file, whitespace-normalized, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub line: usize,
    pub text: String,
}

/// A `documentation` string of the model: its path and its sentences (markup removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDoc {
    pub path: String,
    pub sentences: Vec<String>,
}

/// A constraint of the model: its path (`shapes.TunnelId.pattern`) and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub path: String,
    pub value: Value,
}

/// Collapse every run of whitespace to one space and trim: quotes and units compare this way.
pub fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The sentences of a text file. Blocks are headings (`#` lines), bullets (`- ` items with their
/// continuation lines) and paragraphs (runs of non-blank lines); markers are dropped, so a quote
/// reads as the text a reader sees.
pub fn text_sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    // The open block: its lines (number, normalized text).
    let mut block: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let heading = line.starts_with('#');
        let bullet = line.starts_with("- ");
        if line.is_empty() || heading || bullet {
            flush(&mut block, &mut out);
        }
        if line.is_empty() {
            continue;
        }
        let content = if heading {
            line.trim_start_matches('#')
        } else if bullet {
            &line[2..]
        } else {
            line
        };
        block.push((i + 1, normalize(content)));
        if heading {
            flush(&mut block, &mut out);
        }
    }
    flush(&mut block, &mut out);
    out
}

fn flush(block: &mut Vec<(usize, String)>, out: &mut Vec<Sentence>) {
    if block.is_empty() {
        return;
    }
    let mut joined = String::new();
    // Where each line starts in `joined`, to give each sentence its own line number.
    let mut starts = Vec::new();
    for (n, l) in block.drain(..) {
        if l.is_empty() {
            continue;
        }
        if !joined.is_empty() {
            joined.push(' ');
        }
        starts.push((joined.len(), n));
        joined.push_str(&l);
    }
    for (at, s) in split_sentences(&joined) {
        let line = starts
            .iter()
            .rev()
            .find(|(start, _)| *start <= at)
            .map_or(0, |(_, n)| *n);
        out.push(Sentence { line, text: s });
    }
}

/// Split normalized text into sentences: after `.`, `?` or `!` followed by a space and a
/// character that is not a lowercase letter, outside code spans, parentheses and double quotes
/// (a quoted sentence ends where its closing quote does). Returns each sentence's byte offset.
pub fn split_sentences(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let (mut code, mut quote, mut depth) = (false, false, 0usize);
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '`' => code = !code,
            '(' if !code => depth += 1,
            ')' if !code => depth = depth.saturating_sub(1),
            '"' if !code => quote = !quote,
            _ => {}
        }
        let ends = match c {
            '.' | '?' | '!' => !quote,
            // A closing quote after the end of a quoted sentence ends the outer one too.
            '"' => !quote && matches!(prev, '.' | '?' | '!'),
            _ => false,
        };
        prev = c;
        if !ends || code || depth > 0 {
            continue;
        }
        let next = i + c.len_utf8();
        let boundary = next == bytes.len()
            || (bytes[next] == b' ' && text[next + 1..].chars().next().is_some_and(|n| !n.is_lowercase()));
        if boundary {
            push_trimmed(&mut out, text, start, next);
            start = next;
        }
    }
    push_trimmed(&mut out, text, start, text.len());
    out
}

fn push_trimmed(out: &mut Vec<(usize, String)>, text: &str, start: usize, end: usize) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let s = piece.trim();
    if !s.is_empty() {
        out.push((start + lead, s.to_owned()));
    }
}

/// Every `documentation` string of the model, in document order.
pub fn model_docs(model: &Value) -> Vec<ModelDoc> {
    let mut out = Vec::new();
    walk(model, &mut Vec::new(), &mut |path, key, _, v| {
        if key == "documentation" {
            if let Value::String(doc) = v {
                let sentences = split_sentences(&strip_markup(doc))
                    .into_iter()
                    .map(|(_, s)| s)
                    .collect();
                out.push(ModelDoc {
                    path: join(path, key),
                    sentences,
                });
            }
        }
    });
    out
}

/// Every constraint trait of a shape or member of the model, in document order.
pub fn model_constraints(model: &Value) -> Vec<Constraint> {
    let mut out = Vec::new();
    walk(model, &mut Vec::new(), &mut |path, key, parent, v| {
        let in_shapes = path.first().is_some_and(|p| p == "shapes");
        // A shape has a `type`, a member a `shape`: a key of anything else is not a trait.
        let is_shape = parent.contains_key("type") || parent.contains_key("shape");
        if in_shapes && is_shape && CONSTRAINT_KEYS.contains(&key) {
            out.push(Constraint {
                path: join(path, key),
                value: v.clone(),
            });
        }
    });
    out
}

/// The value at a dot-separated path of the model.
pub fn model_at<'a>(model: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(model, |v, key| v.get(key))
}

type Visit<'v> = dyn FnMut(&[String], &str, &serde_json::Map<String, Value>, &Value) + 'v;

fn walk(v: &Value, path: &mut Vec<String>, visit: &mut Visit<'_>) {
    if let Value::Object(map) = v {
        for (key, child) in map {
            visit(path, key, map, child);
            path.push(key.clone());
            walk(child, path, visit);
            path.pop();
        }
    }
}

fn join(path: &[String], key: &str) -> String {
    let mut p = path.join(".");
    if !p.is_empty() {
        p.push('.');
    }
    p.push_str(key);
    p
}

/// The text a reader of the documentation sees: tags removed (block tags become a space, so
/// `<p>A.</p><p>B</p>` stays two sentences), whitespace normalized.
pub fn strip_markup(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim_start_matches('/');
        let name: String = tag.chars().take_while(char::is_ascii_alphanumeric).collect();
        if matches!(name.as_str(), "p" | "note" | "ul" | "ol" | "li" | "br" | "important") {
            out.push(' ');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    normalize(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(v: Vec<Sentence>) -> Vec<String> {
        v.into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn sentences_split_at_ends_not_inside_code_parentheses_or_quotes() {
        let got = split_sentences(
            "Use `a.b. C` here. It ends (e.g. Here. Not). \"One. Two.\" Three is last. lowercase. after",
        );
        let got: Vec<&str> = got.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            got,
            [
                "Use `a.b. C` here.",
                "It ends (e.g. Here. Not).",
                "\"One. Two.\"",
                "Three is last. lowercase. after"
            ]
        );
    }

    #[test]
    fn markdown_blocks_become_sentences_with_their_lines() {
        let md = "# Title\n\nPara one. Para\ntwo.\n- Bullet one,\n  continued. Second.\n- Next\n";
        let got = text_sentences(md);
        assert_eq!(
            texts(got.clone()),
            [
                "Title",
                "Para one.",
                "Para two.",
                "Bullet one, continued.",
                "Second.",
                "Next"
            ]
        );
        let lines: Vec<usize> = got.iter().map(|s| s.line).collect();
        assert_eq!(lines, [1, 3, 3, 5, 6, 7]);
    }

    #[test]
    fn model_docs_and_constraints_are_found_with_their_paths() {
        let model = json!({
            "documentation": "<p>Top.</p><p>Second <a href=\"x\">link</a>.</p>",
            "shapes": {
                "Id": {"type": "string", "pattern": "[a-z]+", "documentation": "An id."},
                "Req": {"type": "structure", "required": ["id"], "members": {
                    "id": {"shape": "Id", "documentation": "The id."}
                }}
            }
        });
        let docs = model_docs(&model);
        assert_eq!(docs[0].path, "documentation");
        assert_eq!(docs[0].sentences, ["Top.", "Second link."]);
        let paths: Vec<&str> = docs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "documentation",
                "shapes.Id.documentation",
                "shapes.Req.members.id.documentation"
            ]
        );
        let constraints: Vec<String> = model_constraints(&model).into_iter().map(|c| c.path).collect();
        assert_eq!(constraints, ["shapes.Id.pattern", "shapes.Req.required"]);
        assert_eq!(model_at(&model, "shapes.Id.pattern"), Some(&json!("[a-z]+")));
        assert_eq!(model_at(&model, "shapes.Nope.pattern"), None);
    }
}
