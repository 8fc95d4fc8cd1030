//! SigV4 signing through the aws-sigv4 crate. The client signs exactly the request it sends,
//! mutated ones included (another method, odd or missing headers, bodies that are not UTF-8).

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign as sigv4_sign, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::spec::facts;

/// Headers the signer writes; a request's own values for them are dropped before signing, so
/// the signature always covers what is sent.
pub const SIGNER_HEADERS: [&str; 3] = ["authorization", "x-amz-date", "x-amz-security-token"];
/// Headers the HTTP stack writes from the body and connection (message framing): not taken from
/// a request's header list.
pub const TRANSPORT_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("cannot sign: invalid header name {0:?}")]
    HeaderName(String),
    #[error("cannot sign: invalid value for header {0}")]
    HeaderValue(String),
    #[error("cannot sign: invalid URL {url}: {reason}")]
    Url { url: String, reason: String },
    #[error("cannot sign: {0}")]
    Signer(String),
}

/// A request as the signer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Signable<'a> {
    pub method: &'a str,
    /// Absolute URL (scheme, authority, path and query), already percent-encoded.
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Who signs, for which scope and when.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub region: &'a str,
    /// The signing name (`IoTSecuredTunneling` for this service).
    pub service: &'a str,
    pub time: SystemTime,
    /// Whether `X-Amz-Security-Token` is part of the signature (true for this service and most
    /// others; the SigV4 suite also has a case where it is added after signing).
    pub sign_session_token: bool,
    /// Percent-encode the path again when canonicalizing (every service except S3).
    pub double_encode_path: bool,
}

/// The headers to add to `req` to sign it: `x-amz-date`, `authorization` and, with temporary
/// credentials, `x-amz-security-token`. Names are lower case, as aws-sigv4 returns them.
pub fn sign(
    req: Signable<'_>,
    scope: Scope<'_>,
    credentials: &Credentials,
) -> Result<Vec<(String, String)>, SignError> {
    for (name, value) in req.headers {
        // aws-sigv4 assumes valid header names and values; check first so that odd (fuzzed)
        // headers are an error, never a panic inside the signer.
        http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
            .map_err(|_| SignError::HeaderName(name.clone()))?;
        http::HeaderValue::from_str(value).map_err(|_| SignError::HeaderValue(name.clone()))?;
    }
    let uri: http::Uri = req.url.parse().map_err(|e: http::uri::InvalidUri| SignError::Url {
        url: req.url.to_owned(),
        reason: e.to_string(),
    })?;
    if uri.authority().is_none() {
        return Err(SignError::Url {
            url: req.url.to_owned(),
            reason: "no host".into(),
        });
    }
    let identity: Identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.session_token_mode = if scope.sign_session_token {
        SessionTokenMode::Include
    } else {
        SessionTokenMode::Exclude
    };
    settings.percent_encoding_mode = if scope.double_encode_path {
        PercentEncodingMode::Double
    } else {
        PercentEncodingMode::Single
    };
    let params = SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(scope.time)
        .settings(settings)
        .build()
        .map_err(|e| SignError::Signer(e.to_string()))?;
    let headers = req
        .headers
        .iter()
        .filter(|(k, _)| !SIGNER_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(k)))
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let signable = SignableRequest::new(req.method, req.url, headers, SignableBody::Bytes(req.body))
        .map_err(|e| SignError::Signer(e.to_string()))?;
    let output = sigv4_sign(signable, &params.into()).map_err(|e| SignError::Signer(e.to_string()))?;
    let (instructions, _signature) = output.into_parts();
    let (headers, _params) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect())
}

/// The headers of `req` that go on the wire besides the signature: its own, minus the ones the
/// signer and the HTTP stack own.
pub fn sendable_headers(req: &crate::wire::HttpRequest) -> Vec<(String, String)> {
    req.headers
        .iter()
        .filter(|(k, _)| {
            !SIGNER_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(k))
                && !TRANSPORT_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(k))
        })
        .cloned()
        .collect()
}

/// The SigV4 headers for sending `req` to `endpoint` (an absolute URL; the request goes to its
/// path, `/` by default) in `region` under the service's signing name. Also used for curl
/// reproductions, which must redact `authorization` and `x-amz-security-token`.
pub fn signed_headers(
    req: &crate::wire::HttpRequest,
    endpoint: &str,
    region: &str,
    credentials: &Credentials,
    time: SystemTime,
) -> Result<Vec<(String, String)>, SignError> {
    let headers = sendable_headers(req);
    sign(
        Signable {
            method: &req.method,
            url: endpoint,
            headers: &headers,
            body: &req.body,
        },
        Scope {
            region,
            service: facts::SIGNING_NAME,
            time,
            sign_session_token: true,
            double_encode_path: true,
        },
        credentials,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::HttpRequest;
    use std::time::{Duration, UNIX_EPOCH};

    fn creds(token: Option<&str>) -> Credentials {
        Credentials::new("AKIDEXAMPLE", "secret", token.map(str::to_owned), None, "test")
    }

    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160) // 20150830T123600Z
    }

    #[test]
    fn signs_with_the_service_scope_and_the_json_headers() {
        let req = HttpRequest::json("RotateTunnelAccessToken", &serde_json::json!({"tunnelId": "x"}));
        let h = signed_headers(&req, "http://127.0.0.1:8080/", "eu-west-1", &creds(None), at()).unwrap();
        let auth = &h.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(
            auth.contains("Credential=AKIDEXAMPLE/20150830/eu-west-1/IoTSecuredTunneling/aws4_request"),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target"),
            "{auth}"
        );
        assert!(h.iter().any(|(k, v)| k == "x-amz-date" && v == "20150830T123600Z"));
        assert!(!h.iter().any(|(k, _)| k == "x-amz-security-token"));
    }

    #[test]
    fn session_token_is_signed_and_sent() {
        let req = HttpRequest::json("ListTunnels", &serde_json::json!({}));
        let h = signed_headers(
            &req,
            "https://api.example.com",
            "us-east-1",
            &creds(Some("TOKEN")),
            at(),
        )
        .unwrap();
        assert!(h.iter().any(|(k, v)| k == "x-amz-security-token" && v == "TOKEN"));
        let auth = &h.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.contains("x-amz-security-token"), "{auth}");
    }

    #[test]
    fn mutated_requests_are_signed_too() {
        let mut req = HttpRequest::raw("RotateTunnelAccessToken", vec![0xff, 0xfe, b'{']);
        req.method = "GET".into();
        req.remove_header("Content-Type");
        req.set_header("X-Amz-Date", "19700101T000000Z"); // the signer's value wins
        req.set_header("Content-Length", "999"); // framing is the HTTP stack's
        let h = signed_headers(&req, "http://localhost:1/", "us-east-1", &creds(None), at()).unwrap();
        let auth = &h.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.contains("SignedHeaders=host;x-amz-date;x-amz-target"), "{auth}");
    }

    #[test]
    fn bad_headers_are_errors_not_panics() {
        let mut req = HttpRequest::json("ListTunnels", &serde_json::json!({}));
        req.headers.push(("Bad Name".into(), "v".into()));
        assert!(matches!(
            signed_headers(&req, "http://localhost/", "us-east-1", &creds(None), at()),
            Err(SignError::HeaderName(_))
        ));
        let mut req = HttpRequest::json("ListTunnels", &serde_json::json!({}));
        req.headers.push(("X-Ok".into(), "line\nbreak".into()));
        assert!(matches!(
            signed_headers(&req, "http://localhost/", "us-east-1", &creds(None), at()),
            Err(SignError::HeaderValue(_))
        ));
        let req = HttpRequest::json("ListTunnels", &serde_json::json!({}));
        assert!(signed_headers(&req, "/relative", "us-east-1", &creds(None), at()).is_err());
    }
}
