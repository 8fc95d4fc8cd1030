//! `error-type-missing`: rotation error bodies are JSON without __type or code, and there is no
//! X-Amzn-Errortype header.

use axum::response::Response;

use crate::server::errors::{ApiError, ErrorStyle};
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ErrorTypeMissing;

impl Hook for ErrorTypeMissing {
    fn render_error(&self, op: Option<Op>, err: &ApiError, style: &ErrorStyle) -> Option<Response> {
        if op != Some(Op::RotateTunnelAccessToken) {
            return None;
        }
        // The behaviour's style with the type left out of the body, then out of the header too.
        let mut resp = ErrorStyle {
            header_only_type: true,
            ..*style
        }
        .render(err);
        resp.headers_mut().remove("x-amzn-errortype");
        Some(resp)
    }
}
