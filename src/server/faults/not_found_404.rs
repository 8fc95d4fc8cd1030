//! `not-found-404`: a rotation of an unknown tunnel gets HTTP 404 instead of 400 (the error type
//! is kept).

use axum::http::StatusCode;

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct NotFound404;

impl Hook for NotFound404 {
    fn on_error(&self, op: Op, err: &mut ApiError) {
        if op == Op::RotateTunnelAccessToken && err.is_not_found() {
            err.status = StatusCode::NOT_FOUND;
        }
    }
}
