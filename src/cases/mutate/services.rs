//! Operators on the destinationConfig's services list: empty, a null item, more names than the
//! developer guide allows, a repeated name.

use rand::{Rng, RngCore};
use serde_json::{json, Value};

use super::support::{config_path, invalid, open_ended, services, with_value};
use super::{Mutant, Operator};
use crate::cases::constraints::{self as c, StringRule, GUIDE_MAX_SERVICES};
use crate::cases::valid::BaseRequest;

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("services-empty", "send an empty services list", services_empty),
    op!("services-null-item", "put a null item into the services list", services_null_item),
    op!("services-too-many", "send more services than the developer guide's 3", services_too_many),
    op!("services-duplicate-items", "repeat a service name in the list", services_duplicate_items),
];

fn services_empty(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    if services(base).is_none() || c::services_min() == 0 {
        return Vec::new();
    }
    let what = format!("destinationConfig.services empty (minimum {})", c::services_min());
    vec![invalid(
        "destinationConfig.services",
        what,
        with_value(base, &config_path(c::SERVICES), json!([])),
    )]
}

fn services_null_item(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let Some(mut list) = services(base) else {
        return Vec::new();
    };
    let at = rng.random_range(0..=list.len());
    list.insert(at, Value::Null);
    vec![invalid(
        "destinationConfig.services",
        "destinationConfig.services with a null item".into(),
        with_value(base, &config_path(c::SERVICES), Value::Array(list)),
    )]
}

fn services_too_many(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    if services(base).is_none() {
        return Vec::new();
    }
    let rule = StringRule::service();
    [GUIDE_MAX_SERVICES + 1, 100]
        .into_iter()
        .map(|n| {
            let list: Vec<String> = (0..n)
                .map(|i| format!("svc{i}-{}", rule.random_alnum(rng, 4)))
                .collect();
            open_ended(
                format!("count-{n}"),
                format!("{n} services (the developer guide allows up to {GUIDE_MAX_SERVICES})"),
                with_value(base, &config_path(c::SERVICES), json!(list)),
                Some(base.mode),
            )
        })
        .collect()
}

fn services_duplicate_items(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let Some(list) = services(base) else {
        return Vec::new();
    };
    let Some(first) = list.first().cloned() else {
        return Vec::new();
    };
    let mut twice = list.clone();
    twice.push(first);
    // The model has no uniqueness constraint; whether a server accepts repeats is not stated.
    vec![open_ended(
        "destinationConfig.services",
        "destinationConfig.services with a repeated name".into(),
        with_value(base, &config_path(c::SERVICES), Value::Array(twice)),
        Some(base.mode),
    )]
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::super::{apply, find};
    use crate::cases::valid::BaseRequest;
    use crate::spec::facts::ClientMode;

    #[test]
    fn services_operators_skip_a_base_without_services() {
        let source = BaseRequest::new("source", ClientMode::Source, None, None);
        let mut rng = StdRng::seed_from_u64(2);
        for name in [
            "services-empty",
            "services-null-item",
            "services-too-many",
            "services-duplicate-items",
        ] {
            assert!(apply(find(name).unwrap(), &source, &mut rng).is_empty(), "{name}");
        }
    }
}
