//! `error-body-plain-text`: rotation errors are text/plain with the message only, no error type
//! anywhere.

use axum::response::Response;

use crate::server::errors::{plain_text, ApiError, ErrorStyle};
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ErrorBodyPlainText;

impl Hook for ErrorBodyPlainText {
    fn render_error(&self, op: Option<Op>, err: &ApiError, _style: &ErrorStyle) -> Option<Response> {
        if op != Some(Op::RotateTunnelAccessToken) {
            return None;
        }
        Some(plain_text(err.status, err.message.clone()))
    }
}
