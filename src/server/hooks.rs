//! The points where a fault or a variant changes the server, as one trait whose every method
//! does nothing by default. The faithful code (`ops`, `http`) calls each point on every active
//! hook without knowing which exist; a fault or a variant is a unit struct implementing the
//! methods it needs (see `faults/mod.rs`).
//!
//! Every method is named after the point where it is called (after a rotation, on a handshake
//! refusal, when the relay writes frames), never after a fault that uses it: the faithful server
//! knows no fault, only points where it asks its hooks.
//!
//! Active hooks run in a fixed order: the faults first, then the variants, each in catalog order.
//! Where several answer the same question (`next_token`, `timestamp`, `success_content_type`,
//! `success_status`, `render_error`, `connection_ends`, ...), the first answer wins.

use std::time::{Duration, SystemTime};

use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

use super::behaviour::Behaviour;
use super::clock::Clock;
use super::dataplane::handshake::RefusalReason;
use super::errors::{ApiError, ErrorStyle};
use super::store::{StoredTunnel, TokenStyle};
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
    /// This token (the current one is revoked).
    Use(SecretString),
}

/// When a rotation happens, for hooks that move a tunnel's lifetime or replace its tokens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RotationContext<'a> {
    /// Clock reading (real seconds).
    pub now: f64,
    pub wall: SystemTime,
    /// The tunnel's lifetime in real seconds, as it was before the rotation.
    pub lifetime: f64,
    pub clock: &'a Clock,
    /// How the server's tokens look (a hook that replaces a token makes one alike).
    pub token_style: TokenStyle,
}

/// When DescribeTunnel shows a data-plane connection opening or closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateChange {
    /// This long after it happened.
    After(Duration),
    /// Never: the states stay as they were.
    Never,
}

/// What the relay finds on its look at an open connection's tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TunnelEvent {
    /// The tunnel is CLOSED (CloseTunnel or expiry): the faithful relay ends the connection.
    Closed,
    /// The token the connection opened with was rotated: the faithful relay keeps the connection
    /// (a choice the spec leaves open).
    TokenRotated,
}

/// What the relay does with a frame for a peer whose queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FullQueue {
    /// The sender waits for room (backpressure: the faithful relay loses nothing).
    Wait,
    /// The frame is dropped.
    Drop,
}

/// How many queued frames the relay takes for one write, and how long it waits for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gather {
    /// Frames at most (the first one included).
    pub most: usize,
    /// How long to wait for each frame after the first (zero: only those already queued).
    pub wait: Duration,
}

/// A fault or a variant. Rotation-only hooks are called by RotateTunnelAccessToken; the others
/// get the operation and decide for themselves.
pub(crate) trait Hook: Sync {
    /// Sets the choices of the behaviour (points the spec leaves open), once, when the server
    /// starts. Most variants are only this.
    fn configure(&self, _behaviour: &mut Behaviour) {}

    // ---- The HTTP edge ----

    /// Refuses a request by its headers, before the operation runs.
    fn check_request(&self, _op: Op, _headers: &HeaderMap) -> Result<(), ApiError> {
        Ok(())
    }

    /// Renders an error in place of the behaviour's error style `style` (`op` is None before
    /// the operation is known).
    fn render_error(&self, _op: Option<Op>, _err: &ApiError, _style: &ErrorStyle) -> Option<Response> {
        None
    }

    /// The Content-Type of a success, in place of the behaviour's.
    fn success_content_type(&self, _op: Op) -> Option<&'static str> {
        None
    }

    /// The status of a success, in place of 200.
    fn success_status(&self, _op: Op) -> Option<axum::http::StatusCode> {
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

    // ---- OpenTunnel ----

    /// After OpenTunnel built a tunnel, before it is stored and answered.
    fn after_open(&self, _tunnel: &mut StoredTunnel) {}

    // ---- The rotation ----

    /// SOURCE with a destinationConfig, about to be refused (`tunnel` is None for an unknown
    /// id). True serves the rotation instead (as a SOURCE rotation).
    fn source_with_config(&self, _tunnel: Option<&mut StoredTunnel>, _config: &Value, _behaviour: &Behaviour) -> bool {
        false
    }

    /// The tunnel is CLOSED: true rotates it anyway (the hook has made it rotatable).
    fn rotate_closed(&self, _tunnel: &mut StoredTunnel, _at: &RotationContext<'_>) -> bool {
        false
    }

    /// Which tokens a rotation in `mode` replaces.
    fn rotated_sides(&self, _mode: ClientMode, _sides: &mut Sides) {}

    /// The token that replaces `current` (None: a fresh random one). `revoked`: the side's
    /// earlier tokens, oldest first.
    fn next_token(&self, _current: &SecretString, _revoked: &[SecretString]) -> Option<NextToken> {
        None
    }

    /// After the rotation: changes the tunnel and the tokens handed out.
    fn after_rotation(&self, _tunnel: &mut StoredTunnel, _tokens: &mut Rotated, _at: &RotationContext<'_>) {}

    // ---- The response ----

    /// How a timestamp in a response of `op` is written, in place of the behaviour's precision.
    fn timestamp(&self, _op: Op, _t: SystemTime) -> Option<Value> {
        None
    }

    /// Rewrites the body of a success.
    fn on_success(&self, _op: Op, _request: &Value, _response: &mut Value, _config: &ServerConfig) {}

    /// Rewrites an error of the operation (any error the operation answers, validation included).
    fn on_error(&self, _op: Op, _err: &mut ApiError) {}

    // ---- The data plane ----

    /// A handshake is about to be refused for `reason`: true admits it instead.
    fn handshake_refused(&self, _reason: RefusalReason) -> bool {
        false
    }

    /// A spent token reconnects (with the client token it is bound to, or admitted by a hook):
    /// true refuses it as spent.
    fn refuse_reconnect(&self) -> bool {
        false
    }

    /// The last change to a data-plane upgrade answer: the 101 (`refused` None) or the refusal.
    fn finish_upgrade(&self, _refused: Option<RefusalReason>, _response: &mut Response) {}

    /// A connection opened or closed: when DescribeTunnel shows it (None: at once).
    fn connection_state_change(&self) -> Option<StateChange> {
        None
    }

    /// The relay's look at an open connection's tunnel found `event`: whether the connection
    /// ends, in place of the faithful choice (see [`TunnelEvent`]).
    fn connection_ends(&self, _event: TunnelEvent) -> Option<bool> {
        None
    }

    /// A frame is for a peer whose queue is full: what the relay does with it.
    fn full_peer_queue(&self) -> FullQueue {
        FullQueue::Wait
    }

    /// The messages a connection is sent first, right after the 101 (`SERVICE_IDS`): rewrites them.
    fn opening_messages(&self, _messages: &mut Vec<Bytes>) {}

    /// How the relay gathers queued frames for one write (None: one frame at a time).
    fn gather_frames(&self) -> Option<Gather> {
        None
    }

    /// The frames about to be written to a connection, as gathered: rewrites them.
    fn write_frames(&self, _frames: &mut Vec<Bytes>) {}
}
