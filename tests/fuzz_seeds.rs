//! The committed seed corpus and dictionary are what the crate generates now: regenerate with
//! `rotcheck fuzz --write-seeds fuzz/seeds` and `rotcheck fuzz --write-dict fuzz/rotcheck.dict`.

use std::collections::BTreeMap;
use std::path::Path;

use rotcheck::fuzzing::seeds;

#[test]
fn committed_seeds_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let fresh = seeds::seeds();
    assert_eq!(fresh.keys().copied().collect::<Vec<_>>().len(), seeds::TARGETS.len());
    for (target, files) in fresh {
        let mut committed = BTreeMap::new();
        for e in std::fs::read_dir(root.join(target)).expect("seed directory").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            committed.insert(name, std::fs::read(e.path()).expect("readable seed"));
        }
        let stale: Vec<&String> = files
            .keys()
            .filter(|k| committed.get(*k) != files.get(*k))
            .chain(committed.keys().filter(|k| !files.contains_key(*k)))
            .collect();
        assert!(
            stale.is_empty(),
            "fuzz/seeds/{target} is stale ({} file(s), e.g. {:?}): run `rotcheck fuzz --write-seeds fuzz/seeds`",
            stale.len(),
            stale.first()
        );
    }
}

#[test]
fn committed_dictionary_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/rotcheck.dict");
    let committed = std::fs::read_to_string(path).expect("fuzz/rotcheck.dict");
    assert!(
        committed == seeds::dictionary(),
        "fuzz/rotcheck.dict is stale: run `rotcheck fuzz --write-dict fuzz/rotcheck.dict`"
    );
    for token in [
        "\"\\\"tunnelId\\\":\"",
        "\"\\\"SOURCE\\\"\"",
        "\"IoTSecuredTunneling.RotateTunnelAccessToken\"",
    ] {
        assert!(committed.lines().any(|l| l == token), "{token} in the dictionary");
    }
}
