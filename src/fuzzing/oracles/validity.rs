//! What the spec says of a request's input, decided independently of any server: by the committed
//! JSON Schemas (`fixtures/schema/<Operation>.request.json`, compiled here with `jsonschema`)
//! plus the one cross-member rule the schemas cannot state (SOURCE with a destinationConfig is
//! refused: the API page). The reference server validates with `spec::validate_input`, a separate
//! walk of the model: a bug in either shows up as a disagreement the fuzz oracles report.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::spec::facts::{self, ClientMode};
use crate::wire::HttpRequest;

/// The committed request schemas, by operation (`fixtures/schema/`, kept equal to the generator's
/// output by `tests/schema_committed.rs`).
const REQUEST_SCHEMAS: [(&str, &str); 8] = [
    (
        "CloseTunnel",
        include_str!("../../../fixtures/schema/CloseTunnel.request.json"),
    ),
    (
        "DescribeTunnel",
        include_str!("../../../fixtures/schema/DescribeTunnel.request.json"),
    ),
    (
        "ListTagsForResource",
        include_str!("../../../fixtures/schema/ListTagsForResource.request.json"),
    ),
    (
        "ListTunnels",
        include_str!("../../../fixtures/schema/ListTunnels.request.json"),
    ),
    (
        "OpenTunnel",
        include_str!("../../../fixtures/schema/OpenTunnel.request.json"),
    ),
    (
        "RotateTunnelAccessToken",
        include_str!("../../../fixtures/schema/RotateTunnelAccessToken.request.json"),
    ),
    (
        "TagResource",
        include_str!("../../../fixtures/schema/TagResource.request.json"),
    ),
    (
        "UntagResource",
        include_str!("../../../fixtures/schema/UntagResource.request.json"),
    ),
];

/// The committed response schema of the operation under test, and the generic error schema.
const ROTATE_RESPONSE_SCHEMA: &str = include_str!("../../../fixtures/schema/RotateTunnelAccessToken.response.json");

type Validators = BTreeMap<&'static str, jsonschema::Validator>;

fn compiled(schemas: &[(&'static str, &str)]) -> Validators {
    schemas
        .iter()
        .filter_map(|(op, text)| {
            // The committed files are JSON Schema documents (tested); never panic on them.
            let doc: Value = serde_json::from_str(text).ok()?;
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&doc)
                .ok()?;
            Some((*op, v))
        })
        .collect()
}

fn validators() -> &'static Validators {
    static V: OnceLock<Validators> = OnceLock::new();
    V.get_or_init(|| compiled(&REQUEST_SCHEMAS))
}

fn response_validators() -> &'static Validators {
    static V: OnceLock<Validators> = OnceLock::new();
    V.get_or_init(|| compiled(&[(facts::ROTATE, ROTATE_RESPONSE_SCHEMA)]))
}

/// Whether `body` is a valid success body of `operation` by its committed schema (only the
/// operation under test's is held here). `Err` says why not, without instance values.
pub fn response_validity(operation: &str, body: &Value) -> Result<(), String> {
    let Some(v) = response_validators().get(operation) else {
        return Err(format!("no committed response schema held for {operation}"));
    };
    match v.iter_errors(body).next() {
        Some(e) => Err(format!("{operation} response at {}: {}", e.instance_path(), e.masked())),
        None => Ok(()),
    }
}

/// Whether `body` satisfies the committed request schema of `operation`. `Err` says why not
/// (no instance values: they may hold tokens).
pub fn schema_validity(operation: &str, body: &Value) -> Result<(), String> {
    let Some(v) = validators().get(operation) else {
        return Err(format!("{operation} is not an operation of the service"));
    };
    match v.iter_errors(body).next() {
        Some(e) => {
            let path = e.instance_path().to_string();
            let path = if path.is_empty() { "/" } else { &path };
            Err(format!("{operation} input at {path}: {}", e.masked()))
        }
        None => Ok(()),
    }
}

/// Whether `body` is valid input for `operation`: the committed schema, then the cross-member
/// rule (SOURCE with a destinationConfig).
pub fn input_validity(operation: &str, body: &Value) -> Result<(), String> {
    schema_validity(operation, body)?;
    let source = body.get("clientMode").and_then(Value::as_str) == Some(ClientMode::Source.as_str());
    let config = body.get("destinationConfig").is_some_and(|v| !v.is_null());
    if operation == facts::ROTATE && source && config {
        return Err("SOURCE mode with a destinationConfig".into());
    }
    Ok(())
}

/// What the spec says of a whole request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    /// The spec forbids it: the reason.
    Invalid(String),
    /// Valid input for the operation.
    Valid,
    /// Not decided here (oversized bodies, repeated routing headers).
    Undecided,
}

/// The body as the AWS JSON protocol reads it: an empty body is an empty input.
pub fn parse_body(body: &[u8]) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(json!({}));
    }
    serde_json::from_slice(body).ok()
}

/// The validity of `req` for a server that refuses bodies over `max_body` bytes.
pub fn validity(req: &HttpRequest, max_body: usize) -> Validity {
    let targets = req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Target"))
        .count();
    if req.body.len() > max_body || targets > 1 {
        return Validity::Undecided;
    }
    if req.method != "POST" {
        return Validity::Invalid(format!("method {:?} (only POST / is served)", req.method));
    }
    let Some(op) = req.operation().filter(|op| validators().contains_key(op)) else {
        return Validity::Invalid("no operation of the service in X-Amz-Target".into());
    };
    let Some(body) = parse_body(&req.body) else {
        return Validity::Invalid("the body is not JSON".into());
    };
    match input_validity(op, &body) {
        Ok(()) => Validity::Valid,
        Err(why) => Validity::Invalid(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_schema_compiles() {
        assert_eq!(validators().len(), REQUEST_SCHEMAS.len());
        assert_eq!(response_validators().len(), 1);
        let arn = "arn:aws:iot:us-east-1:123456789012:tunnel/t";
        assert!(response_validity(facts::ROTATE, &json!({"tunnelArn": arn, "sourceAccessToken": "s"})).is_ok());
        assert!(response_validity(facts::ROTATE, &json!({"tunnelArn": ""})).is_err());
    }

    #[test]
    fn the_schemas_and_the_cross_member_rule_decide() {
        let rotate = |body: Value| validity(&HttpRequest::json(facts::ROTATE, &body), 1 << 20);
        assert_eq!(
            rotate(json!({"tunnelId": "x", "clientMode": "SOURCE"})),
            Validity::Valid
        );
        assert_eq!(
            rotate(json!({"tunnelId": "x", "clientMode": "DESTINATION", "destinationConfig": null})),
            Validity::Valid
        );
        for bad in [
            json!({"tunnelId": "x", "clientMode": "source"}),
            json!({"tunnelId": "x".repeat(129), "clientMode": "ALL"}),
            json!({"tunnelId": "x", "clientMode": "ALL", "destinationConfig": {"services": ["s".repeat(129)]}}),
            json!({"tunnelId": "x", "clientMode": "ALL", "destinationConfig": {"services": []}}),
            json!({"tunnelId": "x", "clientMode": "SOURCE", "destinationConfig": {"services": ["SSH"]}}),
            json!({"clientMode": "ALL"}),
            json!([]),
        ] {
            assert!(matches!(rotate(bad.clone()), Validity::Invalid(_)), "{bad}");
        }
        let get = HttpRequest {
            method: "GET".into(),
            ..HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "x", "clientMode": "ALL"}))
        };
        assert!(matches!(validity(&get, 1 << 20), Validity::Invalid(_)));
        let big = HttpRequest::json(
            facts::ROTATE,
            &json!({"tunnelId": "x".repeat(100), "clientMode": "ALL"}),
        );
        assert_eq!(validity(&big, 10), Validity::Undecided);
    }
}
