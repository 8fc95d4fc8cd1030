//! Mutation operators: named, one-at-a-time changes to a valid request, each producing requests
//! together with what the spec requires of the answer.
//!
//! The generator applies every operator to the request that carries every member; the fuzzer
//! picks operators and bases at random. An operator is deterministic for a given RNG state, and
//! returns nothing when it does not apply to the base (e.g. a destinationConfig mutation on a
//! request without one).
//!
//! Expectations: the spec forbids it -> [`Expectation::Invalid`] (a 4xx); the spec leaves it open
//! (PROTOCOL.md "Left open by the spec", or no source says) -> [`Expectation::AnyNon5xx`]; a
//! mutation that keeps the request's meaning (whitespace, member order, escapes) ->
//! [`Expectation::Success`]. String mutations are checked against the model before a case is
//! called invalid.
//!
//! One file per family of operators; each declares its operators in a table, and the catalog is
//! the families' tables in the order of the `FAMILIES` list below: adding an operator is a
//! function and a line in its family's table. The order is part of the output (each operator
//! draws from its own RNG stream, but cases and fuzz picks follow the catalog's order), so a new
//! operator goes at the end of its family, and a new family at the end of the list.

use std::sync::LazyLock;

use rand::{Rng, RngCore};

use super::valid::BaseRequest;
use super::{Case, CaseKind, Expectation};
use crate::wire::HttpRequest;

mod support;

pub use size::{DEEP_NESTING, HUGE_LEN};
pub use unknown::MANY_MEMBERS;

type Build = fn(&BaseRequest, &mut dyn RngCore) -> Vec<Mutant>;

/// A named mutation. `name` is id-safe (`mutate/<name>/<target>`).
#[derive(Clone, Copy)]
pub struct Operator {
    pub name: &'static str,
    /// One line: what the operator changes.
    pub description: &'static str,
    build: Build,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One request an operator made from a base.
struct Mutant {
    /// Id-safe: what was changed, e.g. `destinationConfig.services.member`.
    target: String,
    /// One line: what is sent and what the spec requires.
    description: String,
    request: HttpRequest,
    expect: Expectation,
}

/// One line of a family's table: `op!("name", "what it changes", build_fn)`.
macro_rules! op {
    ($name:literal, $desc:literal, $build:expr) => {
        Operator {
            name: $name,
            description: $desc,
            build: $build,
        }
    };
}

// The families, declared here and not inside a macro: rustfmt does not reach a module that a
// macro declares. A family missing from FAMILIES is dead code, which clippy refuses.
mod combination;
mod http;
mod malformed;
mod members;
mod same_meaning;
mod services;
mod size;
mod unicode;
mod unknown;

/// Every family's table, in catalog order.
static FAMILIES: &[&[Operator]] = &[
    members::OPERATORS,
    services::OPERATORS,
    unknown::OPERATORS,
    size::OPERATORS,
    unicode::OPERATORS,
    malformed::OPERATORS,
    same_meaning::OPERATORS,
    http::OPERATORS,
    combination::OPERATORS,
];

/// The families' tables, one after the other.
static CATALOG: LazyLock<Vec<Operator>> = LazyLock::new(|| FAMILIES.iter().flat_map(|f| f.iter().copied()).collect());

/// Every operator, in a fixed order.
pub fn catalog() -> &'static [Operator] {
    &CATALOG
}

/// The operator called `name`.
pub fn find(name: &str) -> Option<&'static Operator> {
    catalog().iter().find(|op| op.name == name)
}

impl Operator {
    /// See [`apply`].
    pub fn apply(&self, base: &BaseRequest, rng: &mut impl Rng) -> Vec<Case> {
        apply(self, base, rng)
    }
}

/// Apply `op` to `base`: the mutated cases (ids `mutate/<operator>/<target>`, on the base's
/// tunnel). Empty when the operator does not apply to this base. Ids do not name the base: a
/// caller applying operators to several bases (the fuzzer) makes them unique itself.
pub fn apply(op: &Operator, base: &BaseRequest, rng: &mut impl Rng) -> Vec<Case> {
    let rng: &mut dyn RngCore = rng;
    (op.build)(base, rng)
        .into_iter()
        .map(|m| Case {
            id: format!("mutate/{}/{}", op.name, m.target),
            kind: CaseKind::Mutated,
            description: m.description,
            tunnel: base.tunnel.clone(),
            request: m.request,
            expect: m.expect,
            operator: Some(op.name.to_owned()),
        })
        .collect()
}

/// The mutated cases of `generate()`: every operator applied to the base that carries every
/// member, each with its own RNG stream so that cases do not shift when operators are added.
pub fn cases(seed: u64, base: &BaseRequest) -> Vec<Case> {
    catalog()
        .iter()
        .flat_map(|op| apply(op, base, &mut super::rng_for(seed, op.name)))
        .collect()
}

/// What the families' tests share: the full base and one operator applied to it.
#[cfg(test)]
mod test_support {
    use std::collections::BTreeSet;

    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::{apply, find};
    use crate::cases::valid::{self, BaseRequest};
    use crate::cases::Case;

    /// The base that carries every member.
    pub(super) fn full() -> BaseRequest {
        valid::full_base(&mut StdRng::seed_from_u64(1))
    }

    /// The operator called `name` applied to [`full`].
    pub(super) fn run(name: &str) -> Vec<Case> {
        let op = find(name).unwrap_or_else(|| panic!("no operator {name}"));
        apply(op, &full(), &mut StdRng::seed_from_u64(5))
    }

    /// The last segment of each case id: what the mutation changed.
    pub(super) fn targets_of(cases: &[Case]) -> BTreeSet<String> {
        cases
            .iter()
            .map(|c| c.id.rsplit_once('/').unwrap().1.to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::full;
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::BTreeSet;

    #[test]
    fn catalog_is_large_named_and_unique() {
        assert!(catalog().len() >= 25, "{}", catalog().len());
        let names: BTreeSet<_> = catalog().iter().map(|o| o.name).collect();
        assert_eq!(names.len(), catalog().len());
        for op in catalog() {
            assert!(op
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            assert!(!op.description.is_empty() && !op.description.contains('\n'));
        }
    }

    #[test]
    fn every_operator_applies_to_the_full_base() {
        for op in catalog() {
            let cases = apply(op, &full(), &mut StdRng::seed_from_u64(9));
            assert!(!cases.is_empty(), "{} made nothing", op.name);
            for c in &cases {
                assert_eq!(c.operator.as_deref(), Some(op.name));
                assert!(c.id.starts_with(&format!("mutate/{}/", op.name)));
            }
        }
    }

    #[test]
    fn operators_are_deterministic_for_an_rng_state() {
        for op in catalog() {
            let a = apply(op, &full(), &mut StdRng::seed_from_u64(42));
            let b = apply(op, &full(), &mut StdRng::seed_from_u64(42));
            assert_eq!(a, b, "{}", op.name);
        }
    }

    #[test]
    fn the_catalog_is_the_families_tables_in_order() {
        let names: Vec<&str> = catalog().iter().map(|o| o.name).collect();
        let tables: Vec<&str> = FAMILIES.iter().flat_map(|f| f.iter().map(|o| o.name)).collect();
        assert_eq!(names, tables);
        assert_eq!(names.first(), Some(&"missing-member"));
        assert_eq!(names.last(), Some(&"source-with-destination-config"));
        assert_eq!(find("json-escape").map(|o| o.name), Some("json-escape"));
        assert!(find("no-such-operator").is_none());
    }
}
