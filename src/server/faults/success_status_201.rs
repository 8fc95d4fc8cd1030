//! `success-status-201`: successful rotations are answered with HTTP 201 Created instead of 200.

use axum::http::StatusCode;

use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct SuccessStatus201;

impl Hook for SuccessStatus201 {
    fn success_status(&self, op: Op) -> Option<StatusCode> {
        (op == Op::RotateTunnelAccessToken).then_some(StatusCode::CREATED)
    }
}
