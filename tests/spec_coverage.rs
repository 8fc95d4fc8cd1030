//! Issue 19: the spec map. Every sentence of the spec files (fixtures/spec) is a statement of
//! fixtures/statements.json or declared non-normative with a reason; every check names the
//! statements it enforces, every fault the statements it breaks, every variant the latitude it
//! takes; a fact is covered by a check and a fault or says why not. Prints the coverage figure
//! and keeps it current in README.md (and the whole map in docs/spec-coverage.md):
//! `ROTCHECK_UPDATE_SPEC_COVERAGE=1 cargo test --test spec_coverage` rewrites both.

use std::path::PathBuf;

use rotcheck::server::{Fault, Variant};
use rotcheck::spec::facts::{API_PAGE, MODEL_JSON, PROTOCOL_MD};
use rotcheck::spec::mapping::{self, MappingProblem, SpecFile};
use rotcheck::spec::statements::Statements;
use rotcheck::traceability::{self, CheckInfo, Row, Tables, TraceProblem};

const UPDATE: &str = "ROTCHECK_UPDATE_SPEC_COVERAGE";
const README_START: &str = "<!-- spec-coverage:start -->";
const README_END: &str = "<!-- spec-coverage:end -->";
const MAP_START: &str = "<!-- spec-map:start -->";
const MAP_END: &str = "<!-- spec-map:end -->";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn statements() -> &'static Statements {
    Statements::embedded().expect("fixtures/statements.json is valid against docs/statements.schema.json")
}

/// The spec files as the statements name them, read from fixtures/spec.
fn spec_texts() -> Vec<(&'static str, String)> {
    [API_PAGE, PROTOCOL_MD, MODEL_JSON]
        .into_iter()
        .map(|name| {
            let path = repo().join("fixtures/spec").join(name);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, text)
        })
        .collect()
}

fn mapping_problems(texts: &[(&str, String)]) -> Vec<MappingProblem> {
    let files: Vec<SpecFile> = texts.iter().map(|(name, text)| SpecFile { name, text }).collect();
    mapping::check(statements(), &files)
}

fn lines<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// Regression: citations used to quote text the spec files did not contain; a statement's quote,
/// model path and value must be the file's, and nothing in the files may go unmapped.
#[test]
fn every_sentence_of_the_spec_files_is_mapped_and_every_quote_is_exact() {
    let problems = mapping_problems(&spec_texts());
    assert!(
        problems.is_empty(),
        "fixtures/statements.json against fixtures/spec:\n{}",
        lines(&problems)
    );
}

/// Acceptance: a sentence added to a spec file without mapping it fails, naming the sentence.
#[test]
fn a_sentence_added_to_the_spec_without_a_statement_is_named() {
    let mut texts = spec_texts();
    let protocol = &mut texts
        .iter_mut()
        .find(|(n, _)| *n == PROTOCOL_MD)
        .expect("PROTOCOL.md")
        .1;
    let at = protocol
        .find("ListTunnels is newest first.")
        .expect("the lifecycle bullet");
    let end = at + "ListTunnels is newest first.".len();
    protocol.insert_str(end, " Closed tunnels are listed last.");
    let problems = mapping_problems(&texts);
    let named = problems.iter().any(|p| {
        matches!(p, MappingProblem::Unmapped { file, text, .. }
            if file == PROTOCOL_MD && text == "Closed tunnels are listed last.")
    });
    assert!(named, "the added sentence is not named:\n{}", lines(&problems));
    // A changed model constraint is named too.
    let model = &mut texts.iter_mut().find(|(n, _)| *n == MODEL_JSON).expect("model").1;
    assert!(model.contains(r#""max": 1600"#), "TunnelArn's maximum");
    *model = model.replace(r#""max": 1600"#, r#""max": 2048"#);
    let problems = mapping_problems(&texts);
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, MappingProblem::ValueDiffers { owner, path, .. }
            if owner == "statement model.tunnel-arn.max" && path == "shapes.TunnelArn.max")),
        "{}",
        lines(&problems)
    );
}

fn catalog_names() -> (Vec<&'static str>, Vec<&'static str>) {
    (
        Fault::all().iter().map(|f| f.name()).collect(),
        Variant::all().iter().map(|v| v.name()).collect(),
    )
}

/// Every check cites statements that exist, every fault and variant has its line, every fault's
/// statements are enforced by its check, and every statement is covered or says why not.
#[test]
fn the_map_is_complete() {
    let trace = traceability::embedded().expect("the embedded map loads");
    assert!(trace.problems.is_empty(), "the spec map:\n{}", lines(&trace.problems));
}

/// Acceptance: deleting the last fault of a fact fails, naming the statement.
#[test]
fn a_fact_that_loses_its_last_fault_is_named() {
    let (faults, variants) = catalog_names();
    let mut tables = Tables::embedded().expect("tables");
    let gone = "timestamps-as-strings";
    tables.fault_checks.retain(|f| f.fault != gone);
    tables.fault_statements.retain(|l| l.name != gone);
    let faults: Vec<&str> = faults.into_iter().filter(|f| *f != gone).collect();
    let trace = traceability::build(statements(), &CheckInfo::registered(), &tables, &faults, &variants);
    let uncovered: Vec<String> = trace
        .problems
        .iter()
        .filter(|p| matches!(p, TraceProblem::Uncovered { .. }))
        .map(ToString::to_string)
        .collect();
    assert_eq!(uncovered.len(), 1, "{uncovered:?}");
    assert!(
        uncovered[0].starts_with("fact proto.wire.timestamps is not covered"),
        "{}",
        uncovered[0]
    );
}

/// Replace the text between `start` and `end` in `doc` with `block`.
fn with_block(doc: &str, start: &str, end: &str, block: &str, name: &str) -> String {
    let (Some(a), Some(b)) = (doc.find(start), doc.find(end)) else {
        panic!("{name} lacks the {start} ... {end} markers");
    };
    format!("{}{start}\n{block}{end}{}", &doc[..a], &doc[b + end.len()..])
}

/// Prints the coverage figure; README.md shows it and docs/spec-coverage.md the whole map.
#[test]
fn the_readme_and_the_docs_show_the_current_coverage() {
    let trace = traceability::embedded().expect("the embedded map loads");
    let coverage = trace.coverage();
    println!("{coverage}");
    let rows: Vec<&Row> = trace.rows.iter().collect();
    let files = [
        (
            "README.md",
            README_START,
            README_END,
            format!("{coverage} (`rotcheck spec`; [the map](docs/spec-coverage.md))\n"),
        ),
        (
            "docs/spec-coverage.md",
            MAP_START,
            MAP_END,
            rotcheck::report::spec_map::markdown(&coverage, &rows),
        ),
    ];
    let mut stale = Vec::new();
    for (name, start, end, block) in files {
        let path = repo().join(name);
        let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let updated = with_block(&doc, start, end, &block, name);
        if std::env::var_os(UPDATE).is_some() {
            std::fs::write(&path, &updated).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else if updated != doc {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "{} stale: run `{UPDATE}=1 cargo test --test spec_coverage` and review the diff\n{coverage}",
        stale.join(" and ")
    );
}

fn rotcheck_spec(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .arg("spec")
        .args(args)
        .output()
        .expect("rotcheck runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// Acceptance: `rotcheck spec` lists every statement with its checks, faults and variants.
#[test]
fn rotcheck_spec_lists_every_statement_with_its_evidence() {
    let trace = traceability::embedded().expect("the embedded map loads");
    let (code, out, err) = rotcheck_spec(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().next(), Some(trace.coverage().to_string().as_str()));
    for s in &statements().statements {
        assert!(
            out.contains(&format!("\n{} ({}, ", s.id, s.kind)),
            "{} missing:\n{out}",
            s.id
        );
    }
    assert!(
        out.contains(
            "\napi.not-found (fact, covered)\n  RotateTunnelAccessToken.txt: \"ResourceNotFoundException Thrown when an \
             operation is attempted on a resource that does not exist. HTTP Status Code: 400\"\n  check:    not-found ← \
             not-found-404, not-found-wrong-type, not-found-500\n"
        ),
        "{out}"
    );
    assert!(out.contains("  variants: header-only-error-type\n"), "{out}");

    // --uncovered: only what is not covered, each with its gap.
    let (code, out, err) = rotcheck_spec(&["--uncovered", "--kind", "fact"]);
    assert_eq!(code, Some(0), "{err}");
    let heads: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("api.") || l.starts_with("proto.") || l.starts_with("model."))
        .collect();
    assert!(
        !heads.is_empty() && heads.iter().all(|h| h.ends_with("(fact, not covered)")),
        "{out}"
    );
    assert_eq!(out.matches("\n  gap:      ").count(), heads.len(), "{out}");

    let (code, _, err) = rotcheck_spec(&["--check", "no-such-check"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--check no-such-check: no such check"), "{err}");
}
