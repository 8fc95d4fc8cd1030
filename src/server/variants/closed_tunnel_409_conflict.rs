//! `closed-tunnel-409-conflict`: rotating a CLOSED tunnel is refused with 409 ConflictException.

use axum::http::StatusCode;

use crate::server::behaviour::Behaviour;
use crate::server::errors::ApiError;
use crate::server::hooks::Hook;

pub(super) struct ClosedTunnel409Conflict;

fn conflict(tunnel_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "ConflictException",
        format!("Tunnel {tunnel_id} is CLOSED"),
    )
}

impl Hook for ClosedTunnel409Conflict {
    fn configure(&self, b: &mut Behaviour) {
        b.closed_rotation_error = conflict;
    }
}
