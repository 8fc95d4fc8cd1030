//! Test cases: what to send, in which tunnel state, and what the spec requires of the answer.
//!
//! Cases come from hand-written fixtures (`fixtures/cases/*.json`) and from generators that read
//! the model's constraints (valid, boundary, mutated). A case's request is a template: the
//! placeholder [`TUNNEL_ID_PLACEHOLDER`] in its body is replaced at run time with the id of the
//! tunnel the runner prepared for it.
//!
//! - [`generate`]: valid + boundary + mutated cases for a seed; [`all_cases`] merges fixtures.
//! - [`valid`]: the valid requests ([`BaseRequest`]s); [`boundary`]: values at the constraints;
//!   [`mutate`]: the operator catalog (also used by the fuzzer, one operator at a time).
//! - [`fixtures`]: the fixture format, its schema and loaders; [`constraints`]: what the model
//!   says about each request member; [`json_text`]: bodies a JSON library will not write.

use serde::{Deserialize, Serialize};

use crate::spec::facts::ClientMode;
use crate::wire::HttpRequest;

pub mod boundary;
pub mod constraints;
pub mod fixtures;
mod generate;
pub mod json_text;
pub mod mutate;
pub mod valid;

pub use fixtures::{embedded_fixtures, load_fixtures, FixtureError};
pub use generate::{all_cases, generate, is_safe_id, rng_for, CaseError};
pub use mutate::Operator;
pub use valid::BaseRequest;

/// Replaced in request bodies (and header values) with the tunnel id prepared for the case.
pub const TUNNEL_ID_PLACEHOLDER: &str = "{{tunnelId}}";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseKind {
    /// A valid request.
    Valid,
    /// A value at or just beyond one of the model's constraints.
    Boundary,
    /// A valid request changed by one mutation operator.
    Mutated,
    /// A hand-written scenario from `fixtures/cases`.
    Fixture,
}

/// The tunnel a case runs against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum TunnelState {
    /// An OPEN tunnel (opened by the runner; `destinationConfig` as given to OpenTunnel).
    Open {
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "destinationConfig")]
        destination_config: Option<serde_json::Value>,
    },
    /// A tunnel the runner opened and then closed with CloseTunnel (without delete).
    Closed,
    /// A well-formed tunnel id that no tunnel has; the placeholder is replaced with `id`.
    Unknown { id: String },
    /// No tunnel: the request does not name one through the placeholder (ids are literal).
    None,
}

/// What the spec requires of the response. Each expectation decides which checks apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "expect", rename_all = "kebab-case")]
pub enum Expectation {
    /// HTTP 200 with the mode's token set (valid input on an OPEN tunnel).
    Success { mode: ClientMode },
    /// Exactly HTTP 400 with `ResourceNotFoundException` (well-formed unknown tunnel id).
    NotFound,
    /// A 4xx with an error type; never 2xx, never 5xx (input the model forbids).
    Invalid,
    /// SOURCE mode with a destinationConfig on an OPEN tunnel: a 4xx, and nothing changed.
    SourceWithDestinationConfig,
    /// Rotation of a CLOSED tunnel. The refusal is inferred: only a 5xx or a reopened tunnel fails.
    ClosedTunnel,
    /// Behaviour the spec leaves open (unknown members, duplicate keys, a wrong Content-Type, more
    /// than 3 services, GET): every outcome but a 5xx passes. When `mode` is given and the answer
    /// is a 2xx, it must be a well-formed rotation for that mode (success checks apply).
    AnyNon5xx {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<ClientMode>,
    },
}

/// A case: everything needed to run it and judge it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// Stable, unique, filesystem- and shell-safe id, e.g. `boundary/tunnelId/len-128`.
    pub id: String,
    pub kind: CaseKind,
    /// One line: what the case sends and why.
    pub description: String,
    pub tunnel: TunnelState,
    /// The request with the placeholder still in it.
    pub request: HttpRequest,
    pub expect: Expectation,
    /// For mutated cases, the operator's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

impl Case {
    /// The request to send, with the placeholder replaced by `tunnel_id`.
    pub fn materialize(&self, tunnel_id: &str) -> HttpRequest {
        let mut req = self.request.clone();
        req.body = replace_bytes(&req.body, TUNNEL_ID_PLACEHOLDER.as_bytes(), tunnel_id.as_bytes());
        for (_, v) in req.headers.iter_mut() {
            if v.contains(TUNNEL_ID_PLACEHOLDER) {
                *v = v.replace(TUNNEL_ID_PLACEHOLDER, tunnel_id);
            }
        }
        req
    }
}

/// `hay` with every (non-overlapping) `needle` replaced by `with`. A vectorized search: bodies
/// run to ~300 KB, and the fuzz targets materialize one per input.
fn replace_bytes(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut last = 0;
    for at in memchr::memmem::find_iter(hay, needle) {
        out.extend_from_slice(&hay[last..at]);
        out.extend_from_slice(with);
        last = at + needle.len();
    }
    out.extend_from_slice(&hay[last..]);
    out
}

/// Helpers shared by the unit tests of the case modules.
#[cfg(test)]
pub(crate) mod test_support {
    use serde_json::Value;

    /// A valid tunnel id used where tests materialize a body.
    pub const TEST_ID: &str = "rotcheckTestId1";

    /// `body` with the placeholder replaced by [`TEST_ID`] (in string values and member names).
    pub fn with_id(body: &Value) -> Value {
        let text = body.to_string().replace(super::TUNNEL_ID_PLACEHOLDER, TEST_ID);
        serde_json::from_str(&text).expect("re-parsing a serialized value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replace_bytes_replaces_every_occurrence_once() {
        assert_eq!(replace_bytes(b"aXXbXXXc", b"XX", b"-"), b"a-b-Xc".to_vec());
        assert_eq!(replace_bytes(b"", b"XX", b"-"), Vec::<u8>::new());
        assert_eq!(replace_bytes(b"XX", b"XX", b""), Vec::<u8>::new());
    }

    #[test]
    fn materialize_replaces_placeholder_in_body() {
        let case = Case {
            id: "valid/x".into(),
            kind: CaseKind::Valid,
            description: "d".into(),
            tunnel: TunnelState::Open {
                destination_config: None,
            },
            request: HttpRequest::json(
                "RotateTunnelAccessToken",
                &json!({"tunnelId": TUNNEL_ID_PLACEHOLDER, "clientMode": "ALL"}),
            ),
            expect: Expectation::Success { mode: ClientMode::All },
            operator: None,
        };
        let req = case.materialize("abc123");
        assert_eq!(
            req.body_json().unwrap(),
            json!({"tunnelId": "abc123", "clientMode": "ALL"})
        );
    }
}
