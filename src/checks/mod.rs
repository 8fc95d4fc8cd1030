//! Conformance checks. One file each; every check has an id, a one-line description and the spec
//! sentence it enforces. Checks judge recorded data only (no I/O): the runner gathers the data.

use serde::Serialize;
use serde_json::Value;

use crate::spec::facts::{self, Citation};
use crate::wire::HttpResponse;

pub mod closed_tunnel;
pub mod connection_state;
pub mod data_plane;
pub mod describe_shape;
pub mod duration_live;
pub mod duration_static;
pub mod error_shape;
pub mod handshake;
pub mod invalid_rejected;
pub mod no_5xx;
pub mod not_found;
pub mod response_schema;
pub mod rotated_connection;
pub mod schema;
pub mod source_destination_config;
pub mod token_fresh;
pub mod token_revoked;
pub mod token_set;
pub mod token_single_use;
pub mod tunnel_arn;
pub mod valid_accepted;

pub use crate::client::{parse_error, ErrorInfo};

/// Every check the harness runs. The ids are the public names (`--checks`, reports, fault table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    ResponseSchema,
    TokenSet,
    TokenFresh,
    TunnelArn,
    ErrorShape,
    NotFound,
    SourceDestinationConfig,
    InvalidRejected,
    ValidAccepted,
    DurationStatic,
    DurationLive,
    ClosedTunnel,
    No5xx,
    DescribeShape,
    Handshake,
    TokenRevoked,
    TokenSingleUse,
    ConnectionState,
    RotatedConnection,
}

impl CheckId {
    pub const ALL: [CheckId; 19] = [
        CheckId::ResponseSchema,
        CheckId::TokenSet,
        CheckId::TokenFresh,
        CheckId::TunnelArn,
        CheckId::ErrorShape,
        CheckId::NotFound,
        CheckId::SourceDestinationConfig,
        CheckId::InvalidRejected,
        CheckId::ValidAccepted,
        CheckId::DurationStatic,
        CheckId::DurationLive,
        CheckId::ClosedTunnel,
        CheckId::No5xx,
        CheckId::DescribeShape,
        CheckId::Handshake,
        CheckId::TokenRevoked,
        CheckId::TokenSingleUse,
        CheckId::ConnectionState,
        CheckId::RotatedConnection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::ResponseSchema => "response-schema",
            CheckId::TokenSet => "token-set",
            CheckId::TokenFresh => "token-fresh",
            CheckId::TunnelArn => "tunnel-arn",
            CheckId::ErrorShape => "error-shape",
            CheckId::NotFound => "not-found",
            CheckId::SourceDestinationConfig => "source-destination-config",
            CheckId::InvalidRejected => "invalid-rejected",
            CheckId::ValidAccepted => "valid-accepted",
            CheckId::DurationStatic => "duration-static",
            CheckId::DurationLive => "duration-live",
            CheckId::ClosedTunnel => "closed-tunnel",
            CheckId::No5xx => "no-5xx",
            CheckId::DescribeShape => "describe-shape",
            CheckId::Handshake => "handshake",
            CheckId::TokenRevoked => "token-revoked",
            CheckId::TokenSingleUse => "token-single-use",
            CheckId::ConnectionState => "connection-state",
            CheckId::RotatedConnection => "rotated-connection",
        }
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// One line: what the check asserts.
    pub fn description(self) -> &'static str {
        match self {
            CheckId::ResponseSchema => "a successful rotation is HTTP 200 with a JSON content type and a body valid against the RotateTunnelAccessTokenResponse schema",
            CheckId::TokenSet => "a successful rotation returns exactly the client mode's token set plus tunnelArn",
            CheckId::TokenFresh => "returned tokens are non-empty, distinct from each other and from every earlier token of the tunnel",
            CheckId::TunnelArn => "tunnelArn equals the ARN OpenTunnel/DescribeTunnel report for the tunnel",
            CheckId::ErrorShape => "an error response has a JSON body and an error type (X-Amzn-Errortype, __type or code)",
            CheckId::NotFound => "a well-formed unknown tunnelId gets exactly HTTP 400 ResourceNotFoundException",
            CheckId::SourceDestinationConfig => "SOURCE mode with a destinationConfig is refused with a 4xx and changes nothing",
            CheckId::InvalidRejected => "input the model forbids is refused with a 4xx and an error type",
            CheckId::ValidAccepted => "valid input (including every boundary value) on an OPEN tunnel is accepted with HTTP 200",
            CheckId::DurationStatic => "after a rotation createdAt and timeoutConfig are unchanged and the tunnel is still OPEN",
            CheckId::DurationLive => "a tunnel rotated mid-life is CLOSED once createdAt + maxLifetimeTimeoutMinutes has passed",
            CheckId::ClosedTunnel => "rotating a CLOSED tunnel never reopens it (the refusal itself is inferred and only reported)",
            CheckId::No5xx => "no request, however malformed, gets a 5xx",
            CheckId::DescribeShape => "every OpenTunnel/DescribeTunnel response the runner reads is valid against its schema",
            CheckId::Handshake => "a data-plane handshake with a good token is 101 with channel-id, an offered subprotocol echoed and SERVICE_IDS first; a token offered in the other side's mode is refused with a 4xx",
            CheckId::TokenRevoked => "after a rotation in each mode, each rotated side's previous token is refused on the data plane (4xx), its new token connects, and the side not rotated still connects with its token",
            CheckId::TokenSingleUse => "a token that connected once is refused the second time; the same client token may reconnect, another client token is refused",
            CheckId::ConnectionState => "DescribeTunnel shows a side CONNECTED while its local proxy is connected and DISCONNECTED after it disconnects",
            CheckId::RotatedConnection => "what happens to a connection already open when its token is rotated (left open by the spec: advisory only)",
        }
    }

    /// The spec sentence the check enforces.
    pub fn citation(self) -> Citation {
        match self {
            CheckId::ResponseSchema => facts::CITE_SUCCESS,
            CheckId::TokenSet => facts::CITE_TOKENS_PER_MODE,
            CheckId::TokenFresh => facts::CITE_REVOKES,
            CheckId::TunnelArn => facts::CITE_TOKENS_PER_MODE,
            CheckId::ErrorShape => facts::CITE_ERRORS,
            CheckId::NotFound => facts::CITE_NOT_FOUND,
            CheckId::SourceDestinationConfig => facts::CITE_SOURCE_DEST_CONFIG,
            CheckId::InvalidRejected => facts::CITE_INVALID_INPUT,
            CheckId::ValidAccepted => facts::CITE_MODEL_SHAPES,
            CheckId::DurationStatic => facts::CITE_NOT_EXTENDED,
            CheckId::DurationLive => facts::CITE_NOT_EXTENDED,
            CheckId::ClosedTunnel => facts::CITE_LIFECYCLE,
            CheckId::No5xx => facts::CITE_NO_5XX,
            CheckId::DescribeShape => facts::CITE_SUCCESS,
            CheckId::Handshake => facts::CITE_DP_HANDSHAKE,
            CheckId::TokenRevoked => facts::CITE_REVOKES,
            CheckId::TokenSingleUse => facts::CITE_DP_SINGLE_USE,
            CheckId::ConnectionState => facts::CITE_DP_CONNECTION_STATE,
            CheckId::RotatedConnection => facts::CITE_DP_INFERRED,
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `HTTP 400 ResourceNotFoundException`-style summary of a response, free of secrets (the body is
/// not quoted: it may carry tokens).
pub fn summary(resp: &HttpResponse) -> String {
    match parse_error(resp) {
        Some(e) if !resp.is_success() => format!("HTTP {} {}", resp.status, e.type_name),
        _ => format!("HTTP {}", resp.status),
    }
}

/// The `status` of a DescribeTunnel `tunnel` object.
pub fn tunnel_status(tunnel: &Value) -> Option<&str> {
    tunnel.get("status").and_then(Value::as_str)
}

/// Two JSON values are equal, numbers compared by value (`720` and `720.0` are the same).
pub fn same_json(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(Some(p), Some(q)))
        }
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            x.len() == y.len() && x.iter().all(|(k, v)| same_json(Some(v), y.get(k)))
        }
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Two JSON timestamps (epoch seconds) are the same instant: compared as numbers, so `1.0` and `1`
/// are equal. Absent equals absent.
pub fn same_timestamp(a: Option<&Value>, b: Option<&Value>) -> bool {
    same_json(a, b)
}

/// A member of a DescribeTunnel `tunnel` object as text for `expected`/`actual` (never a token:
/// callers only pass status, createdAt, timeoutConfig and destinationConfig).
pub fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "absent".to_owned(), Value::to_string)
}

/// The error type a client reports for `resp` when it is an error response (None for a 2xx).
pub fn error_type_of(resp: Option<&crate::wire::HttpResponse>) -> Option<String> {
    resp.filter(|r| !r.is_success())
        .and_then(parse_error)
        .map(|e| e.type_name)
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::wire::HttpResponse;

    pub fn json_response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "application/x-amz-json-1.1".into())],
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }
}
