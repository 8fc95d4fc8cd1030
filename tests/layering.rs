//! The module stack imports only downward, in the order [`LAYERS`] gives (the README states the
//! same order; `the_documented_order_is_the_tested_one` keeps the two together).
//! Guards against the cycles the layering refactor removed (checks importing the runner's outcome
//! types, the server importing checks for `Fault::caught_by`, ...): a module may use only modules
//! of a lower layer (and itself).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Layer of each top-level module of the library (`src/<name>.rs` or `src/<name>/`) and of the
/// CLI (`src/cli/`, which names the library `rotcheck::`).
const LAYERS: &[(&str, u8)] = &[
    ("secret", 0),
    ("spec", 0),
    ("redact", 1),
    ("wire", 2),
    ("cases", 3),
    ("checks", 4),
    ("client", 5),
    ("server", 5),
    ("target", 6),
    ("runner", 6),
    ("traceability", 6),
    ("report", 7),
    ("fuzzing", 8),
    ("parity", 8),
    ("baseline", 8),
    ("cli", 9),
];

/// The order as the documentation writes it: layers bottom to top, joined by arrows, the modules
/// of one layer in braces (alphabetically), e.g. `{secret, spec} → redact → wire → ...`.
fn documented_order() -> String {
    let top = LAYERS.iter().map(|(_, l)| *l).max().unwrap_or(0);
    let mut parts = Vec::new();
    for level in 0..=top {
        let mut names: Vec<&str> = LAYERS.iter().filter(|(_, l)| *l == level).map(|(n, _)| *n).collect();
        names.sort_unstable();
        match names.as_slice() {
            [] => {}
            [one] => parts.push((*one).to_owned()),
            many => parts.push(format!("{{{}}}", many.join(", "))),
        }
    }
    parts.join(" → ")
}

/// README.md and every Markdown file under docs/, with their paths.
fn documentation() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut stack = vec![root.join("docs")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files
        .into_iter()
        .filter_map(|p| fs::read_to_string(&p).ok().map(|text| (p, text)))
        .collect()
}

fn layer(name: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_owned())
}

/// Every `crate::NAME` / `rotcheck::NAME` a file mentions (code only: comments are skipped).
fn imports(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for prefix in ["crate::", "rotcheck::"] {
            let mut rest = code;
            while let Some(i) = rest.find(prefix) {
                let before = rest[..i].chars().next_back();
                rest = &rest[i + prefix.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                    continue;
                }
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        }
    }
    found
}

fn violations() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else { continue };
        if module == "lib" || module == "main" {
            continue;
        }
        let own = layer(&module).unwrap_or_else(|| panic!("module {module} has no layer in tests/layering.rs"));
        let text = fs::read_to_string(&file).unwrap();
        for used in imports(&text) {
            if used == module {
                continue;
            }
            match layer(&used) {
                Some(l) if l < own => {}
                Some(l) => {
                    out.insert(
                        format!("{} uses {used} (layer {l}, not below {module}'s {own})", file.display()),
                        (),
                    );
                }
                None => {}
            }
        }
    }
    out.into_keys().collect()
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let v = violations();
    assert!(v.is_empty(), "layering violations:\n{}", v.join("\n"));
}

/// The scanner itself must see an upward import, or the test above could never fail.
#[test]
fn the_scanner_sees_crate_paths_and_skips_comments() {
    assert_eq!(imports("use crate::runner::result::X;"), vec!["runner"]);
    assert_eq!(imports("let x = rotcheck::checks::CheckId::all();"), vec!["checks"]);
    assert!(imports("// see crate::runner").is_empty());
    assert!(imports("use mycrate::runner;").is_empty());
    assert!(layer("checks") < layer("runner"));
}

/// The order a reader is told is the one enforced: README.md or a page under docs/ states it in
/// the words `documented_order` builds from LAYERS (line breaks count as spaces).
#[test]
fn the_documented_order_is_the_tested_one() {
    let order = documented_order();
    let stated = documentation().into_iter().any(|(_, text)| {
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        flat.contains(&order)
    });
    assert!(
        stated,
        "neither README.md nor docs/ states the layer order tests/layering.rs enforces; write it as:\n{order}"
    );
}

#[test]
fn the_documented_order_groups_each_layer() {
    let order = documented_order();
    assert!(order.starts_with("{secret, spec} → redact → wire"), "{order}");
    assert!(order.ends_with("→ cli"), "{order}");
}
