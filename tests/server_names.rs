//! The faithful server knows no fault (issue 18): outside `src/server/faults/` and
//! `src/server/variants/`, no field, knob, function or type of the server is named after a fault
//! or a variant. Faults and variants change the server only at the hook points of
//! `src/server/hooks.rs`, each named after where it is called ("after a rotation", "on a handshake
//! refusal"), so a hook point added for one fault is still named for the point.

use std::fs;
use std::path::{Path, PathBuf};

use rotcheck::server::{Fault, Variant};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable source directory").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            // Where faults and variants live: named after them on purpose.
            if name != "faults" && name != "variants" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") && !name.ends_with("_tests.rs") {
            out.push(path);
        }
    }
}

/// The code of a source file: comments, string literals (error type names such as
/// `InvalidRequestException` are the faithful server's words) and unit tests at its end left out
/// (docs may say which variant flips a documented choice; tests may switch faults on).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = String::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let mut prev = ' ';
        for c in line.chars() {
            if in_string {
                match (escaped, c) {
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => escaped = false,
                }
            } else if c == '"' {
                in_string = true;
            } else if c == '/' && prev == '/' {
                out.pop();
                break;
            } else {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

fn identifiers(code: &str) -> Vec<String> {
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_'))
        .map(str::to_owned)
        .collect()
}

/// `not-found-404` as `not_found_404` and `NotFound404`.
fn spellings(name: &str) -> [String; 2] {
    let snake = name.replace('-', "_");
    let camel = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    [snake, camel]
}

/// Guards the removal of the fault-named knobs (`new_token_refused`, `keep_revoked_tokens`,
/// `Leniency`, `on_refused_rotation`, ...): no identifier of the faithful server spells a fault's
/// or a variant's name.
#[test]
fn no_identifier_of_the_faithful_server_is_named_after_a_fault_or_variant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "the server's sources are found");
    let names: Vec<&str> = Fault::all()
        .iter()
        .map(|f| f.name())
        .chain(Variant::all().iter().map(|v| v.name()))
        .collect();
    let mut found = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("readable source");
        for ident in identifiers(&code(&text)) {
            for name in &names {
                let [snake, camel] = spellings(name);
                if ident.to_ascii_lowercase().contains(&snake) || ident.contains(&camel) {
                    found.push(format!("{}: `{ident}` ({name})", file.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "named after a fault or variant:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_spellings_cover_both_cases() {
    assert_eq!(
        spellings("not-found-404"),
        ["not_found_404".to_owned(), "NotFound404".to_owned()]
    );
    assert_eq!(
        identifiers("let new_token_refused = x.y;"),
        ["let", "new_token_refused", "x", "y"]
    );
}
