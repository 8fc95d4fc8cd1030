//! AWS JSON 1.1 error responses: `{"__type": ..., "message": ...}` with `X-Amzn-Errortype`, in
//! the style the behaviour asks for (a hook may render an error itself: `Hook::render_error`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::spec::facts;

pub const NAMESPACE: &str = "com.amazonaws.iotsecuretunneling";
pub const CORAL_SUFFIX: &str = "http://internal.amazon.com/coral/com.amazonaws.iotsecuretunneling/";

/// An error the server answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// The shape name, e.g. `ResourceNotFoundException`.
    pub error_type: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, error_type: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error_type: error_type.into(),
            message: message.into(),
        }
    }

    pub fn bad_request(error_type: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, error_type, message)
    }

    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::bad_request("SerializationException", message)
    }

    pub fn not_found(tunnel_id: &str) -> ApiError {
        // The id is echoed (it is not a secret), bounded so a huge id cannot bloat the reply.
        let shown: String = tunnel_id.chars().take(128).collect();
        ApiError::bad_request("ResourceNotFoundException", format!("Tunnel {shown} not found"))
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", message)
    }

    /// Whether this is the faithful answer to an unknown tunnel or resource.
    pub fn is_not_found(&self) -> bool {
        self.status == StatusCode::BAD_REQUEST && self.error_type == "ResourceNotFoundException"
    }
}

/// A text/plain answer: how the data plane refuses a handshake (and a fault renders an error).
pub(crate) fn plain_text(status: StatusCode, message: String) -> Response {
    let mut resp = (status, message).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// How errors are rendered: each member a choice PROTOCOL.md leaves open (clients read either).
#[derive(Debug, Clone, Copy)]
pub struct ErrorStyle {
    pub namespaced: bool,
    pub coral_suffix: bool,
    /// The member that carries the message: `message` or `Message`.
    pub message_member: &'static str,
    pub header_only_type: bool,
    pub extra_members: bool,
    /// The Content-Type of errors.
    pub content_type: &'static str,
}

impl Default for ErrorStyle {
    fn default() -> Self {
        ErrorStyle {
            namespaced: false,
            coral_suffix: false,
            message_member: "message",
            header_only_type: false,
            extra_members: false,
            content_type: facts::CONTENT_TYPE,
        }
    }
}

impl ErrorStyle {
    pub fn render(&self, err: &ApiError) -> Response {
        let mut shown = err.error_type.clone();
        if self.namespaced {
            shown = format!("{NAMESPACE}#{shown}");
        }
        if self.coral_suffix {
            shown = format!("{shown}:{CORAL_SUFFIX}");
        }
        let mut body = Map::new();
        if !self.header_only_type {
            body.insert("__type".into(), Value::String(shown.clone()));
        }
        body.insert(self.message_member.into(), Value::String(err.message.clone()));
        if self.extra_members {
            body.insert("rotcheckDetail".into(), json!({"retryable": false}));
        }
        let mut resp = (err.status, Value::Object(body).to_string()).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Ok(v) = HeaderValue::from_str(&shown) {
            headers.insert("x-amzn-errortype", v);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn parts(style: ErrorStyle) -> (StatusCode, Option<String>, Option<String>, Value) {
        let resp = style.render(&ApiError::not_found("abc"));
        let status = resp.status();
        let h = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (ct, et) = (h("content-type"), h("x-amzn-errortype"));
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, ct, et, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn default_and_variant_styles() {
        let (status, ct, et, body) = parts(ErrorStyle::default()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(ct.as_deref(), Some("application/x-amz-json-1.1"));
        assert_eq!(et.as_deref(), Some("ResourceNotFoundException"));
        assert_eq!(
            body,
            json!({"__type": "ResourceNotFoundException", "message": "Tunnel abc not found"})
        );

        let style = ErrorStyle {
            namespaced: true,
            coral_suffix: true,
            message_member: "Message",
            ..Default::default()
        };
        let (_, _, et, body) = parts(style).await;
        let t = format!("{NAMESPACE}#ResourceNotFoundException:{CORAL_SUFFIX}");
        assert_eq!(et.as_deref(), Some(t.as_str()));
        assert_eq!(body, json!({"__type": t, "Message": "Tunnel abc not found"}));

        let (_, _, et, body) = parts(ErrorStyle {
            header_only_type: true,
            ..Default::default()
        })
        .await;
        assert_eq!(et.as_deref(), Some("ResourceNotFoundException"));
        assert_eq!(body, json!({"message": "Tunnel abc not found"}));
    }
}
