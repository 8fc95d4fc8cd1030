//! `fixtures/spec/` is the spec a finding's citation sends the reader to: it must be a copy of
//! `../shared/spec/` (the project's authoritative spec), and every quote a check or a fuzz rule
//! cites must occur in the file it names.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rotcheck::checks::CheckId;
use rotcheck::spec::facts::{Citation, ALL_CITATIONS};
use rotcheck::spec::mapping::quote_missing_piece;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Regression: fixtures/spec/PROTOCOL.md lacked the "Data plane" and "Talking to a real endpoint"
/// sections that `rotcheck run --list-checks` quotes.
#[test]
fn fixtures_spec_is_a_copy_of_the_shared_spec() {
    let shared = repo().join("../shared/spec");
    if !shared.is_dir() {
        eprintln!(
            "note: {} does not exist (a clone without it): fixtures/spec not compared",
            shared.display()
        );
        return;
    }
    let ours = repo().join("fixtures/spec");
    let (want, have) = (file_names(&shared), file_names(&ours));
    let mut problems = Vec::new();
    for name in want.difference(&have) {
        problems.push(format!("fixtures/spec/{name} is missing"));
    }
    for name in have.difference(&want) {
        problems.push(format!("fixtures/spec/{name} is not in ../shared/spec"));
    }
    for name in want.intersection(&have) {
        let a = std::fs::read(shared.join(name)).expect("read shared spec file");
        let b = std::fs::read(ours.join(name)).expect("read fixtures/spec file");
        if a != b {
            let line = a
                .split(|&c| c == b'\n')
                .zip(b.split(|&c| c == b'\n'))
                .position(|(x, y)| x != y)
                .map_or_else(|| a.len().min(b.len()), |i| i + 1);
            problems.push(format!(
                "fixtures/spec/{name} differs from ../shared/spec/{name} (from line {line})"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nrefresh the copy: cp ../shared/spec/* fixtures/spec/",
        problems.join("\n")
    );
}

#[test]
fn the_quote_matcher_needs_every_piece_in_order() {
    assert_eq!(quote_missing_piece("a  b\n c", "x a b c y"), None);
    assert_eq!(quote_missing_piece("a [...] c", "a b c"), None);
    assert_eq!(quote_missing_piece("c [...] a", "a b c"), Some("a".into()));
    assert_eq!(quote_missing_piece("a: b", "a b"), Some("a: b".into()));
}

/// Regression: six citations (the checks not-found, valid-accepted, handshake, token-single-use,
/// connection-state, and the fuzz rule lifecycle-tags) quoted text their file does not contain.
#[test]
fn every_citation_occurs_in_the_spec_file_it_names() {
    let checks = CheckId::all().map(|id| (id.to_string(), id.citation()));
    let facts = ALL_CITATIONS.iter().map(|(name, c)| (name.to_string(), *c));
    let mut problems = Vec::new();
    for (name, Citation { source, text }) in checks.chain(facts) {
        let path = repo().join("fixtures/spec").join(source);
        let Ok(spec) = std::fs::read_to_string(&path) else {
            problems.push(format!(
                "{name}: cites {source:?}, which is not a file in fixtures/spec"
            ));
            continue;
        };
        if let Some(piece) = quote_missing_piece(text, &spec) {
            problems.push(format!("{name}: {source} does not contain {piece:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
