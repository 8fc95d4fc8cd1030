//! How AWS JSON 1.1 clients read an error response: the single implementation the checks use.
//!
//! Smithy awsJson1_1 rules: the type comes from the `X-Amzn-Errortype` header, else the body's
//! `__type`, else the body's `code`; anything before `#` (a namespace) and after `:` (a suffix) is
//! stripped. The message is the body's `message` or `Message`.

use serde_json::Value;

use crate::wire::HttpResponse;

/// An error response as a client parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// The bare type name, e.g. `ResourceNotFoundException`.
    pub type_name: String,
    pub message: Option<String>,
}

/// The error type and message of `resp`, if a client can find a type in it.
pub fn parse_error(resp: &HttpResponse) -> Option<ErrorInfo> {
    let body = resp.body_json();
    let obj = body.as_ref().and_then(Value::as_object);
    let from_body = |key: &str| obj.and_then(|o| o.get(key)).and_then(Value::as_str);
    let raw = resp
        .header("X-Amzn-Errortype")
        .or_else(|| from_body("__type"))
        .or_else(|| from_body("code"))?;
    let type_name = sanitize(raw);
    if type_name.is_empty() {
        return None;
    }
    let message = from_body("message").or_else(|| from_body("Message")).map(str::to_owned);
    Some(ErrorInfo { type_name, message })
}

/// `aws.protocoltests#FooError:http://internal` -> `FooError`.
fn sanitize(raw: &str) -> String {
    let after_ns = raw.rsplit_once('#').map_or(raw, |(_, t)| t);
    let before_suffix = after_ns.split_once(':').map_or(after_ns, |(t, _)| t);
    before_suffix.trim().to_owned()
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

    #[test]
    fn header_wins_over_body_and_is_sanitized() {
        let r = resp(
            &[(
                "x-amzn-errortype",
                "ResourceNotFoundException:http://internal.amazon.com/",
            )],
            r#"{"__type":"Other","Message":"gone"}"#,
        );
        let e = parse_error(&r).unwrap();
        assert_eq!(e.type_name, "ResourceNotFoundException");
        assert_eq!(e.message.as_deref(), Some("gone"));
    }

    #[test]
    fn body_type_then_code_with_namespace_stripped() {
        let e = parse_error(&resp(
            &[],
            r#"{"__type":"com.amazonaws.iot#ValidationException","message":"m"}"#,
        ))
        .unwrap();
        assert_eq!(e.type_name, "ValidationException");
        let e = parse_error(&resp(&[], r#"{"code":"LimitExceededException"}"#)).unwrap();
        assert_eq!(e.type_name, "LimitExceededException");
        assert_eq!(e.message, None);
    }

    #[test]
    fn typeless_or_non_json_errors_have_no_type() {
        assert_eq!(parse_error(&resp(&[], r#"{"message":"no type"}"#)), None);
        assert_eq!(parse_error(&resp(&[], "<html>Bad Request</html>")), None);
        assert_eq!(parse_error(&resp(&[], r#"{"__type":"ns#"}"#)), None);
        assert_eq!(parse_error(&resp(&[], r#"{"__type":5}"#)), None);
    }
}
