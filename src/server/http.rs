//! The HTTP edge: body cap, SigV4, method/path/target checks, dispatch to the operations, and
//! rendering of successes and errors (with `x-amzn-RequestId` on every response).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::errors::ApiError;
use super::state::AppState;
use super::{ops, store, AuthError};
use crate::spec::{facts, Op};

pub(crate) async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let request_id = store::uuid();
    let (op, mut resp) = serve(&state, req).await;
    for h in state.hooks() {
        h.finish_response(&mut resp);
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

// Long: the edge's checks in the order they apply to a request (size, signature, target, body,
// operation), read top to bottom.
async fn serve(state: &AppState, req: Request) -> (Option<Op>, Response) {
    let (parts, body) = req.into_parts();
    let fail = |op: Option<Op>, e: ApiError| (op, state.render_error(op, &e));

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

    for h in state.hooks() {
        if let Err(e) = h.check_request(op, &parts.headers) {
            return fail(Some(op), e);
        }
    }

    match ops::call(state, op, &bytes) {
        Ok(body) => {
            let content_type = state
                .hooks()
                .find_map(|h| h.success_content_type(op))
                .unwrap_or(state.behaviour().content_type);
            let status = state
                .hooks()
                .find_map(|h| h.success_status(op))
                .unwrap_or(StatusCode::OK);
            let mut resp = (status, Body::from(body.to_string())).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            (Some(op), resp)
        }
        Err(e) => fail(Some(op), e),
    }
}
