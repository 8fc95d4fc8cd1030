//! Retries as the AWS SDKs' "standard" retry mode does them (PROTOCOL.md, "Talking to a real
//! endpoint"; botocore `retries/standard.py`): at most 3 attempts; transport errors, HTTP
//! 500/502/503/504 and the transient and throttling error codes are retried after an exponential
//! delay with full jitter, capped at 20 s; a `Retry-After` header is honoured (up to the cap).
//!
//! One exception for this service: `LimitExceededException` on OpenTunnel is the account's tunnel
//! quota. Retrying does not clear it (closing tunnels does), so it is final here and the runner
//! deals with it (see `runner::budget`).
//!
//! The auth errors of PROTOCOL.md (and any 401/403) are never retried: they are a problem of the
//! caller's setup, classified by [`auth_failure`] into a cause and the setting to change.

use std::time::Duration;

use rand::Rng;

use crate::wire::parse_error;
use crate::wire::HttpResponse;

/// Statuses retried whatever the body says.
pub const RETRYABLE_STATUSES: [u16; 4] = [500, 502, 503, 504];

/// Transient error codes of the standard retry mode.
pub const TRANSIENT_ERRORS: [&str; 3] = ["RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"];

/// Throttling error codes of the standard retry mode.
pub const THROTTLING_ERRORS: [&str; 13] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
];

/// This service's tunnel quota (on OpenTunnel): not throttling, see the module doc.
pub const TUNNEL_QUOTA_ERROR: &str = "LimitExceededException";

/// The auth error types of PROTOCOL.md (plus the names some AWS services use for the same).
pub const AUTH_ERRORS: [&str; 9] = [
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
    "ExpiredTokenException",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
];

/// How many attempts and how long to wait between them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// The delay before retry n (n = 1, 2, ...) is uniform in [0, base * 2^(n-1)].
    pub base: Duration,
    /// No delay (Retry-After included) exceeds this.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// The SDKs' standard mode: 3 attempts, 1 s base, 20 s cap.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The standard policy with another base delay (tests use milliseconds).
    pub fn with_base(base: Duration) -> Self {
        RetryPolicy {
            base,
            ..RetryPolicy::default()
        }
    }

    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `retry` (1 for the first retry): full jitter, capped, and at
    /// least what the endpoint asked for in `retry_after` (itself capped).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.cap);
        let jittered = exp.mul_f64(rand::rng().random::<f64>());
        jittered.max(retry_after.unwrap_or_default()).min(self.cap)
    }
}

/// What one call in the standard retry mode came to: the final answer, the attempts made, and
/// what each earlier attempt got (`HTTP 503`, `HTTP 400 ThrottlingException`, a transport error).
#[derive(Debug)]
pub struct Retried {
    pub result: Result<HttpResponse, crate::client::TransportError>,
    pub attempts: u32,
    pub retried: Vec<String>,
}

/// One call in the AWS SDKs' standard retry mode: `attempt` sends the request once; it is sent
/// again (at most `policy.max_attempts` in all) while its answer is retryable, after the policy's
/// delay (`Retry-After` honoured). `before_wait` hears of each retry and its delay before the
/// sleep. A request that cannot be built or signed fails the same way every time: not retried.
pub async fn standard<F, Fut>(
    policy: &RetryPolicy,
    operation: Option<&str>,
    mut attempt: F,
    mut before_wait: impl FnMut(&str, Duration),
) -> Retried
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<HttpResponse, crate::client::TransportError>>,
{
    let mut attempts = 0;
    let mut retried = Vec::new();
    loop {
        attempts += 1;
        let result = attempt().await;
        let (reason, wait) = match &result {
            Ok(resp) => (
                classify(resp, operation).map(|_| attempt_summary(resp)),
                retry_after(resp),
            ),
            Err(e) => (e.is_retryable().then(|| e.to_string()), None),
        };
        match reason {
            Some(reason) if attempts < policy.max_attempts => {
                let delay = policy.delay(attempts, wait);
                before_wait(&reason, delay);
                retried.push(reason);
                tokio::time::sleep(delay).await;
            }
            _ => {
                return Retried {
                    result,
                    attempts,
                    retried,
                }
            }
        }
    }
}

/// `HTTP 503` or `HTTP 400 ThrottlingException`: what an attempt that is retried got.
fn attempt_summary(resp: &HttpResponse) -> String {
    match parse_error(resp) {
        Some(e) => format!("HTTP {} {}", resp.status, e.type_name),
        None => format!("HTTP {}", resp.status),
    }
}

/// Why an answer is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    Transport,
    Status(u16),
    Transient,
    Throttling,
}

/// Whether a response to `operation` is retried, and why.
pub fn classify(resp: &HttpResponse, operation: Option<&str>) -> Option<RetryReason> {
    if resp.is_success() {
        return None;
    }
    if let Some(err) = parse_error(resp) {
        let t = err.type_name.as_str();
        if t == TUNNEL_QUOTA_ERROR && operation == Some("OpenTunnel") {
            return None;
        }
        if THROTTLING_ERRORS.contains(&t) {
            return Some(RetryReason::Throttling);
        }
        if TRANSIENT_ERRORS.contains(&t) {
            return Some(RetryReason::Transient);
        }
    }
    RETRYABLE_STATUSES
        .contains(&resp.status)
        .then_some(RetryReason::Status(resp.status))
}

/// The `Retry-After` header as a delay: delta-seconds (an HTTP date is not honoured: clocks differ).
pub fn retry_after(resp: &HttpResponse) -> Option<Duration> {
    let v = resp.header("retry-after")?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// Whether a response is this service's tunnel quota refusing an OpenTunnel.
pub fn is_tunnel_quota(resp: &HttpResponse, operation: Option<&str>) -> bool {
    operation == Some("OpenTunnel")
        && !resp.is_success()
        && parse_error(resp).is_some_and(|e| e.type_name == TUNNEL_QUOTA_ERROR)
}

/// What an auth failure most likely means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthCause {
    Credentials,
    ExpiredCredentials,
    ClockSkew,
    Region,
    Permissions,
    /// A signature problem whose cause the answer does not say.
    Signature,
}

/// An answer refusing the caller's credentials or signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    pub status: u16,
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub cause: AuthCause,
}

impl AuthFailure {
    /// What to check and which setting to change.
    pub fn advice(&self) -> &'static str {
        match self.cause {
            AuthCause::Credentials => {
                "the credentials are not accepted: check the access key id and secret access key \
                 (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the profile named by --profile / AWS_PROFILE)"
            }
            AuthCause::ExpiredCredentials => {
                "the credentials have expired: refresh them (a new AWS_SESSION_TOKEN, `aws sso login`, \
                 or the profile named by --profile / AWS_PROFILE)"
            }
            AuthCause::ClockSkew => {
                "the request time is too far from the endpoint's clock: fix this machine's clock (NTP); \
                 signatures are only valid for a few minutes"
            }
            AuthCause::Region => {
                "the signing region is not the endpoint's: set --region (or AWS_REGION) to the region in \
                 the endpoint's host name"
            }
            AuthCause::Permissions => {
                "the credentials are valid but not allowed to call the API: grant the IAM actions \
                 iot:OpenTunnel, iot:CloseTunnel, iot:DescribeTunnel, iot:ListTunnels, \
                 iot:RotateTunnelAccessToken and iot:TagResource on arn:aws:iot:REGION:ACCOUNT:tunnel/* \
                 (a minimal policy: docs/iam-policy.json; see README, \"Against AWS\")"
            }
            AuthCause::Signature => {
                "the signature is refused: check the credentials (secret access key), the region \
                 (--region) and this machine's clock"
            }
        }
    }
}

impl std::fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(t) = &self.error_type {
            write!(f, " {t}")?;
        }
        if let Some(m) = &self.message {
            // An endpoint's message is untrusted: one line, bounded.
            let m: String = m.chars().filter(|c| !c.is_control()).take(200).collect();
            write!(f, " ({m})")?;
        }
        write!(f, ": {}", self.advice())
    }
}

/// The answer as an auth failure: one of PROTOCOL.md's auth error types, or a 401/403.
pub fn auth_failure(resp: &HttpResponse) -> Option<AuthFailure> {
    if resp.is_success() {
        return None;
    }
    let err = parse_error(resp);
    let type_name = err.as_ref().map(|e| e.type_name.clone());
    let is_auth_type = type_name.as_deref().is_some_and(|t| AUTH_ERRORS.contains(&t));
    if !is_auth_type && !matches!(resp.status, 401 | 403) {
        return None;
    }
    let message = err.as_ref().and_then(|e| e.message.clone());
    let lower = message.as_deref().unwrap_or("").to_ascii_lowercase();
    let cause = if lower.contains("signature expired") || lower.contains("clock") || lower.contains("request time") {
        AuthCause::ClockSkew
    } else if lower.contains("region") || lower.contains("credential should be scoped") {
        AuthCause::Region
    } else {
        match type_name.as_deref() {
            Some("UnrecognizedClientException" | "InvalidClientTokenId") => AuthCause::Credentials,
            Some("ExpiredTokenException" | "ExpiredToken") => AuthCause::ExpiredCredentials,
            Some("AccessDeniedException") => AuthCause::Permissions,
            Some("InvalidSignatureException" | "SignatureDoesNotMatch") => AuthCause::Credentials,
            Some("MissingAuthenticationTokenException" | "IncompleteSignatureException") => AuthCause::Signature,
            _ if resp.status == 401 => AuthCause::Credentials,
            _ => AuthCause::Permissions,
        }
    };
    Some(AuthFailure {
        status: resp.status,
        error_type: type_name,
        message,
        cause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/x-amz-json-1.1".into())],
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn statuses_and_codes_of_the_standard_mode_are_retried() {
        for s in RETRYABLE_STATUSES {
            assert_eq!(classify(&resp(s, "{}"), None), Some(RetryReason::Status(s)));
        }
        assert_eq!(
            classify(&resp(501, "{}"), None),
            None,
            "501 is not in the standard list"
        );
        assert_eq!(
            classify(
                &resp(400, r#"{"__type":"ThrottlingException"}"#),
                Some("DescribeTunnel")
            ),
            Some(RetryReason::Throttling)
        );
        assert_eq!(
            classify(&resp(400, r#"{"__type":"RequestTimeoutException"}"#), None),
            Some(RetryReason::Transient)
        );
        assert_eq!(classify(&resp(400, r#"{"__type":"ValidationException"}"#), None), None);
        assert_eq!(classify(&resp(200, "{}"), None), None);
    }

    /// Regression: LimitExceededException on OpenTunnel (the tunnel quota) was retried as throttling.
    #[test]
    fn tunnel_quota_on_open_tunnel_is_not_retried() {
        let quota = resp(400, r#"{"__type":"LimitExceededException"}"#);
        assert_eq!(classify(&quota, Some("OpenTunnel")), None);
        assert!(is_tunnel_quota(&quota, Some("OpenTunnel")));
        assert_eq!(classify(&quota, Some("DescribeTunnel")), Some(RetryReason::Throttling));
    }

    #[test]
    fn delays_are_jittered_capped_and_honour_retry_after() {
        let p = RetryPolicy::default();
        for retry in 1..=10 {
            let d = p.delay(retry, None);
            assert!(d <= p.cap, "{d:?}");
            assert!(d <= p.base * 2u32.pow(retry.min(10) - 1), "{d:?}");
        }
        assert!(p.delay(1, Some(Duration::from_secs(5))) >= Duration::from_secs(5));
        assert_eq!(p.delay(1, Some(Duration::from_secs(500))), p.cap);
        let mut r = resp(503, "{}");
        r.headers.push(("Retry-After".into(), "2".into()));
        assert_eq!(retry_after(&r), Some(Duration::from_secs(2)));
        r.headers[1].1 = "Wed, 21 Oct 2015 07:28:00 GMT".into();
        assert_eq!(retry_after(&r), None);
    }

    #[test]
    fn auth_failures_name_the_cause() {
        let a = auth_failure(&resp(403, r#"{"__type":"UnrecognizedClientException"}"#)).unwrap();
        assert_eq!(a.cause, AuthCause::Credentials);
        assert!(a.to_string().contains("credentials"));
        let a = auth_failure(&resp(
            403,
            r#"{"__type":"InvalidSignatureException","message":"Signature expired: 20150830T123600Z is now earlier than ..."}"#,
        ))
        .unwrap();
        assert_eq!(a.cause, AuthCause::ClockSkew);
        let a = auth_failure(&resp(
            403,
            r#"{"__type":"InvalidSignatureException","message":"Credential should be scoped to a valid region."}"#,
        ))
        .unwrap();
        assert_eq!(a.cause, AuthCause::Region);
        let a = auth_failure(&resp(400, r#"{"__type":"ExpiredTokenException"}"#)).unwrap();
        assert_eq!(a.cause, AuthCause::ExpiredCredentials);
        assert_eq!(
            auth_failure(&resp(403, "forbidden")).map(|a| a.cause),
            Some(AuthCause::Permissions)
        );
        assert!(auth_failure(&resp(400, r#"{"__type":"ResourceNotFoundException"}"#)).is_none());
    }

    /// Regression: the advice for AccessDeniedException gave the actions the service's prefix
    /// (`iotsecuretunneling`); IAM knows them only as `iot:...`, so a policy written from it denied all.
    #[test]
    fn permission_advice_names_the_iot_actions() {
        let a = auth_failure(&resp(403, r#"{"__type":"AccessDeniedException"}"#)).unwrap();
        let text = a.to_string();
        for action in [
            "OpenTunnel",
            "CloseTunnel",
            "DescribeTunnel",
            "ListTunnels",
            "RotateTunnelAccessToken",
        ] {
            assert!(text.contains(&format!("iot:{action}")), "{action}: {text}");
        }
        assert!(text.contains("arn:aws:iot:REGION:ACCOUNT:tunnel/*"), "{text}");
        assert!(text.contains("docs/iam-policy.json"), "{text}");
        assert!(!text.contains("iotsecuretunneling:"), "{text}");
    }
}
