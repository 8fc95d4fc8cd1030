//! Operators on one member at a time: removed, null, of another JSON type, or a string value
//! the model's constraints forbid (empty, outside the pattern, too long, not an enum value).

use rand::{Rng, RngCore};
use serde_json::{json, Value};

use super::support::{
    body_members, current_str, forbidden, insert_random, invalid, open_ended, string_members, with_value, BodyMember,
};
use super::{Mutant, Operator};
use crate::cases::constraints::{self as c, StringRule};
use crate::cases::json_text as jt;
use crate::cases::valid::{BaseRequest, SERVICE_NAMES};
use crate::cases::TUNNEL_ID_PLACEHOLDER;
use crate::spec::facts;
use crate::spec::{Shape, ShapeKind};
use crate::wire::HttpRequest;

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("missing-member", "remove a required member", missing_member),
    op!("null-member", "set a member to JSON null (null = absent)", null_member),
    op!("type-number", "give a non-number member a JSON number", |b, r| wrong_type(b, r, JsonType::Number)),
    op!("type-boolean", "give a member a JSON boolean", |b, r| wrong_type(b, r, JsonType::Boolean)),
    op!("type-string", "give a non-string member a JSON string", |b, r| wrong_type(b, r, JsonType::String)),
    op!("type-array", "give a non-list member a JSON array", |b, r| wrong_type(b, r, JsonType::Array)),
    op!("type-object", "give a non-structure member a JSON object", |b, r| wrong_type(b, r, JsonType::Object)),
    op!("empty-string", "set a string member to the empty string", empty_string),
    op!("pattern-char", "insert a printable ASCII character the member's pattern excludes", pattern_char),
    op!("length-over-max", "make a string member longer than its maximum", length_over_max),
    op!("enum-variant", "replace clientMode by a near miss of an enum value", enum_variant),
];

fn missing_member(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    body_members(base)
        .into_iter()
        .filter(|t| t.required && !t.is_list_item())
        .map(|t| {
            let mut body = base.body_value();
            jt::remove(&mut body, &t.path);
            let what = format!("{} (required) removed", t.name());
            invalid(t.name(), what, HttpRequest::json(facts::ROTATE, &body))
        })
        .collect()
}

fn null_member(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    body_members(base)
        .into_iter()
        .filter(|t| !t.is_list_item())
        .map(|t| {
            let req = with_value(base, &t.path, Value::Null);
            if t.required {
                invalid(t.name(), format!("{} (required) set to null", t.name()), req)
            } else {
                // Whether null means absent for an optional member is not stated for this service.
                let what = format!("{} (optional) set to null", t.name());
                open_ended(t.name(), what, req, Some(base.mode))
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Number,
    Boolean,
    String,
    Array,
    Object,
}

impl JsonType {
    fn of_shape(shape: &Shape) -> Option<JsonType> {
        Some(match shape.kind {
            ShapeKind::String(_) => JsonType::String,
            ShapeKind::Integer { .. } | ShapeKind::Timestamp => JsonType::Number,
            ShapeKind::Boolean => JsonType::Boolean,
            ShapeKind::Structure { .. } => JsonType::Object,
            ShapeKind::List { .. } => JsonType::Array,
        })
    }

    fn name(self) -> &'static str {
        match self {
            JsonType::Number => "a JSON number",
            JsonType::Boolean => "a JSON boolean",
            JsonType::String => "a JSON string",
            JsonType::Array => "a JSON array",
            JsonType::Object => "a JSON object",
        }
    }
}

fn wrong_type(base: &BaseRequest, rng: &mut dyn RngCore, ty: JsonType) -> Vec<Mutant> {
    let body = base.body_value();
    body_members(base)
        .into_iter()
        .filter(|t| JsonType::of_shape(t.shape) != Some(ty))
        .map(|t| {
            let current = jt::get(&body, &t.path).cloned().unwrap_or(Value::Null);
            let v = match ty {
                JsonType::Number => json!(rng.random_range(0..100_000)),
                JsonType::Boolean => json!(rng.random_bool(0.5)),
                JsonType::String => json!(SERVICE_NAMES[rng.random_range(0..SERVICE_NAMES.len())]),
                // The current value wrapped: a server that unwraps one-item arrays or objects
                // would otherwise accept it.
                JsonType::Array => json!([current]),
                JsonType::Object => json!({ "value": current }),
            };
            let what = format!("{} given {} instead of its model type", t.name(), ty.name());
            invalid(t.name(), what, with_value(base, &t.path, v))
        })
        .collect()
}

fn empty_string(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    string_members(base)
        .into_iter()
        .filter(|t| forbidden(t.shape, ""))
        .map(|t| {
            let what = format!("{} set to the empty string", t.name());
            invalid(t.name(), what, with_value(base, &t.path, json!("")))
        })
        .collect()
}

fn pattern_char(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    for t in string_members(base).into_iter().filter(|t| !t.is_enum()) {
        let rule = StringRule::of(t.shape);
        let bad = rule.disallowed_ascii();
        if bad.is_empty() {
            continue;
        }
        let ch = bad[rng.random_range(0..bad.len())];
        let value = insert_random(rng, &current_str(base, &t.path), &ch.to_string());
        if forbidden(t.shape, &value) {
            let what = format!("{} with {ch:?} inserted (outside its pattern)", t.name());
            out.push(invalid(t.name(), what, with_value(base, &t.path, json!(value))));
        }
    }
    out
}

fn length_over_max(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    for t in string_members(base).into_iter().filter(|t| !t.is_enum()) {
        let rule = StringRule::of(t.shape);
        let extra = rng.random_range(1..=8);
        // The tunnel's own id padded: at least one character more than the maximum.
        let value = if t.is_tunnel_id() {
            format!(
                "{TUNNEL_ID_PLACEHOLDER}{}",
                rule.random_alnum(rng, rule.max + extra - 1)
            )
        } else {
            rule.random(rng, rule.max + extra)
        };
        if forbidden(t.shape, &value) {
            let what = format!("{} longer than its maximum of {}", t.name(), rule.max);
            out.push(invalid(t.name(), what, with_value(base, &t.path, json!(value))));
        }
    }
    out
}

fn enum_variant(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    let values = c::enum_values();
    for t in string_members(base).into_iter().filter(BodyMember::is_enum) {
        let v = current_str(base, &t.path);
        let others: Vec<&String> = values.iter().filter(|o| **o != v).collect();
        let other = others
            .get(rng.random_range(0..others.len().max(1)))
            .map_or("", |o| o.as_str());
        let variants = [
            ("lower", v.to_ascii_lowercase()),
            ("padded", format!(" {v} ")),
            ("tab-padded", format!("{v}\t")),
            ("joined", format!("{v},{other}")),
            (
                "unknown",
                format!("ROTCHECK_{}", c::random_suffix(rng, 4).to_ascii_uppercase()),
            ),
        ];
        for (name, value) in variants {
            if forbidden(t.shape, &value) {
                let what = format!("{} set to {value:?} (not an enum value)", t.name());
                out.push(invalid(
                    format!("{}-{name}", t.name()),
                    what,
                    with_value(base, &t.path, json!(value)),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{run, targets_of};
    use crate::cases::Expectation;
    use crate::spec::facts::ClientMode;

    #[test]
    fn required_members_missing_and_null_are_invalid_optional_null_is_open() {
        let missing = run("missing-member");
        assert_eq!(
            targets_of(&missing),
            ["clientMode", "destinationConfig.services", "tunnelId"]
                .map(String::from)
                .into()
        );
        assert!(missing.iter().all(|c| c.expect == Expectation::Invalid));
        for c in run("null-member") {
            let optional = c.id.ends_with("destinationConfig") || c.id.ends_with("thingName");
            let expected = if optional {
                Expectation::AnyNon5xx {
                    mode: Some(ClientMode::All),
                }
            } else {
                Expectation::Invalid
            };
            assert_eq!(c.expect, expected, "{}", c.id);
        }
    }

    #[test]
    fn wrong_types_cover_every_member_and_skip_the_right_type() {
        let strings = targets_of(&run("type-string"));
        assert_eq!(
            strings,
            ["destinationConfig", "destinationConfig.services"]
                .map(String::from)
                .into()
        );
        let numbers = targets_of(&run("type-number"));
        assert_eq!(numbers.len(), 6, "{numbers:?}");
        let objects = targets_of(&run("type-object"));
        assert!(!objects.contains("destinationConfig") && objects.contains("clientMode"));
        for name in [
            "type-number",
            "type-boolean",
            "type-string",
            "type-array",
            "type-object",
        ] {
            assert!(run(name).iter().all(|c| c.expect == Expectation::Invalid));
        }
    }
}
