//! `revoked-token-refused-500`: a rotated side's previous token is refused on the data plane,
//! but with HTTP 500 instead of a 4xx (clients retry a 5xx as a fault of the service).

use axum::http::StatusCode;
use axum::response::Response;

use crate::server::dataplane::handshake::RefusalReason;
use crate::server::hooks::Hook;

pub(super) struct RevokedTokenRefused500;

impl Hook for RevokedTokenRefused500 {
    fn finish_upgrade(&self, refused: Option<RefusalReason>, response: &mut Response) {
        if refused == Some(RefusalReason::Revoked) {
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
}
