//! HTTP messages as the harness records them: what was sent and what came back. Case generation
//! builds [`HttpRequest`]s, the protocol client sends them, checks judge [`HttpResponse`]s, and
//! reports render both (through [`crate::redact`]).

use serde::Serialize;
use serde_json::Value;

use crate::spec::facts;

mod error_type;
pub mod frame;

pub use error_type::{parse_error, sanitize_type, ErrorInfo, TypeSource, ERROR_TYPE_HEADER};

/// A request to `POST /` (or, for mutations, another method) on the endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpRequest {
    pub method: String,
    /// Headers besides `Host`, `Content-Length` and the SigV4 ones, which the client adds.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A well-formed AWS JSON 1.1 call of `operation` with a JSON body.
    pub fn json(operation: &str, body: &Value) -> HttpRequest {
        HttpRequest::raw(operation, body.to_string().into_bytes())
    }

    /// A well-formed call whose body is given as bytes (for malformed-JSON mutations).
    pub fn raw(operation: &str, body: Vec<u8>) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            headers: vec![
                ("Content-Type".into(), facts::CONTENT_TYPE.into()),
                ("X-Amz-Target".into(), facts::target(operation)),
            ],
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.remove_header(name);
        self.headers.push((name.to_owned(), value.into()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// The operation named by `X-Amz-Target`, if it has the service's prefix.
    pub fn operation(&self) -> Option<&str> {
        self.header("X-Amz-Target")?
            .strip_prefix(facts::TARGET_PREFIX)?
            .strip_prefix('.')
    }

    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A response as received (body possibly truncated at the client's cap, see `truncated`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// True when the body exceeded the size cap and was cut.
    pub truncated: bool,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Header pairs as recorded: names as the HTTP stack gives them, values lossily decoded (an
/// endpoint may send bytes that are not UTF-8; they are data, not an error).
pub fn header_pairs(map: &http::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
