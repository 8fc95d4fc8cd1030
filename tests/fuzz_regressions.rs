//! Replays every committed crash file (`fuzz/regressions/<target>/`) and every seed
//! (`fuzz/seeds/<target>/`) through the oracle function its cargo-fuzz target calls: a fixed bug
//! that comes back fails here, without nightly or cargo-fuzz.

use std::path::{Path, PathBuf};

use rotcheck::fuzzing::oracles::{self, OracleFailure};
use rotcheck::fuzzing::seeds::TARGETS;

fn oracle(target: &str) -> fn(&[u8]) -> Result<(), OracleFailure> {
    match target {
        "request" => oracles::request_bytes,
        "raw" => oracles::raw_bytes,
        "response" => oracles::response_bytes,
        "sigv4" => oracles::sigv4_bytes,
        "lifecycle" => rotcheck::fuzzing::lifecycle::lifecycle_bytes,
        "dataplane" => oracles::dataplane_bytes,
        other => panic!("no oracle for fuzz target {other}"),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.is_file() && p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')));
    out.sort();
    out
}

fn replay(kind: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(kind);
    let mut failures = Vec::new();
    let mut n = 0;
    for target in TARGETS {
        let check = oracle(target);
        for file in files(&root.join(target)) {
            let data = std::fs::read(&file).expect("readable fuzz input");
            n += 1;
            if let Err(v) = check(&data) {
                failures.push(format!("{}: {v}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} input(s) violate an oracle:\n{}",
        failures.len(),
        failures.join("\n")
    );
    n
}

#[test]
fn every_regression_passes_its_oracle() {
    // Every directory under fuzz/regressions names a target (a misplaced crash file would
    // otherwise never be replayed).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    for e in std::fs::read_dir(&root).expect("fuzz/regressions exists").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            assert!(
                TARGETS.contains(&name.as_str()),
                "fuzz/regressions/{name} is not a fuzz target"
            );
        }
    }
    replay("regressions");
}

#[test]
fn every_seed_passes_its_oracle() {
    assert!(replay("seeds") > 500, "the seed corpus is committed");
}
