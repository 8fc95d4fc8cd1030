//! `error-body-plain-text`: rotation errors are text/plain with the message only, no error type
//! anywhere.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::server::errors::{ApiError, ErrorStyle};
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ErrorBodyPlainText;

impl Hook for ErrorBodyPlainText {
    fn render_error(&self, op: Option<Op>, err: &ApiError, _style: &ErrorStyle) -> Option<Response> {
        if op != Some(Op::RotateTunnelAccessToken) {
            return None;
        }
        let mut resp = (err.status, err.message.clone()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Some(resp)
    }
}
