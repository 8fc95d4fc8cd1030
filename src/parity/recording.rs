//! The recording file: what `rotcheck record` writes and `rotcheck compare` reads. Its JSON Schema
//! is `docs/recording.schema.json` (checked on every load and by a test).
//!
//! Stable and diff-friendly: keys sorted at every level, two-space indentation, one case per
//! block, no timings. Every value the endpoint generates (tunnel ids, ARNs, tokens, request ids,
//! timestamps) is a reference or a relation, see [`super::normalize`].

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `format` member of every recording.
pub const FORMAT: &str = "rotcheck-recording";
/// Bumped on any change a reader of version 1 would misread.
pub const VERSION: u32 = 1;
/// The schema, embedded so a recording is validated wherever the binary runs.
pub const SCHEMA: &str = include_str!("../../docs/recording.schema.json");

/// The control plane (AWS JSON 1.1 over HTTP). The data plane's exchanges will carry their own
/// channel name, so a reader can tell them apart and a recording can hold both.
pub const CONTROL_PLANE: &str = "control-plane";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    pub format: String,
    pub version: u32,
    pub provenance: Provenance,
    /// Sorted by case id.
    pub cases: Vec<RecordedCase>,
}

/// Where and how the recording was made. With the same tool version, seed, selection and
/// concurrency, the same cases run on the same tunnels in the same order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// `embedded` for the built-in target, else the endpoint's `host[:port]` (no path, no
    /// user information).
    pub endpoint_host: String,
    pub region: String,
    pub tool_version: String,
    pub seed: u64,
    /// UTC day the recording was made (`YYYY-MM-DD`; `SOURCE_DATE_EPOCH` pins it).
    pub date: String,
    /// `--only`, if the recording covers a subset of the cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
    /// True when the fixture cases came from `--fixtures DIR` rather than the built-in ones.
    #[serde(default)]
    pub custom_fixtures: bool,
    /// Cases in flight at once: it decides which tunnel serves which case.
    pub concurrency: usize,
}

impl Provenance {
    /// A fixed provenance for the unit tests of the parity modules.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Provenance {
        Provenance {
            endpoint_host: "embedded".into(),
            region: "us-east-1".into(),
            tool_version: "0".into(),
            seed: 1,
            date: "2026-11-30".into(),
            only: None,
            custom_fixtures: false,
            concurrency: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedCase {
    pub id: String,
    /// In the order they were made: setup, the case's own request, verification.
    pub exchanges: Vec<RecordedExchange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedExchange {
    /// [`CONTROL_PLANE`] (room for the data plane).
    pub channel: String,
    /// `setup`, `request` (the case's own request) or `verify`.
    pub role: String,
    pub request: RecordedRequest,
    /// Absent when no response came (see `transport_error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    /// `true` when the request got no response (connection failure, timeout, oversized body).
    /// The message itself is not kept: it names ports and durations.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transport_error: bool,
}

// No deny_unknown_fields: serde does not support it with flatten; the schema refuses them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The `X-Amz-Target` header, if sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Other headers the harness set (lower-case names); secret ones are `<redacted>`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<String, Value>,
    #[serde(flatten)]
    pub body: Body,
}

// No deny_unknown_fields: serde does not support it with flatten; the schema refuses them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedResponse {
    pub status: u16,
    /// The error type as an SDK parses it (namespace and suffix stripped), for errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// The headers parity looks at (see [`super::normalize::RESPONSE_HEADERS`]), lower-case.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<String, Value>,
    #[serde(flatten)]
    pub body: Body,
    /// The body exceeded the client's size cap and was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// A body: JSON (normalized) when it is JSON, else text; absent when empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Body {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
}

/// A member that is present is `Some`, even when it is `null` (a body can be the JSON `null`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Causes are part of the message, not a `source()` (printed once by chain-walking reporters).
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("not JSON: {0}")]
    Json(serde_json::Error),
    #[error("not a rotcheck recording: {0}")]
    Schema(String),
    #[error("recording format version {found}; this rotcheck reads version {VERSION} (re-record with this version)")]
    Version { found: u64 },
}

impl Recording {
    /// The file's text: sorted keys, pretty-printed, newline-terminated.
    pub fn to_text(&self) -> String {
        // Serializing plain data structures cannot fail.
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parse and validate a recording (schema first, so a hand-edited file gets a precise error).
    pub fn parse(text: &str) -> Result<Recording, RecordingError> {
        let value: Value = serde_json::from_str(text).map_err(RecordingError::Json)?;
        if let Some(v) = value.get("version").and_then(Value::as_u64) {
            if v != u64::from(VERSION) && value.get("format").and_then(Value::as_str) == Some(FORMAT) {
                return Err(RecordingError::Version { found: v });
            }
        }
        let validator = validator().map_err(|e| RecordingError::Schema(e.clone()))?;
        if let Some(err) = validator.iter_errors(&value).next() {
            return Err(RecordingError::Schema(format!(
                "at {}: {err}",
                match err.instance_path().to_string() {
                    p if p.is_empty() => "/".to_owned(),
                    p => p,
                }
            )));
        }
        serde_json::from_value(value).map_err(RecordingError::Json)
    }
}

fn validator() -> Result<&'static jsonschema::Validator, &'static String> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let doc: Value = serde_json::from_str(SCHEMA).map_err(|e| format!("recording schema: {e}"))?;
            crate::spec::schema::compile(&doc).map_err(|e| format!("recording schema: {e}"))
        })
        .as_ref()
}

/// `value` with the members of every object sorted by key.
pub fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Recording {
        Recording {
            format: FORMAT.into(),
            version: VERSION,
            provenance: Provenance {
                endpoint_host: "embedded".into(),
                region: "us-east-1".into(),
                tool_version: "0.1.0".into(),
                seed: 1,
                date: "2026-11-30".into(),
                only: None,
                custom_fixtures: false,
                concurrency: 4,
            },
            cases: vec![RecordedCase {
                id: "valid/all".into(),
                exchanges: vec![RecordedExchange {
                    channel: CONTROL_PLANE.into(),
                    role: "request".into(),
                    request: RecordedRequest {
                        method: "POST".into(),
                        target: Some("IoTSecuredTunneling.RotateTunnelAccessToken".into()),
                        headers: Map::new(),
                        body: Body {
                            body: Some(serde_json::json!({"tunnelId": "<tunnel-id:1>", "clientMode": "ALL"})),
                            body_text: None,
                        },
                    },
                    response: Some(RecordedResponse {
                        status: 200,
                        error_type: None,
                        headers: Map::new(),
                        // Regression: a JSON `null` body came back as no body.
                        body: Body {
                            body: Some(Value::Null),
                            body_text: None,
                        },
                        truncated: false,
                    }),
                    transport_error: false,
                }],
            }],
        }
    }

    #[test]
    fn text_round_trips_with_sorted_keys() {
        let r = sample();
        let text = r.to_text();
        assert_eq!(Recording::parse(&text).unwrap(), r);
        // clientMode sorts before tunnelId although it was inserted after it.
        assert!(text.find("clientMode").unwrap() < text.find("\"tunnelId\"").unwrap());
    }

    #[test]
    fn wrong_files_are_refused_with_a_reason() {
        assert!(matches!(Recording::parse("{"), Err(RecordingError::Json(_))));
        let e = Recording::parse(r#"{"format":"other"}"#).unwrap_err();
        assert!(matches!(e, RecordingError::Schema(_)), "{e}");
        let mut v: Value = serde_json::from_str(&sample().to_text()).unwrap();
        v["version"] = 9.into();
        assert!(matches!(
            Recording::parse(&v.to_string()),
            Err(RecordingError::Version { found: 9 })
        ));
    }
}
