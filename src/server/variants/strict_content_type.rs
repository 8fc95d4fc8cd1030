//! `strict-content-type`: a request Content-Type other than application/x-amz-json-1.x is refused
//! with 415.

use axum::http::{header, HeaderMap, StatusCode};

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct StrictContentType;

impl Hook for StrictContentType {
    fn check_request(&self, _op: Op, headers: &HeaderMap) -> Result<(), ApiError> {
        let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let json = ct.is_some_and(|ct| {
            let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            essence == "application/x-amz-json-1.1" || essence == "application/x-amz-json-1.0"
        });
        if json {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaTypeException",
            "Content-Type must be application/x-amz-json-1.1",
        ))
    }
}
