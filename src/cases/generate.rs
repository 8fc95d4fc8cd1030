//! The case list: generated cases (valid, boundary, mutated) merged with fixtures, sorted by id.
//!
//! Same seed, same list. Each generator draws from its own RNG stream derived from the seed and a
//! label, so adding a case to one generator does not change the random content of another; ids
//! never depend on the seed.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{boundary, mutate, valid, Case};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("two cases have the id `{0}` (a fixture name may repeat a generated or another fixture's id)")]
    DuplicateId(String),
    #[error("case id `{0}` is not shell-safe: use letters, digits and `/ _ . -`, no empty or dot segments")]
    UnsafeId(String),
}

/// Every generated case (valid, boundary, mutated), sorted by id. Ids are unique and stable
/// across seeds; random content (unknown ids, names, insertion points) follows the seed.
pub fn generate(seed: u64) -> Vec<Case> {
    let mut cases = valid::cases(&mut rng_for(seed, "valid"));
    cases.extend(boundary::cases(&mut rng_for(seed, "boundary")));
    let base = valid::full_base(&mut rng_for(seed, "mutate-base"));
    cases.extend(mutate::cases(seed, &base));
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

/// Generated cases and `fixtures` merged and sorted by id. Duplicate or unsafe ids are an error.
pub fn all_cases(seed: u64, fixtures: Vec<Case>) -> Result<Vec<Case>, CaseError> {
    let mut cases = generate(seed);
    cases.extend(fixtures);
    let mut seen = BTreeSet::new();
    for c in &cases {
        if !is_safe_id(&c.id) {
            return Err(CaseError::UnsafeId(c.id.clone()));
        }
        if !seen.insert(c.id.as_str()) {
            return Err(CaseError::DuplicateId(c.id.clone()));
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(cases)
}

/// Whether `id` is safe on a shell command line and as a relative file path: `[a-zA-Z0-9/_.-]`,
/// non-empty segments, none `.` or `..`, not starting with `-`.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '.' | '-'))
        && id.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// An RNG for one labelled stream of a run's seed (FNV-1a of the label mixed into the seed).
pub fn rng_for(seed: u64, label: &str) -> StdRng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    StdRng::seed_from_u64(seed ^ h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_ids() {
        assert!(is_safe_id("boundary/tunnelId/len-128"));
        assert!(is_safe_id("mutate/content-type-wrong/amz-json-1.0"));
        for bad in ["", "a b", "a//b", "a/../b", "-x", "a/", "a;b", "é", "a/./b", "a*"] {
            assert!(!is_safe_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn rng_streams_differ_by_label_and_seed() {
        use rand::Rng;
        let a: u64 = rng_for(1, "valid").random();
        let b: u64 = rng_for(1, "boundary").random();
        let c: u64 = rng_for(2, "valid").random();
        let a2: u64 = rng_for(1, "valid").random();
        assert!(a != b && a != c);
        assert_eq!(a, a2);
    }
}
