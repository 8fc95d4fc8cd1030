//! `not-found-wrong-type`: a rotation of an unknown tunnel gets 400 ValidationException instead
//! of ResourceNotFoundException.

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct NotFoundWrongType;

impl Hook for NotFoundWrongType {
    fn on_error(&self, op: Op, err: &mut ApiError) {
        if op == Op::RotateTunnelAccessToken && err.is_not_found() {
            err.error_type = "ValidationException".into();
        }
    }
}
