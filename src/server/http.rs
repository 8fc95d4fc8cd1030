//! The HTTP edge: body cap, SigV4, method/path/target checks, dispatch to the operations, and
//! rendering of successes and errors (with `x-amzn-RequestId` on every response).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;

use super::errors::ApiError;
use super::state::AppState;
use super::{ops, store, AuthError, Fault, Op, Variant};
use crate::spec::facts;

pub(crate) async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let request_id = store::uuid();
    let (op, mut resp) = serve(&state, req).await;
    if state.variant(Variant::ExtraResponseMembers) {
        resp.headers_mut()
            .insert("x-rotcheck-variant", HeaderValue::from_static("extra-response-members"));
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    // Operation and status only: never headers or bodies (tokens, Authorization).
    tracing::info!(
        operation = op.map(Op::name).unwrap_or("-"),
        status = resp.status().as_u16(),
        request_id = %request_id,
        "request"
    );
    resp
}

async fn serve(state: &AppState, req: Request) -> (Option<Op>, Response) {
    let (parts, body) = req.into_parts();
    let fail = |op: Option<Op>, e: ApiError| (op, state.error_style(op).render(&e));

    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            format!(
                "Request body exceeds the limit of {} bytes",
                state.config.max_body_bytes
            ),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.config.max_body_bytes as u64) {
        return fail(None, too_large());
    }
    let bytes = match Limited::new(body, state.config.max_body_bytes).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return fail(None, too_large()),
        Err(_) => return fail(None, ApiError::serialization("The request body could not be read")),
    };

    if let Some(verifier) = &state.verifier {
        if let Err(e) = verifier.verify(parts.method.as_str(), &parts.uri, &parts.headers, &bytes) {
            let status = match e {
                AuthError::Incomplete(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::FORBIDDEN,
            };
            return fail(None, ApiError::new(status, e.error_type(), e.to_string()));
        }
    }

    if let Some(e) = state.production.intercept(&parts.headers) {
        return fail(None, e);
    }

    if parts.uri.path() != "/" {
        let e = ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "Only POST / is served",
        );
        return fail(None, e);
    }
    if parts.method != Method::POST {
        let e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            "Only POST / is served",
        );
        let (op, mut resp) = fail(None, e);
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return (op, resp);
    }
    let op = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(facts::TARGET_PREFIX))
        .and_then(|t| t.strip_prefix('.'))
        .and_then(Op::parse);
    let Some(op) = op else {
        return fail(
            None,
            ApiError::bad_request("UnknownOperationException", "Unknown or missing X-Amz-Target"),
        );
    };

    if state.variant(Variant::StrictContentType) {
        let ct = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let json = ct.is_some_and(|ct| {
            let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            essence == "application/x-amz-json-1.1" || essence == "application/x-amz-json-1.0"
        });
        if !json {
            let e = ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaTypeException",
                "Content-Type must be application/x-amz-json-1.1",
            );
            return fail(Some(op), e);
        }
    }

    match ops::call(state, op, &bytes) {
        Ok(mut body) => {
            if state.variant(Variant::ExtraResponseMembers) {
                if let Value::Object(m) = &mut body {
                    m.insert("rotcheckServedBy".into(), Value::String("rotcheck-reference".into()));
                }
            }
            let content_type = if op == Op::RotateTunnelAccessToken && state.fault(Fault::SuccessContentTypeHtml) {
                "text/html; charset=utf-8"
            } else {
                state.content_type()
            };
            let mut resp = (StatusCode::OK, Body::from(body.to_string())).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            (Some(op), resp)
        }
        Err(e) => fail(Some(op), e),
    }
}
