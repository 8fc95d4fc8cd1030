//! Validation of a request body against the model's constraints, as the service does it:
//! wrong JSON types are a `SerializationException`; constraint violations (required, length in
//! code points, pattern, enum, list size, integer range) are a `ValidationException` whose message
//! follows the AWS form `N validation error(s) detected: Value '...' at 'path' failed to satisfy
//! constraint: ...`. JSON `null` counts as absent. Members the model does not know are ignored by
//! default and refused under [`UnknownMembers::Refuse`] (PROTOCOL.md leaves both open).

use serde_json::Value;

use super::model::{Model, ShapeKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted member path, e.g. `destinationConfig.services.member.1`.
    pub path: String,
    /// The offending value as AWS prints it (`'abc'`, `null`, `[]`).
    pub value: String,
    pub constraint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The body is not JSON of the right types.
    #[error("{0}")]
    Serialization(String),
    /// Well-typed, but violates the model's constraints.
    #[error("{}", validation_message(.0))]
    Validation(Vec<Violation>),
}

impl InputError {
    /// The error type a server reports for this input error.
    pub fn error_type(&self) -> &'static str {
        match self {
            InputError::Serialization(_) => "SerializationException",
            InputError::Validation(_) => "ValidationException",
        }
    }
}

/// The AWS-style message for a list of violations.
pub fn validation_message(v: &[Violation]) -> String {
    let details: Vec<String> = v
        .iter()
        .map(|x| {
            format!(
                "Value {} at '{}' failed to satisfy constraint: {}",
                x.value, x.path, x.constraint
            )
        })
        .collect();
    let plural = if v.len() == 1 { "" } else { "s" };
    format!("{} validation error{plural} detected: {}", v.len(), details.join("; "))
}

/// What validation does with request members the model does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownMembers {
    /// Skip them (what the service is observed to do).
    #[default]
    Ignore,
    /// The first one, at any depth and in the body's order, is a `SerializationException`
    /// `Unknown member 'PATH'`, reported before any other error (as a strict deserializer does).
    Refuse,
}

/// How strictly [`validate_input_with`] reads a body, on the points PROTOCOL.md leaves open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Strictness {
    pub unknown_members: UnknownMembers,
}

/// Validate the input body of `operation`. `Ok(())` means the body satisfies every constraint.
/// Unknown members are ignored.
pub fn validate_input(model: &Model, operation: &str, body: &Value) -> Result<(), InputError> {
    validate_input_with(model, operation, body, Strictness::default())
}

/// [`validate_input`] with a choice of [`Strictness`].
pub fn validate_input_with(
    model: &Model,
    operation: &str,
    body: &Value,
    strictness: Strictness,
) -> Result<(), InputError> {
    let Some(op) = model.operation(operation) else {
        return Err(InputError::Serialization(format!("unknown operation {operation}")));
    };
    let Some(input) = op.input.as_deref() else {
        return Ok(());
    };
    if strictness.unknown_members == UnknownMembers::Refuse {
        if let Some(path) = unknown_member(model, input, body, "") {
            return Err(InputError::Serialization(format!("Unknown member '{path}'")));
        }
    }
    let mut violations = Vec::new();
    check(model, input, body, "", &mut violations)?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(InputError::Validation(violations))
    }
}

/// Validate `body` against any shape of the model (used on responses: output shapes carry the same
/// constraints). Same rules as [`validate_input`].
pub fn validate_shape(model: &Model, shape: &str, body: &Value) -> Result<(), InputError> {
    let mut violations = Vec::new();
    check(model, shape, body, "", &mut violations)?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(InputError::Validation(violations))
    }
}

/// The path of the first member the model does not know, at any depth (object members in the
/// body's order, depth first). Values of the wrong type are left to [`check`].
fn unknown_member(model: &Model, shape: &str, v: &Value, path: &str) -> Option<String> {
    match (&model.shape(shape)?.kind, v) {
        (ShapeKind::Structure { members, .. }, Value::Object(obj)) => obj.iter().find_map(|(k, child)| {
            let p = join(path, k);
            match members.iter().find(|m| &m.name == k) {
                Some(m) => unknown_member(model, &m.shape, child, &p),
                None => Some(p),
            }
        }),
        (ShapeKind::List { member, .. }, Value::Array(items)) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| unknown_member(model, member, item, &format!("{path}.member.{}", i + 1))),
        _ => None,
    }
}

fn printable(v: &Value) -> String {
    match v {
        Value::String(s) => {
            // AWS truncates long values in messages; keep messages bounded for huge inputs.
            let shown: String = s.chars().take(256).collect();
            format!("'{shown}'")
        }
        Value::Null => "null".to_owned(),
        Value::Array(a) => format!("'[{} items]'", a.len()),
        other => format!("'{other}'"),
    }
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_owned()
    } else {
        format!("{path}.{member}")
    }
}

/// The JSON type of `v`, as JSON Schema names it (`null`, `boolean`, `number`, ...).
pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_error(path: &str, expected: &str, v: &Value) -> InputError {
    let found = json_type_name(v);
    let at = if path.is_empty() {
        "the request body".to_owned()
    } else {
        format!("'{path}'")
    };
    InputError::Serialization(format!("Expected {expected} at {at}, found {found}"))
}

fn check(model: &Model, shape_name: &str, v: &Value, path: &str, out: &mut Vec<Violation>) -> Result<(), InputError> {
    let Some(shape) = model.shape(shape_name) else {
        return Ok(());
    };
    match &shape.kind {
        ShapeKind::Structure { members, required, .. } => {
            let Value::Object(obj) = v else {
                return Err(type_error(path, "an object", v));
            };
            for m in members {
                let p = join(path, &m.name);
                match obj.get(&m.name) {
                    None | Some(Value::Null) => {
                        if required.contains(&m.name) {
                            out.push(Violation {
                                path: p,
                                value: "null".into(),
                                constraint: "Member must not be null".into(),
                            });
                        }
                    }
                    Some(child) => check(model, &m.shape, child, &p, out)?,
                }
            }
        }
        ShapeKind::List { member, min, max } => {
            let Value::Array(items) = v else {
                return Err(type_error(path, "an array", v));
            };
            bounds(out, path, v, "length", items.len() as u64, *min, *max);
            for (i, item) in items.iter().enumerate() {
                if item.is_null() {
                    return Err(type_error(&format!("{path}.member.{}", i + 1), "a value", item));
                }
                check(model, member, item, &format!("{path}.member.{}", i + 1), out)?;
            }
        }
        ShapeKind::String(c) => {
            let Value::String(s) = v else {
                return Err(type_error(path, "a string", v));
            };
            if let Some(values) = c.enum_values.as_ref().filter(|values| !values.iter().any(|x| x == s)) {
                let constraint = format!("Member must satisfy enum value set: [{}]", values.join(", "));
                out.push(violation(path, v, constraint));
            }
            bounds(out, path, v, "length", s.chars().count() as u64, c.min, c.max);
            if let (Some(p), Some(re)) = (&c.pattern, shape.pattern_matcher()) {
                if !re.is_match(s) {
                    let constraint = format!("Member must satisfy regular expression pattern: {p}");
                    out.push(violation(path, v, constraint));
                }
            }
        }
        ShapeKind::Integer { min, max } => {
            let Some(n) = v.as_i64() else {
                return Err(type_error(path, "an integer", v));
            };
            bounds(out, path, v, "value", n, *min, *max);
        }
        ShapeKind::Boolean => {
            if !v.is_boolean() {
                return Err(type_error(path, "a boolean", v));
            }
        }
        ShapeKind::Timestamp => {
            if !v.is_number() {
                return Err(type_error(path, "a timestamp in epoch seconds", v));
            }
        }
    }
    Ok(())
}

fn violation(path: &str, v: &Value, constraint: String) -> Violation {
    Violation {
        path: path.into(),
        value: printable(v),
        constraint,
    }
}

/// `n` (the `what`, "length" or "value", of `v`) below `min` or above `max`, as AWS words it.
fn bounds<N: PartialOrd + std::fmt::Display + Copy>(
    out: &mut Vec<Violation>,
    path: &str,
    v: &Value,
    what: &str,
    n: N,
    min: Option<N>,
    max: Option<N>,
) {
    if let Some(min) = min.filter(|&m| n < m) {
        let constraint = format!("Member must have {what} greater than or equal to {min}");
        out.push(violation(path, v, constraint));
    }
    if let Some(max) = max.filter(|&m| n > m) {
        let constraint = format!("Member must have {what} less than or equal to {max}");
        out.push(violation(path, v, constraint));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model;
    use serde_json::json;

    fn rotate(body: Value) -> Result<(), InputError> {
        validate_input(model(), "RotateTunnelAccessToken", &body)
    }

    #[test]
    fn valid_rotation_passes() {
        assert_eq!(rotate(json!({"tunnelId": "abc", "clientMode": "SOURCE"})), Ok(()));
        assert_eq!(
            rotate(json!({"tunnelId": "a_b-c+d=e:f", "clientMode": "ALL",
                "destinationConfig": {"services": ["SSH"], "thingName": "t"}, "unknown": 1})),
            Ok(())
        );
    }

    #[test]
    fn missing_required_member_is_a_validation_error_with_aws_message() {
        let err = rotate(json!({"tunnelId": "abc"})).unwrap_err();
        assert_eq!(err.error_type(), "ValidationException");
        assert_eq!(
            err.to_string(),
            "1 validation error detected: Value null at 'clientMode' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn lengths_count_code_points() {
        let id = "é".to_owned();
        assert!(
            rotate(json!({"tunnelId": id, "clientMode": "SOURCE"})).is_err(),
            "é is not in the pattern"
        );
        let svc = "a".repeat(128);
        assert_eq!(
            rotate(json!({"tunnelId": "x", "clientMode": "ALL", "destinationConfig": {"services": [svc]}})),
            Ok(())
        );
        let long = "a".repeat(129);
        let err = rotate(json!({"tunnelId": "x", "clientMode": "ALL", "destinationConfig": {"services": [long]}}))
            .unwrap_err();
        assert!(err.to_string().contains("destinationConfig.services.member.1"), "{err}");
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        let err = rotate(json!({"tunnelId": 5, "clientMode": "SOURCE"})).unwrap_err();
        assert_eq!(err.error_type(), "SerializationException");
        assert_eq!(rotate(json!([1])).unwrap_err().error_type(), "SerializationException");
    }

    #[test]
    fn refusing_unknown_members_finds_nested_ones_first_in_body_order() {
        let strict = Strictness {
            unknown_members: UnknownMembers::Refuse,
        };
        let check = |body: Value| validate_input_with(model(), "RotateTunnelAccessToken", &body, strict);
        let err = check(json!({"tunnelId": "x", "destinationConfig": {"services": ["a"], "x": 1}})).unwrap_err();
        assert_eq!(
            err,
            InputError::Serialization("Unknown member 'destinationConfig.x'".into())
        );
        // Reported before a type error elsewhere, as a strict deserializer does.
        let err = check(json!({"tunnelId": 5, "zz": 1})).unwrap_err();
        assert_eq!(err, InputError::Serialization("Unknown member 'zz'".into()));
        assert_eq!(check(json!({"tunnelId": "x", "clientMode": "ALL"})), Ok(()));
        // Ignored by default.
        assert_eq!(rotate(json!({"tunnelId": "x", "clientMode": "ALL", "zz": 1})), Ok(()));
    }

    #[test]
    fn enum_and_empty_list_violations() {
        let err = rotate(json!({"tunnelId": "x", "clientMode": "source"})).unwrap_err();
        assert!(err.to_string().contains("enum value set: [SOURCE, DESTINATION, ALL]"));
        let err =
            rotate(json!({"tunnelId": "x", "clientMode": "ALL", "destinationConfig": {"services": []}})).unwrap_err();
        assert!(err.to_string().contains("length greater than or equal to 1"));
    }
}
