//! The error type and message of an AWS JSON 1.1 error response, read the way the AWS SDKs read
//! them (aws-smithy-json's error envelope parser): the `X-Amzn-Errortype` header first, then the
//! body's `code`, then its `__type`; everything after the first `:` and before the first `#` is
//! stripped; the message is `message`, `Message` or `errorMessage`.
//!
//! Note: the SDKs prefer `code` over `__type` when a body carries both, so this does too.

use serde::Serialize;
use serde_json::Value;

use super::HttpResponse;

pub const ERROR_TYPE_HEADER: &str = "X-Amzn-Errortype";

/// Where the error type was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TypeSource {
    /// The `X-Amzn-Errortype` header.
    Header,
    /// The body's `code` member.
    BodyCode,
    /// The body's `__type` member.
    BodyType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    /// The bare shape name, e.g. `ResourceNotFoundException`.
    pub type_name: String,
    /// The value as sent, e.g. `com.amazonaws.iot#ResourceNotFoundException:http://...`.
    pub raw_type: String,
    pub message: Option<String>,
    pub source: TypeSource,
}

/// `ns#Name:suffix` -> `Name`: the part before the first `:`, then after the first `#`.
pub fn sanitize_type(raw: &str) -> &str {
    let t = raw.split(':').next().unwrap_or(raw);
    match t.find('#') {
        Some(i) => &t[i + 1..],
        None => t,
    }
    .trim()
}

/// The error type and message of a response, or `None` when neither the header nor the body
/// names a type. Works on any response (the caller decides whether the status is an error).
pub fn parse_error(resp: &HttpResponse) -> Option<ErrorInfo> {
    let body = resp.body_json();
    let obj = body.as_ref().and_then(Value::as_object);
    let text = |key: &str| obj.and_then(|o| o.get(key)).and_then(Value::as_str);
    let message = ["message", "Message", "errorMessage"]
        .into_iter()
        .find_map(&text)
        .map(str::to_owned);
    let candidates = [
        (resp.header(ERROR_TYPE_HEADER), TypeSource::Header),
        (text("code"), TypeSource::BodyCode),
        (text("__type"), TypeSource::BodyType),
    ];
    let found = candidates.into_iter().find_map(|(raw, source)| {
        let raw = raw?;
        let name = sanitize_type(raw);
        (!name.is_empty()).then(|| ErrorInfo {
            type_name: name.to_owned(),
            raw_type: raw.to_owned(),
            message: message.clone(),
            source,
        })
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status: 400,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }

    fn name(headers: &[(&str, &str)], body: &str) -> Option<(String, TypeSource)> {
        parse_error(&resp(headers, body)).map(|e| (e.type_name, e.source))
    }

    #[test]
    fn sanitizes_namespace_and_suffix() {
        assert_eq!(sanitize_type("FooError"), "FooError");
        assert_eq!(sanitize_type("com.amazonaws.iot#FooError"), "FooError");
        assert_eq!(sanitize_type("FooError:http://internal.amazon.com/coral/"), "FooError");
        assert_eq!(sanitize_type("aws.protocoltests#FooError:http://x/#y"), "FooError");
        assert_eq!(sanitize_type("a#b#c"), "b#c", "only the first # splits");
        assert_eq!(sanitize_type(""), "");
    }

    #[test]
    fn plain_body_type_and_message() {
        let e = parse_error(&resp(
            &[],
            r#"{"__type":"ResourceNotFoundException","message":"no such tunnel"}"#,
        ))
        .unwrap();
        assert_eq!(e.type_name, "ResourceNotFoundException");
        assert_eq!(e.raw_type, "ResourceNotFoundException");
        assert_eq!(e.message.as_deref(), Some("no such tunnel"));
        assert_eq!(e.source, TypeSource::BodyType);
    }

    #[test]
    fn header_wins_over_body_and_is_case_insensitive() {
        assert_eq!(
            name(
                &[("x-amzn-errortype", "ns#HeaderError:http://x")],
                r#"{"__type":"BodyError"}"#
            ),
            Some(("HeaderError".into(), TypeSource::Header))
        );
        assert_eq!(
            name(&[("X-AMZN-ERRORTYPE", "HeaderError")], ""),
            Some(("HeaderError".into(), TypeSource::Header)),
            "type only in the header, empty body"
        );
    }

    #[test]
    fn code_wins_over_type_as_in_the_sdks() {
        assert_eq!(
            name(&[], r#"{"code":"CodeError","__type":"TypeError"}"#),
            Some(("CodeError".into(), TypeSource::BodyCode))
        );
        assert_eq!(
            name(&[], r#"{"code":"CodeError"}"#),
            Some(("CodeError".into(), TypeSource::BodyCode))
        );
    }

    #[test]
    fn empty_or_non_string_types_fall_through() {
        assert_eq!(
            name(&[("X-Amzn-Errortype", "")], r#"{"__type":"BodyError"}"#),
            Some(("BodyError".into(), TypeSource::BodyType))
        );
        assert_eq!(
            name(&[], r#"{"code":5,"__type":"ns#T"}"#),
            Some(("T".into(), TypeSource::BodyType))
        );
        assert_eq!(name(&[], r#"{"__type":"ns#"}"#), None);
    }

    #[test]
    fn message_spellings() {
        let m = |b: &str| parse_error(&resp(&[("X-Amzn-Errortype", "E")], b)).unwrap().message;
        assert_eq!(m(r#"{"Message":"cap"}"#).as_deref(), Some("cap"));
        assert_eq!(m(r#"{"errorMessage":"lambda"}"#).as_deref(), Some("lambda"));
        assert_eq!(m(r#"{"message":"low","Message":"cap"}"#).as_deref(), Some("low"));
        assert_eq!(m(r#"{"message":null}"#), None);
        assert_eq!(m(r#"{"message":{"nested":1}}"#), None);
    }

    #[test]
    fn no_type_anywhere_or_garbage_is_none() {
        assert_eq!(name(&[], ""), None);
        assert_eq!(name(&[], "<html>502 Bad Gateway</html>"), None);
        assert_eq!(name(&[], r#"["__type"]"#), None);
        assert_eq!(name(&[], r#"{"message":"no type"}"#), None);
        assert_eq!(name(&[], "\u{0}\u{1}{{{"), None);
    }
}
