//! The HTTP around the body: Content-Type, X-Amz-Target and the method.

use rand::RngCore;

use super::support::{invalid, open_ended};
use super::{Mutant, Operator};
use crate::cases::constraints as c;
use crate::cases::valid::BaseRequest;
use crate::spec::facts;
use crate::spec::model;
use crate::wire::HttpRequest;

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("content-type-wrong", "send another Content-Type", content_type_wrong),
    op!("content-type-missing", "send no Content-Type", content_type_missing),
    op!("target-missing", "send no X-Amz-Target", target_missing),
    op!("target-unknown-operation", "name an operation the service does not have", target_unknown_operation),
    op!("target-other-service", "name another service's target prefix", target_other_service),
    op!("target-malformed", "send an X-Amz-Target without prefix or operation", target_malformed),
    op!("method-other", "use another HTTP method than POST", method_other),
];

fn content_type_wrong(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    [
        ("application-json", "application/json"),
        ("amz-json-1.0", "application/x-amz-json-1.0"),
        ("text-plain", "text/plain"),
        ("form-urlencoded", "application/x-www-form-urlencoded"),
        ("with-charset", "application/x-amz-json-1.1; charset=utf-8"),
    ]
    .into_iter()
    .map(|(name, ct)| {
        let mut req = base.request();
        req.set_header("Content-Type", ct);
        open_ended(name, format!("Content-Type {ct}"), req, Some(base.mode))
    })
    .collect()
}

fn content_type_missing(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let mut req = base.request();
    req.remove_header("Content-Type");
    vec![open_ended(
        "header",
        "no Content-Type header".into(),
        req,
        Some(base.mode),
    )]
}

fn with_target(base: &BaseRequest, target: Option<&str>) -> HttpRequest {
    let mut req = base.request();
    match target {
        Some(t) => req.set_header("X-Amz-Target", t),
        None => req.remove_header("X-Amz-Target"),
    }
    req
}

fn target_missing(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    vec![invalid(
        "header",
        "no X-Amz-Target header".into(),
        with_target(base, None),
    )]
}

fn target_unknown_operation(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let unknown = format!("RotcheckNoSuchOperation{}", c::random_suffix(rng, 4));
    [
        ("suffixed", format!("{}X", facts::ROTATE)),
        ("unknown", unknown),
        ("plural", format!("{}s", facts::ROTATE)),
    ]
    .into_iter()
    .filter(|(_, op)| model().operation(op).is_none())
    .map(|(name, op)| {
        let t = facts::target(&op);
        invalid(
            name,
            format!("X-Amz-Target {t} (no such operation)"),
            with_target(base, Some(&t)),
        )
    })
    .collect()
}

fn target_other_service(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    ["DynamoDB_20120810", "Logs_20140328", "AWSIoTSecureTunneling"]
        .into_iter()
        .filter(|p| *p != facts::TARGET_PREFIX)
        .map(|prefix| {
            let t = format!("{prefix}.{}", facts::ROTATE);
            invalid(
                prefix,
                format!("X-Amz-Target {t} (another service)"),
                with_target(base, Some(&t)),
            )
        })
        .collect()
}

fn target_malformed(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    [
        ("no-prefix", facts::ROTATE.to_owned()),
        ("no-operation", format!("{}.", facts::TARGET_PREFIX)),
        ("prefix-only", facts::TARGET_PREFIX.to_owned()),
        ("empty", String::new()),
    ]
    .into_iter()
    .map(|(name, t)| invalid(name, format!("X-Amz-Target {t:?}"), with_target(base, Some(&t))))
    .collect()
}

fn method_other(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    ["GET", "PUT", "DELETE", "PATCH"]
        .into_iter()
        .map(|m| {
            let mut req = base.request();
            req.method = m.to_owned();
            open_ended(m, format!("method {m} instead of POST"), req, None)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;
    use crate::cases::Expectation;
    use crate::spec::model;

    #[test]
    fn method_and_header_mutations() {
        for c in run("method-other") {
            assert_ne!(c.request.method, "POST");
            assert_eq!(c.expect, Expectation::AnyNon5xx { mode: None });
        }
        assert!(run("content-type-missing")[0].request.header("content-type").is_none());
        assert!(run("target-missing")[0].request.header("x-amz-target").is_none());
        for c in run("target-other-service")
            .into_iter()
            .chain(run("target-unknown-operation"))
        {
            assert_eq!(
                c.request.operation().filter(|o| model().operation(o).is_some()),
                None,
                "{}",
                c.id
            );
            assert_eq!(c.expect, Expectation::Invalid);
        }
    }
}
