//! The points where a fault or a variant changes the server, as one trait whose every method
//! does nothing by default. The faithful code (`ops`, `http`) calls each point on every active
//! hook without knowing which exist; a fault or a variant is a unit struct implementing the
//! methods it needs (see `faults/mod.rs`).
//!
//! Active hooks run in a fixed order: the faults first, then the variants, each in catalog order.
//! Where several answer the same question (`next_token`, `timestamp`, `success_content_type`),
//! the first answer wins.

use std::time::SystemTime;

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::behaviour::Behaviour;
use super::clock::Clock;
use super::errors::{ApiError, ErrorStyle};
use super::store::Tunnel;
use super::ServerConfig;
use crate::secret::SecretString;
use crate::spec::facts::ClientMode;
use crate::spec::Op;

/// Which tokens a rotation replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sides {
    pub source: bool,
    pub destination: bool,
}

/// The tokens a rotation hands out (None: that side was not rotated).
#[derive(Debug, Clone, Default)]
pub(crate) struct Rotated {
    pub source: Option<SecretString>,
    pub destination: Option<SecretString>,
}

/// What replaces a tunnel's current token.
#[derive(Debug, Clone)]
pub(crate) enum NextToken {
    /// Nothing: the current token stays and is returned again.
    Keep,
    /// This token (the current one becomes the previous one).
    Use(SecretString),
}

/// The time of a rotation, for hooks that move a tunnel's lifetime.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RotationTime<'a> {
    /// Clock reading (real seconds).
    pub now: f64,
    pub wall: SystemTime,
    /// The tunnel's lifetime in real seconds, as it was before the rotation.
    pub lifetime: f64,
    pub clock: &'a Clock,
}

/// A fault or a variant. Rotation-only hooks are called by RotateTunnelAccessToken; the others
/// get the operation and decide for themselves.
pub(crate) trait Hook: Sync {
    /// Sets knobs of the behaviour, once, when the server starts. Most variants are only this.
    fn configure(&self, _behaviour: &mut Behaviour) {}

    // ---- The HTTP edge ----

    /// Refuses a request by its headers, before the operation runs.
    fn check_request(&self, _op: Op, _headers: &HeaderMap) -> Result<(), ApiError> {
        Ok(())
    }

    /// Changes how an error is rendered (`op` is None before the operation is known).
    fn error_style(&self, _op: Option<Op>, _style: &mut ErrorStyle) {}

    /// The Content-Type of a success, in place of the behaviour's.
    fn success_content_type(&self, _op: Op) -> Option<&'static str> {
        None
    }

    /// The last change to every response, errors and refusals before dispatch included.
    fn finish_response(&self, _response: &mut Response) {}

    // ---- Before validation ----

    /// Replaces the error answered to a body that is not JSON.
    fn unparsable_body(&self, _op: Op, _err: &mut ApiError) {}

    /// Rewrites the parsed body, or answers an error, before validation sees it.
    fn before_validation(&self, _op: Op, _body: &mut Value) -> Result<(), ApiError> {
        Ok(())
    }

    /// What the validator is shown instead of the body (the operation still gets the body).
    fn validator_view(&self, _op: Op, _body: &Value) -> Option<Value> {
        None
    }

    // ---- After validation ----

    /// Refuses input that passed validation.
    fn after_validation(&self, _op: Op, _body: &Value, _behaviour: &Behaviour) -> Result<(), ApiError> {
        Ok(())
    }

    // ---- The rotation ----

    /// SOURCE + destinationConfig is being refused (`tunnel` is None for an unknown id).
    fn source_with_config_refused(&self, _tunnel: Option<&mut Tunnel>, _config: &Value) {}

    /// The tunnel is CLOSED: true rotates it anyway (the hook has made it rotatable).
    fn rotate_closed(&self, _tunnel: &mut Tunnel, _at: &RotationTime<'_>) -> bool {
        false
    }

    /// Which tokens a rotation in `mode` replaces.
    fn rotated_sides(&self, _mode: ClientMode, _sides: &mut Sides) {}

    /// The token that replaces `current` (None: a fresh random one). `previous` is the token the
    /// last rotation replaced.
    fn next_token(&self, _current: &SecretString, _previous: &mut Option<SecretString>) -> Option<NextToken> {
        None
    }

    /// After the rotation: changes the tunnel and the tokens handed out.
    fn after_rotation(&self, _tunnel: &mut Tunnel, _tokens: &mut Rotated, _at: &RotationTime<'_>) {}

    // ---- The response ----

    /// How a timestamp in a response of `op` is written, in place of the behaviour's precision.
    fn timestamp(&self, _op: Op, _t: SystemTime) -> Option<Value> {
        None
    }

    /// Rewrites the body of a success.
    fn on_success(&self, _op: Op, _request: &Value, _response: &mut Value, _config: &ServerConfig) {}

    /// Rewrites an error of the operation (any error the operation answers, validation included).
    fn on_error(&self, _op: Op, _err: &mut ApiError) {}
}
