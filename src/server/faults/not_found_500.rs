//! `not-found-500`: a rotation of an unknown tunnel gets HTTP 500.

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct NotFound500;

impl Hook for NotFound500 {
    fn on_error(&self, op: Op, err: &mut ApiError) {
        if op == Op::RotateTunnelAccessToken && err.is_not_found() {
            *err = ApiError::internal("Internal error while looking up the tunnel");
        }
    }
}
