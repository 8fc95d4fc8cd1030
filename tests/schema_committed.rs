//! The committed JSON Schemas in fixtures/schema are exactly what the generator produces, so users
//! reading or using them get the model's constraints, not a stale copy.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rotcheck::spec::schema;

const REGENERATE: &str = "run `cargo run -- schema --out fixtures/schema` and commit the result";

fn files_under(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, base, out);
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn committed_schemas_match_the_generator() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema");
    let generated = schema::generate();
    let mut problems = Vec::new();
    for (rel, doc) in &generated {
        match std::fs::read_to_string(dir.join(rel)) {
            Ok(text) if text == schema::render(doc) => {}
            Ok(_) => problems.push(format!("{rel} differs")),
            Err(e) => problems.push(format!("{rel} missing ({e})")),
        }
    }
    let expected: BTreeSet<String> = generated.iter().map(|(rel, _)| rel.clone()).collect();
    let mut present = BTreeSet::new();
    files_under(&dir, &dir, &mut present);
    for extra in present.difference(&expected) {
        problems.push(format!("{extra} is not generated any more (delete it)"));
    }
    assert!(
        problems.is_empty(),
        "fixtures/schema is stale: {}; {REGENERATE}",
        problems.join(", ")
    );
}

#[test]
fn write_all_writes_every_document_and_they_parse() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("nested/schema");
    let written = schema::write_all(&out).expect("write");
    assert_eq!(written.len(), schema::generate().len());
    for path in written {
        let text = std::fs::read_to_string(&path).expect("readable");
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert!(v.is_object(), "{}", path.display());
    }
}

#[test]
fn write_all_into_a_file_path_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let err = schema::write_all(&file).expect_err("cannot write under a regular file");
    assert!(err.to_string().contains("a-file"), "{err}");
}

#[test]
fn the_schema_command_writes_and_lists_the_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("schemas");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["schema", "--out"])
        .arg(&out)
        .output()
        .expect("run rotcheck");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(stdout.lines().count(), schema::generate().len(), "{stdout}");
    assert!(out.join("RotateTunnelAccessToken.response.json").is_file());
    assert!(stdout.contains("RotateTunnelAccessToken.request.json"));

    // Unwritable target: a setup error, exit 2, with a message naming the path.
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "x").expect("write");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["schema", "--out"])
        .arg(&file)
        .output()
        .expect("run rotcheck");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("plain-file"));
}
