//! SigV4 verification (`--verify-sigv4`). The signature is recomputed with the aws-sigv4 crate
//! over exactly the headers the request's `Authorization` header names, at the request's own
//! `X-Amz-Date`, and compared with the one sent. Nothing here logs or echoes a secret or signature.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SessionTokenMode, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::{HeaderMap, Uri};

use super::clock;
use crate::secret::SecretString;
use crate::spec::facts;

/// The one key pair the server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4Keys {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl SigV4Keys {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> SigV4Keys {
        SigV4Keys {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::new(secret_access_key),
        }
    }
}

/// Why a request was refused. Messages follow the AWS wording and contain no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("Missing Authentication Token")]
    Missing,
    /// An `Authorization` header that cannot be parsed, or a missing `X-Amz-Date`.
    #[error("{0}")]
    Incomplete(String),
    /// The access key id is not the configured one.
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    /// `X-Amz-Date` is more than the allowed skew away from the server's clock.
    #[error("{0}")]
    Expired(String),
    /// The signature does not match (tampered request, wrong secret, wrong scope).
    #[error("{0}")]
    BadSignature(String),
}

impl AuthError {
    pub fn error_type(&self) -> &'static str {
        match self {
            AuthError::Missing => "MissingAuthenticationTokenException",
            AuthError::Incomplete(_) => "IncompleteSignatureException",
            AuthError::UnknownKey => "UnrecognizedClientException",
            AuthError::Expired(_) | AuthError::BadSignature(_) => "InvalidSignatureException",
        }
    }
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Verifies SigV4-signed requests against one key pair, region and service.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: SigV4Keys,
    region: String,
    service: String,
    max_skew: Duration,
    /// Fixed "now" for tests (the AWS test vectors are dated 2015-08-30T12:36:00Z).
    fixed_now: Option<SystemTime>,
}

struct AuthHeader<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<AuthHeader<'_>, AuthError> {
    let incomplete = |what: &str| AuthError::Incomplete(format!("Authorization header is malformed: {what}"));
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| incomplete("the algorithm must be AWS4-HMAC-SHA256"))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            return Err(incomplete("expected key=value pairs"));
        };
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return Err(incomplete("unknown component")),
        }
    }
    let credential = credential.ok_or_else(|| incomplete("missing Credential"))?;
    let signed = signed.ok_or_else(|| incomplete("missing SignedHeaders"))?;
    let signature = signature.ok_or_else(|| incomplete("missing Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(incomplete(
            "Credential must be <key id>/<date>/<region>/<service>/aws4_request",
        ));
    };
    Ok(AuthHeader {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// Equality that takes the same time wherever the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Verifier {
    /// A verifier for the secure-tunneling signing name, allowing 5 minutes of clock skew.
    pub fn new(keys: SigV4Keys, region: impl Into<String>) -> Verifier {
        Verifier {
            keys,
            region: region.into(),
            service: facts::SIGNING_NAME.to_owned(),
            max_skew: Duration::from_secs(300),
            fixed_now: None,
        }
    }

    /// Another signing name (the AWS test vectors use `service`).
    pub fn with_service(mut self, service: impl Into<String>) -> Verifier {
        self.service = service.into();
        self
    }

    /// A fixed "now" instead of the system clock.
    pub fn with_fixed_time(mut self, now: SystemTime) -> Verifier {
        self.fixed_now = Some(now);
        self
    }

    /// Checks one request: its method, URI as received (path and query), headers and body.
    pub fn verify(&self, method: &str, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<(), AuthError> {
        let mut auth_values = headers.get_all(http::header::AUTHORIZATION).iter();
        let Some(auth) = auth_values.next() else {
            return Err(AuthError::Missing);
        };
        if auth_values.next().is_some() {
            return Err(AuthError::Incomplete("More than one Authorization header".into()));
        }
        let auth = auth
            .to_str()
            .map_err(|_| AuthError::Incomplete("Authorization header is not ASCII".into()))?;
        let auth = parse_authorization(auth)?;
        if auth.access_key_id != self.keys.access_key_id {
            return Err(AuthError::UnknownKey);
        }
        let signed_at = self.check_time(&auth, headers)?;
        self.check_scope(&auth)?;
        let expected = self.expected_signature(method, uri, headers, body, &auth, signed_at)?;
        if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            Ok(())
        } else {
            Err(AuthError::BadSignature(MISMATCH.into()))
        }
    }

    /// X-Amz-Date: present, well-formed, the scope's date, and within the allowed clock skew.
    fn check_time(&self, auth: &AuthHeader<'_>, headers: &HeaderMap) -> Result<SystemTime, AuthError> {
        let amz_date = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).ok_or_else(|| {
            AuthError::Incomplete("Authorization header requires existence of a valid 'X-Amz-Date' header".into())
        })?;
        let signed_at = clock::parse_amz_date(amz_date).ok_or_else(|| {
            AuthError::Incomplete(format!("X-Amz-Date '{amz_date}' is not in the form YYYYMMDDTHHMMSSZ"))
        })?;
        if amz_date.get(..8) != Some(auth.date) {
            return Err(AuthError::BadSignature(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'",
                auth.date,
                amz_date.get(..8).unwrap_or_default()
            )));
        }
        let now = self.fixed_now.unwrap_or_else(SystemTime::now);
        let skew = clock::epoch_secs(signed_at) - clock::epoch_secs(now);
        let max = self.max_skew.as_secs_f64();
        if skew < -max {
            return Err(AuthError::Expired(format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
                clock::amz_date(clock::add_secs(now, -max)),
                clock::amz_date(now)
            )));
        }
        if skew > max {
            return Err(AuthError::Expired(format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
                clock::amz_date(clock::add_secs(now, max)),
                clock::amz_date(now)
            )));
        }
        Ok(signed_at)
    }

    /// The credential scope's region and service, and the headers that must be signed.
    fn check_scope(&self, auth: &AuthHeader<'_>) -> Result<(), AuthError> {
        if auth.region != self.region {
            return Err(AuthError::BadSignature(format!(
                "Credential should be scoped to a valid region, not '{}'.",
                auth.region
            )));
        }
        if auth.service != self.service {
            return Err(AuthError::BadSignature(format!(
                "Credential should be scoped to correct service: '{}'.",
                self.service
            )));
        }
        for required in ["host", "x-amz-date"] {
            if !auth.signed_headers.contains(&required) {
                return Err(AuthError::BadSignature(format!(
                    "'{required}' must be a signed header."
                )));
            }
        }
        Ok(())
    }

    /// The signature the request should carry, recomputed with aws-sigv4 over what it signed.
    fn expected_signature(
        &self,
        method: &str,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        auth: &AuthHeader<'_>,
        signed_at: SystemTime,
    ) -> Result<String, AuthError> {
        // The headers to recompute over: exactly the signed ones. aws-sigv4 adds x-amz-date
        // itself (from the signing time) and the session token from the credentials.
        let mut signable: Vec<(&str, &str)> = Vec::new();
        let mut session_token = None;
        for &name in &auth.signed_headers {
            let values: Vec<&str> = headers
                .get_all(name)
                .iter()
                // The bytes as sent: a client signs any UTF-8 value (obs-text included), which
                // `HeaderValue::to_str` (visible ASCII only) would refuse.
                .map(|v| std::str::from_utf8(v.as_bytes()))
                .collect::<Result<_, _>>()
                .map_err(|_| AuthError::BadSignature(MISMATCH.into()))?;
            if values.is_empty() {
                return Err(AuthError::BadSignature(format!("Signed header '{name}' is missing.")));
            }
            match name {
                "x-amz-date" => {}
                "x-amz-security-token" => session_token = values.first().copied(),
                _ => signable.extend(values.into_iter().map(|v| (name, v))),
            }
        }
        let unsigned_token = headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .filter(|_| session_token.is_none());

        let identity: Identity = Credentials::new(
            &self.keys.access_key_id,
            self.keys.secret_access_key.expose(),
            session_token.or(unsigned_token).map(str::to_owned),
            None,
            "rotcheck-verifier",
        )
        .into();
        let mut settings = SigningSettings::default();
        // Sign whatever the client signed: the default exclusions (user-agent, ...) would drop
        // headers a client may legitimately have signed.
        settings.excluded_headers = Some(Vec::<Cow<'static, str>>::new());
        if session_token.is_none() {
            settings.session_token_mode = SessionTokenMode::Exclude;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&self.service)
            .time(signed_at)
            .settings(settings)
            .build()
            .map_err(|e| AuthError::BadSignature(format!("cannot verify: {e}")))?
            .into();
        let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let request = SignableRequest::new(method, path_and_query, signable.into_iter(), SignableBody::Bytes(body))
            .map_err(|_| AuthError::BadSignature(MISMATCH.into()))?;
        let expected = sign(request, &params).map_err(|_| AuthError::BadSignature(MISMATCH.into()))?;
        Ok(expected.signature().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header_parsing() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .ok()
        .unwrap();
        assert_eq!(
            (a.access_key_id, a.date, a.region, a.service),
            ("AKID", "20150830", "us-east-1", "service")
        );
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(a.signature, "abc");
        for bad in [
            "Basic abc",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service, SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 garbage",
        ] {
            assert!(
                matches!(parse_authorization(bad), Err(AuthError::Incomplete(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
