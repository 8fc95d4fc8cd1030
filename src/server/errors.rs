//! AWS JSON 1.1 error responses: `{"__type": ..., "message": ...}` with `X-Amzn-Errortype`, in
//! the style the behaviour and the edge's hooks ask for.

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

/// How errors are rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorStyle {
    pub namespaced: bool,
    pub coral_suffix: bool,
    pub capital_message: bool,
    pub header_only_type: bool,
    pub extra_members: bool,
    pub application_json: bool,
    /// A `text/plain` body with the message only, no type anywhere.
    pub plain_text: bool,
    /// A JSON body without a type, and no type header.
    pub type_missing: bool,
}

impl ErrorStyle {
    pub fn render(&self, err: &ApiError) -> Response {
        if self.plain_text {
            let mut resp = (err.status, err.message.clone()).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            return resp;
        }
        let mut shown = err.error_type.clone();
        if self.namespaced {
            shown = format!("{NAMESPACE}#{shown}");
        }
        if self.coral_suffix {
            shown = format!("{shown}:{CORAL_SUFFIX}");
        }
        let mut body = Map::new();
        if !self.header_only_type && !self.type_missing {
            body.insert("__type".into(), Value::String(shown.clone()));
        }
        let key = if self.capital_message { "Message" } else { "message" };
        body.insert(key.into(), Value::String(err.message.clone()));
        if self.extra_members {
            body.insert("rotcheckDetail".into(), json!({"retryable": false}));
        }
        let mut resp = (err.status, Value::Object(body).to_string()).into_response();
        let headers = resp.headers_mut();
        let content_type = if self.application_json {
            "application/json"
        } else {
            facts::CONTENT_TYPE
        };
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if !self.type_missing {
            if let Ok(v) = HeaderValue::from_str(&shown) {
                headers.insert("x-amzn-errortype", v);
            }
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
            capital_message: true,
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

        let (_, ct, et, body) = parts(ErrorStyle {
            plain_text: true,
            ..Default::default()
        })
        .await;
        assert!(ct.unwrap().starts_with("text/plain"));
        assert_eq!((et, body), (None, Value::Null));
    }
}
