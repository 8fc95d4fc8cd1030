//! `revoked-token-403`: unknown, rotated and closed-tunnel tokens are refused with 403 and another text (data plane).

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

use crate::server::dataplane::handshake::RefusalReason;
use crate::server::hooks::Hook;

pub(super) struct RevokedToken403;

impl Hook for RevokedToken403 {
    fn finish_upgrade(&self, refused: Option<RefusalReason>, response: &mut Response) {
        // Tokens that do not (or no longer) open a connection; not malformed requests.
        let token_not_valid = matches!(
            refused,
            Some(RefusalReason::UnknownToken | RefusalReason::Revoked | RefusalReason::ClosedTunnel)
        );
        if token_not_valid {
            *response.status_mut() = StatusCode::FORBIDDEN;
            *response.body_mut() = Body::from("Forbidden: this access token cannot open a connection");
        }
    }
}
