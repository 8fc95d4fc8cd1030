//! The server's choices on points the spec leaves open (error type names, content types,
//! timestamp precision, page size, ...): `Behaviour::default()` is the faithful server, each
//! default below the choice documented in `server/mod.rs`, and a variant may pick another allowed
//! value (`Hook::configure`). No choice here breaks the spec: faults act only at hook points
//! (`hooks.rs`).

use axum::http::StatusCode;

use super::errors::{ApiError, ErrorStyle};
use super::store::{IdStyle, TokenStyle};
use crate::spec::{facts, Strictness};

/// How timestamps are written in responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    /// Epoch seconds with three decimals (as the real service reports them).
    Millis,
    /// Epoch seconds with six decimals.
    Micros,
}

impl Precision {
    /// `precise` cut (never rounded up) to this precision, so that a reported instant is never
    /// later than the true one.
    pub fn cut(self, precise: f64) -> f64 {
        let per_sec = match self {
            Precision::Millis => 1e3,
            Precision::Micros => 1e6,
        };
        (precise * per_sec).floor() / per_sec
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Behaviour {
    pub id_style: IdStyle,
    pub token_style: TokenStyle,
    /// The error type of input that breaks the model's constraints.
    pub validation_error: &'static str,
    /// The Content-Type of successes.
    pub content_type: &'static str,
    pub timestamps: Precision,
    /// How errors are rendered (the edge's hooks may still change it per request).
    pub error_style: ErrorStyle,
    /// ListTunnels page size when `maxResults` is absent.
    pub list_page_size: usize,
    /// Strictness of input validation (unknown members).
    pub strictness: Strictness,
    /// Most services a destinationConfig may list (None: the model's rule only).
    pub max_services: Option<usize>,
    /// Whether the refusal of SOURCE + destinationConfig comes before the tunnel lookup (else an
    /// unknown tunnel is reported first).
    pub source_with_config_before_lookup: bool,
    /// The error answered to a rotation of a CLOSED tunnel.
    pub closed_rotation_error: fn(&str) -> ApiError,
    /// Whether a rotation moves the tunnel's `lastUpdatedAt`.
    pub rotation_moves_last_updated: bool,
    /// Whether a DESTINATION or ALL rotation with a destinationConfig replaces the tunnel's
    /// (PROTOCOL.md: it "may update" it).
    pub rotation_updates_destination_config: bool,
}

/// The faithful answer to rotating a CLOSED tunnel.
fn closed_rotation_refused(tunnel_id: &str) -> ApiError {
    ApiError::bad_request(
        "InvalidRequestException",
        format!("Tunnel {tunnel_id} is CLOSED; its access tokens cannot be rotated"),
    )
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            id_style: IdStyle::Hex,
            token_style: TokenStyle::Alphanumeric,
            validation_error: "ValidationException",
            content_type: facts::CONTENT_TYPE,
            timestamps: Precision::Millis,
            error_style: ErrorStyle::default(),
            list_page_size: 100,
            strictness: Strictness::default(),
            max_services: None,
            source_with_config_before_lookup: true,
            closed_rotation_error: closed_rotation_refused,
            rotation_moves_last_updated: true,
            rotation_updates_destination_config: true,
        }
    }
}

impl Behaviour {
    /// An AWS-style single validation error, with this behaviour's error type.
    pub fn violation(&self, path: &str, value: &str, constraint: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            self.validation_error,
            format!(
                "1 validation error detected: Value {value} at '{path}' failed to satisfy constraint: {constraint}"
            ),
        )
    }
}
