//! The reference server over raw HTTP (reqwest): malformed input, wrong targets, caps, error
//! headers, SigV4 verification, and the observable effect of each fault and variant.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use rotcheck::server::{self, AuthError, Fault, RunningServer, ServerConfig, SigV4Keys, Variant, Verifier};
use serde_json::{json, Value};

const AMZ_JSON: &str = "application/x-amz-json-1.1";

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error type as a client reads it: header first, then `__type`, prefix and suffix stripped.
    fn error_type(&self) -> Option<String> {
        let raw = self
            .header("x-amzn-errortype")
            .map(str::to_owned)
            .or_else(|| self.json()["__type"].as_str().map(str::to_owned))?;
        let after_hash = raw.rsplit('#').next().unwrap_or_default();
        Some(after_hash.split(':').next().unwrap_or_default().to_owned())
    }
}

struct Server {
    running: RunningServer,
    http: reqwest::Client,
}

impl Server {
    async fn start(config: ServerConfig) -> Server {
        let running = server::spawn(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        Server {
            running,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    async fn with(faults: &[Fault], variants: &[Variant]) -> Server {
        Server::start(ServerConfig {
            faults: faults.to_vec(),
            variants: variants.to_vec(),
            ..Default::default()
        })
        .await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.unwrap().to_vec();
        Reply { status, headers, body }
    }

    fn post(&self, op: &str, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
        self.http
            .post(self.running.url())
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", format!("IoTSecuredTunneling.{op}"))
            .body(body)
    }

    async fn call(&self, op: &str, body: Value) -> Reply {
        self.send(self.post(op, body.to_string())).await
    }

    async fn open(&self) -> Value {
        let r = self.call("OpenTunnel", json!({})).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    }

    async fn rotate(&self, id: &Value, mode: &str) -> Reply {
        self.call("RotateTunnelAccessToken", json!({"tunnelId": id, "clientMode": mode}))
            .await
    }

    async fn describe(&self, id: &Value) -> Value {
        self.call("DescribeTunnel", json!({"tunnelId": id})).await.json()["tunnel"].clone()
    }
}

fn assert_error(r: &Reply, status: u16, error_type: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.error_type().as_deref(),
        Some(error_type),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("content-type"), Some(AMZ_JSON));
    assert!(r.json()["message"].is_string(), "a message is given");
    assert!(r.header("x-amzn-requestid").is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn malformed_bodies_are_serialization_exceptions() {
    let s = Server::with(&[], &[]).await;
    for body in [
        "{",
        "[1]",
        "\"x\"",
        "null",
        "{\"tunnelId\": 5, \"clientMode\": \"SOURCE\"}",
        "\u{0}",
    ] {
        let r = s.send(s.post("RotateTunnelAccessToken", body)).await;
        assert_error(&r, 400, "SerializationException");
    }
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = s.send(s.post("RotateTunnelAccessToken", nested)).await;
    assert_error(&r, 400, "SerializationException");
}

#[tokio::test]
async fn empty_body_is_an_empty_object() {
    let s = Server::with(&[], &[]).await;
    let r = s.send(s.post("ListTunnels", "")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"tunnelSummaries": []}));
    let r = s.send(s.post("RotateTunnelAccessToken", "")).await;
    assert_error(&r, 400, "ValidationException");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("Member must not be null"));
}

#[tokio::test]
async fn constraint_violations_carry_the_aws_validation_message() {
    let s = Server::with(&[], &[]).await;
    let r = s.rotate(&json!("a/b"), "SOURCE").await;
    assert_error(&r, 400, "ValidationException");
    assert_eq!(
        r.json()["message"],
        "1 validation error detected: Value 'a/b' at 'tunnelId' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-zA-Z0-9_\\-+=:]{1,128}"
    );
    let r = s.rotate(&json!("abc"), "source").await;
    assert_error(&r, 400, "ValidationException");
}

#[tokio::test]
async fn wrong_targets_methods_and_paths_are_json_4xx() {
    let s = Server::with(&[], &[]).await;
    let url = s.running.url();
    let no_target = s.http.post(&url).header("content-type", AMZ_JSON).body("{}");
    assert_error(&s.send(no_target).await, 400, "UnknownOperationException");
    assert_error(&s.call("Nope", json!({})).await, 400, "UnknownOperationException");
    let other_service = s.http.post(&url).header("x-amz-target", "Other.ListTunnels").body("{}");
    assert_error(&s.send(other_service).await, 400, "UnknownOperationException");
    let get = s.send(s.http.get(&url)).await;
    assert_error(&get, 405, "UnknownOperationException");
    let path = s
        .send(
            s.http
                .post(format!("{url}/tunnels"))
                .header("x-amz-target", "IoTSecuredTunneling.ListTunnels"),
        )
        .await;
    assert_error(&path, 404, "UnknownOperationException");
}

#[tokio::test]
async fn any_content_type_and_unknown_members_are_served_by_default() {
    let s = Server::with(&[], &[]).await;
    let id = s.open().await["tunnelId"].clone();
    let body = json!({"tunnelId": id, "clientMode": "SOURCE", "extra": {"x": 1}}).to_string();
    for ct in [Some("text/plain"), Some("application/json"), None] {
        let mut req = s
            .http
            .post(s.running.url())
            .header("x-amz-target", "IoTSecuredTunneling.RotateTunnelAccessToken")
            .body(body.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let r = s.send(req).await;
        assert_eq!(r.status, 200, "{ct:?}");
        assert_eq!(r.header("content-type"), Some(AMZ_JSON));
    }
}

#[tokio::test]
async fn body_and_tunnel_caps() {
    let s = Server::start(ServerConfig {
        max_body_bytes: 1024,
        max_tunnels: 2,
        ..Default::default()
    })
    .await;
    let big = format!("{{\"description\": \"{}\"}}", "a".repeat(2000));
    let r = s.send(s.post("OpenTunnel", big)).await;
    assert_error(&r, 413, "RequestEntityTooLargeException");
    s.open().await;
    let second = s.open().await;
    assert_error(&s.call("OpenTunnel", json!({})).await, 400, "LimitExceededException");
    // A deleted tunnel frees its slot.
    let r = s
        .call("CloseTunnel", json!({"tunnelId": second["tunnelId"], "delete": true}))
        .await;
    assert_eq!(r.status, 200);
    s.open().await;
}

#[tokio::test]
async fn every_response_has_a_request_id_and_errors_name_their_type_in_the_header() {
    let s = Server::with(&[], &[]).await;
    let opened = s.call("OpenTunnel", json!({})).await;
    let describe = s.call("DescribeTunnel", json!({"tunnelId": "unknown-id"})).await;
    assert_error(&describe, 400, "ResourceNotFoundException");
    assert_eq!(describe.header("x-amzn-errortype"), Some("ResourceNotFoundException"));
    assert_eq!(describe.json()["__type"], "ResourceNotFoundException");
    let (a, b) = (opened.header("x-amzn-requestid"), describe.header("x-amzn-requestid"));
    assert!(
        a.is_some() && b.is_some() && a != b,
        "request ids are present and differ"
    );
}

#[tokio::test]
async fn source_with_destination_config_is_refused_and_changes_nothing() {
    let s = Server::with(&[], &[]).await;
    let opened = s
        .call(
            "OpenTunnel",
            json!({"destinationConfig": {"thingName": "t1", "services": ["SSH"]}}),
        )
        .await
        .json();
    let id = &opened["tunnelId"];
    let before = s.describe(id).await;
    let r = s
        .call(
            "RotateTunnelAccessToken",
            json!({"tunnelId": id, "clientMode": "SOURCE", "destinationConfig": {"services": ["RDP"]}}),
        )
        .await;
    assert_error(&r, 400, "InvalidRequestException");
    assert_eq!(s.describe(id).await, before);
    // Unknown tunnel with the same conflict: the conflict is reported first (documented choice).
    let r = s
        .call(
            "RotateTunnelAccessToken",
            json!({"tunnelId": "nope", "clientMode": "SOURCE", "destinationConfig": {"services": ["RDP"]}}),
        )
        .await;
    assert_error(&r, 400, "InvalidRequestException");
}

#[tokio::test]
async fn closed_tunnels_stay_visible_refuse_rotation_and_delete_removes_them() {
    let s = Server::with(&[], &[]).await;
    let id = s.open().await["tunnelId"].clone();
    assert_eq!(s.call("CloseTunnel", json!({"tunnelId": id})).await.status, 200);
    assert_eq!(s.describe(&id).await["status"], "CLOSED");
    assert_error(&s.rotate(&id, "ALL").await, 400, "InvalidRequestException");
    assert_eq!(s.describe(&id).await["status"], "CLOSED", "never reopens");
    let listed = s.call("ListTunnels", json!({})).await.json();
    assert_eq!(listed["tunnelSummaries"][0]["status"], "CLOSED");
    assert_eq!(
        s.call("CloseTunnel", json!({"tunnelId": id, "delete": true}))
            .await
            .status,
        200
    );
    assert_error(
        &s.call("DescribeTunnel", json!({"tunnelId": id})).await,
        400,
        "ResourceNotFoundException",
    );
}

// ---- SigV4 ----

const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Signs `req` (its URL, method, headers and body) the way an AWS SDK does.
fn sign_request(req: &mut reqwest::Request, key_id: &str, secret: &str, at: SystemTime) {
    let identity: Identity = Credentials::new(key_id, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("IoTSecuredTunneling")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let body = req.body().and_then(|b| b.as_bytes()).unwrap_or_default().to_vec();
    let signable = SignableRequest::new(
        req.method().as_str(),
        req.url().as_str(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (name, value) in instructions.headers() {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap();
        req.headers_mut().insert(name, value.parse().unwrap());
    }
}

async fn signed(s: &Server, key_id: &str, secret: &str, at: SystemTime, tamper: bool) -> Reply {
    let mut req = s.post("ListTunnels", "{}").build().unwrap();
    sign_request(&mut req, key_id, secret, at);
    if tamper {
        *req.body_mut() = Some(reqwest::Body::from("{\"maxResults\": 1}"));
    }
    let resp = s.http.execute(req).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap().to_vec();
    Reply { status, headers, body }
}

#[tokio::test]
async fn sigv4_verification_accepts_signed_and_rejects_unsigned_stale_foreign_and_tampered() {
    let s = Server::start(ServerConfig {
        verify_sigv4: Some(SigV4Keys::new(KEY_ID, SECRET)),
        ..Default::default()
    })
    .await;
    let now = SystemTime::now();
    assert_eq!(signed(&s, KEY_ID, SECRET, now, false).await.status, 200);

    let unsigned = s.call("ListTunnels", json!({})).await;
    assert_error(&unsigned, 403, "MissingAuthenticationTokenException");

    let stale = signed(&s, KEY_ID, SECRET, now - Duration::from_secs(600), false).await;
    assert_error(&stale, 403, "InvalidSignatureException");
    assert!(stale.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("Signature expired"));

    let foreign = signed(&s, "AKIDOTHER", SECRET, now, false).await;
    assert_error(&foreign, 403, "UnrecognizedClientException");

    let wrong_secret = signed(&s, KEY_ID, "not-the-secret", now, false).await;
    assert_error(&wrong_secret, 403, "InvalidSignatureException");

    let tampered = signed(&s, KEY_ID, SECRET, now, true).await;
    assert_error(&tampered, 403, "InvalidSignatureException");
    for r in [&stale, &foreign, &wrong_secret, &tampered] {
        assert!(
            !String::from_utf8_lossy(&r.body).contains(SECRET),
            "the secret is never echoed"
        );
    }
}

/// A request of the AWS SigV4 test suite (`.sreq`), when it can travel as an HTTP/1.1 request
/// through `http` types (no spaces or raw UTF-8 in the path, no folded header lines).
fn parse_sreq(text: &str) -> Option<(String, http::Uri, http::HeaderMap, Vec<u8>)> {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next()?;
    let (method, rest) = request_line.split_once(' ')?;
    let target = rest.strip_suffix(" HTTP/1.1")?;
    let uri: http::Uri = target.parse().ok()?;
    let mut headers = http::HeaderMap::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return None;
        }
        let (name, value) = line.split_once(':')?;
        headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).ok()?,
            http::HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    Some((method.to_owned(), uri, headers, body.as_bytes().to_vec()))
}

fn sreq_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sreq_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "sreq") {
            out.push(path);
        }
    }
}

/// Vectors whose shipped signature disagrees with their own `.creq`/`.sts`: this one's
/// "signature" is its session token rotated by 24 characters. The correct value is the HMAC of
/// the vector's `.sts` under its signing key (computed independently with Python's hmac).
const WRONG_SIGNATURES: [(&str, &str); 1] = [(
    "get-vanilla-with-session-token",
    "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
)];

#[test]
fn sigv4_test_suite_vectors_verify_and_tampered_copies_do_not() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sigv4");
    let verifier = Verifier::new(SigV4Keys::new(KEY_ID, SECRET), "us-east-1")
        .with_service("service")
        .with_fixed_time(SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160));
    let mut files = Vec::new();
    sreq_files(&suite, &mut files);
    files.sort();
    let mut verified = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let Some((method, uri, mut headers, body)) = parse_sreq(&text) else {
            continue;
        };
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        if let Some((_, good)) = WRONG_SIGNATURES.iter().find(|(n, _)| *n == name) {
            assert!(
                verifier.verify(&method, &uri, &headers, &body).is_err(),
                "{name} is refused as shipped"
            );
            let auth = headers["authorization"].to_str().unwrap();
            let fixed = format!("{}Signature={good}", auth.split("Signature=").next().unwrap());
            headers.insert("authorization", fixed.parse().unwrap());
        }
        assert_eq!(verifier.verify(&method, &uri, &headers, &body), Ok(()), "{name}");

        let mut tampered_body = body.clone();
        tampered_body.extend_from_slice(b"x");
        let err = verifier.verify(&method, &uri, &headers, &tampered_body).unwrap_err();
        assert!(matches!(err, AuthError::BadSignature(_)), "{name}: {err:?}");

        let mut tampered_date = headers.clone();
        tampered_date.insert("x-amz-date", "20150830T123601Z".parse().unwrap());
        let err = verifier.verify(&method, &uri, &tampered_date, &body).unwrap_err();
        assert!(matches!(err, AuthError::BadSignature(_)), "{name}: {err:?}");

        let late = verifier
            .clone()
            .with_fixed_time(SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160 + 301));
        assert!(
            matches!(late.verify(&method, &uri, &headers, &body), Err(AuthError::Expired(_))),
            "{name}"
        );
        verified.push(name);
    }
    // 32 of 34 apply; get-space and get-header-value-multiline need a space in the path and a
    // folded header line, which no HTTP/1.1 server receives as such.
    assert!(
        verified.len() >= 32,
        "only {} vectors verified: {verified:?}",
        verified.len()
    );
    for must in [
        "post-vanilla",
        "post-x-www-form-urlencoded",
        "post-sts-header-before",
        "post-sts-header-after",
    ] {
        assert!(verified.iter().any(|v| v == must), "{must} verified");
    }
}

// ---- Faults and variants ----

/// Whether the server shows `fault`'s deviation, probed over HTTP. `None`: the fault needs the
/// tunnel clock to move and is covered by the server's unit tests instead.
async fn shows(s: &Server, fault: Fault) -> Option<bool> {
    use Fault::*;
    let opened = s
        .call("OpenTunnel", json!({"timeoutConfig": {"maxLifetimeTimeoutMinutes": 5}}))
        .await
        .json();
    let id = &opened["tunnelId"];
    let rotate_with = |body: Value| async move { s.call("RotateTunnelAccessToken", body).await };
    Some(match fault {
        ExtendLifetimeVisible | ExtendLifetimeHidden | ExpiryNotEnforced => return None,
        // Data-plane faults show on the WebSocket: tests/dataplane.rs and the mutation score.
        RevokedTokenAccepted
        | RotationRevokesOtherSide
        | NewTokenRefused
        | RefusedRotationRevokesSource
        | TokenReusable
        | ClientTokenIgnored
        | ClosedTunnelTokenAccepted
        | CloseKeepsConnections
        | ConnectionStateNeverUpdated
        | SubprotocolNotEchoed
        | ModeMismatchAccepted
        | RelayDropsWhenBusy
        | RelayReorders
        | RevokedTokenRefused500
        | ServiceIdsWithheld
        | ClientTokenReconnectRefused => return None,
        TimeoutReset => {
            s.rotate(id, "SOURCE").await;
            s.describe(id).await["timeoutConfig"]["maxLifetimeTimeoutMinutes"] != 5
        }
        RotationClosesTunnel => {
            s.rotate(id, "SOURCE").await;
            s.describe(id).await["status"] != "OPEN"
        }
        SourceDestConfigAccepted => {
            let r = rotate_with(
                json!({"tunnelId": id, "clientMode": "SOURCE", "destinationConfig": {"services": ["SSH"]}}),
            )
            .await;
            r.status == 200
        }
        SourceDestConfigApplied => {
            rotate_with(json!({"tunnelId": id, "clientMode": "SOURCE", "destinationConfig": {"services": ["SSH"]}}))
                .await;
            !s.describe(id).await["destinationConfig"].is_null()
        }
        NotFound404 | NotFoundWrongType | NotFound500 => {
            let r = s.rotate(&json!("no-such-tunnel"), "SOURCE").await;
            r.status != 400 || r.error_type().as_deref() != Some("ResourceNotFoundException")
        }
        AllTokensAlways | WrongTokenForMode => {
            let r = s.rotate(id, "SOURCE").await.json();
            r.get("destinationAccessToken").is_some()
        }
        MissingArn => s.rotate(id, "SOURCE").await.json().get("tunnelArn").is_none(),
        WrongArn => s.rotate(id, "SOURCE").await.json()["tunnelArn"] != opened["tunnelArn"],
        TunnelArnTooLong => s.rotate(id, "SOURCE").await.json()["tunnelArn"].as_str().map(str::len) == Some(1601),
        TunnelArnEmpty => s.rotate(id, "SOURCE").await.json()["tunnelArn"] == "",
        TokensNotRotated => s.rotate(id, "SOURCE").await.json()["sourceAccessToken"] == opened["sourceAccessToken"],
        EmptyTokens => s.rotate(id, "SOURCE").await.json()["sourceAccessToken"] == "",
        IdenticalTokens => {
            let r = s.rotate(id, "ALL").await.json();
            r["sourceAccessToken"] == r["destinationAccessToken"]
        }
        TokensRecycled => {
            s.rotate(id, "SOURCE").await;
            s.rotate(id, "SOURCE").await.json()["sourceAccessToken"] == opened["sourceAccessToken"]
        }
        LowercaseEnumAccepted => s.rotate(id, "source").await.status == 200,
        MissingModeDefaultsAll => rotate_with(json!({"tunnelId": id})).await.status == 200,
        ServicesUnchecked => {
            let r =
                rotate_with(json!({"tunnelId": id, "clientMode": "ALL", "destinationConfig": {"services": []}})).await;
            r.status == 200
        }
        ServicesOptional => {
            let r = rotate_with(json!({"tunnelId": id, "clientMode": "ALL", "destinationConfig": {"thingName": "t"}}))
                .await;
            r.status == 200
        }
        ThingNameUnchecked => {
            let cfg = json!({"thingName": "no spaces allowed", "services": ["SSH"]});
            rotate_with(json!({"tunnelId": id, "clientMode": "ALL", "destinationConfig": cfg}))
                .await
                .status
                == 200
        }
        SuccessStatus201 => s.rotate(id, "SOURCE").await.status == 201,
        MaxLengthOffByOne => {
            let svc = "s".repeat(128);
            let r = rotate_with(json!({"tunnelId": id, "clientMode": "ALL", "destinationConfig": {"services": [svc]}}))
                .await;
            r.status != 200
        }
        SpecialCharsRejected => {
            let r = s.rotate(&json!("a+b=c:d"), "SOURCE").await;
            r.error_type().as_deref() != Some("ResourceNotFoundException")
        }
        ClosedTunnelReopens => {
            s.call("CloseTunnel", json!({"tunnelId": id})).await;
            s.rotate(id, "SOURCE").await;
            s.describe(id).await["status"] == "OPEN"
        }
        LookupBeforeValidation => {
            let r = s.rotate(&json!("x".repeat(129)), "SOURCE").await;
            r.error_type().as_deref() == Some("ResourceNotFoundException")
        }
        ClosedTunnelAccepted => {
            s.call("CloseTunnel", json!({"tunnelId": id})).await;
            let accepted = s.rotate(id, "SOURCE").await.status == 200;
            accepted && s.describe(id).await["status"] == "CLOSED"
        }
        ErrorBodyPlainText | ErrorTypeMissing => {
            let r = s.rotate(&json!("no-such-tunnel"), "SOURCE").await;
            r.error_type().is_none()
        }
        ServerErrorOnMalformedJson => s.send(s.post("RotateTunnelAccessToken", "{")).await.status >= 500,
        ServerErrorOnUnknownMember => {
            rotate_with(json!({"tunnelId": id, "clientMode": "SOURCE", "x": 1}))
                .await
                .status
                >= 500
        }
        SuccessContentTypeHtml => s.rotate(id, "SOURCE").await.header("content-type") != Some(AMZ_JSON),
        TimestampsAsStrings => !s.describe(id).await["createdAt"].is_number(),
        TunnelStatusLowercase => s.describe(id).await["status"] == "open",
        ConnectionStatusLowercase => s.describe(id).await["sourceConnectionState"]["status"] == "disconnected",
    })
}

#[tokio::test]
async fn each_fault_shows_its_deviation_and_the_default_server_does_not() {
    let conformant = Server::with(&[], &[]).await;
    let mut probed = 0;
    for &fault in Fault::all() {
        let Some(on_default) = shows(&conformant, fault).await else {
            continue;
        };
        assert!(!on_default, "the default server shows {fault}");
        let faulty = Server::with(&[fault], &[]).await;
        assert_eq!(shows(&faulty, fault).await, Some(true), "{fault} has no visible effect");
        faulty.running.shutdown().await;
        probed += 1;
    }
    assert!(probed >= 25, "{probed} faults probed over HTTP");
}

#[tokio::test]
async fn error_style_variants() {
    let s = Server::with(&[], &[Variant::NamespacedErrorType]).await;
    let r = s.rotate(&json!("no-such-tunnel"), "SOURCE").await;
    assert_eq!(
        r.json()["__type"],
        "com.amazonaws.iotsecuretunneling#ResourceNotFoundException"
    );
    assert_eq!(r.error_type().as_deref(), Some("ResourceNotFoundException"));

    let s = Server::with(&[], &[Variant::ErrorTypeSuffix]).await;
    let r = s.rotate(&json!("no-such-tunnel"), "SOURCE").await;
    assert!(r
        .header("x-amzn-errortype")
        .unwrap()
        .starts_with("ResourceNotFoundException:http://internal.amazon.com/coral/"));
    assert_eq!(r.error_type().as_deref(), Some("ResourceNotFoundException"));

    let s = Server::with(&[], &[Variant::CapitalMessage, Variant::HeaderOnlyErrorType]).await;
    let r = s.rotate(&json!("no-such-tunnel"), "SOURCE").await;
    let body = r.json();
    assert!(body.get("__type").is_none() && body["Message"].is_string() && body.get("message").is_none());
    assert_eq!(r.error_type().as_deref(), Some("ResourceNotFoundException"));

    let s = Server::with(&[], &[Variant::InvalidRequestException]).await;
    assert_eq!(
        s.rotate(&json!("a/b"), "SOURCE").await.error_type().as_deref(),
        Some("InvalidRequestException")
    );
}

#[tokio::test]
async fn format_variants() {
    let s = Server::with(
        &[],
        &[
            Variant::ApplicationJson,
            Variant::ExtraResponseMembers,
            Variant::FractionalTimestamps,
        ],
    )
    .await;
    let opened = s.call("OpenTunnel", json!({})).await;
    assert_eq!(opened.header("content-type"), Some("application/json"));
    assert!(opened
        .json()
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k == "rotcheckServedBy"));
    assert!(s.describe(&opened.json()["tunnelId"]).await["createdAt"].is_f64());

    let s = Server::with(&[], &[Variant::UuidIdsAndJwtTokens]).await;
    let opened = s.open().await;
    let id = opened["tunnelId"].as_str().unwrap();
    assert_eq!((id.len(), id.matches('-').count()), (36, 4));
    assert_eq!(opened["sourceAccessToken"].as_str().unwrap().matches('.').count(), 2);

    let s = Server::with(&[], &[Variant::FullAlphabetIds]).await;
    let opened = s.open().await;
    let id = &opened["tunnelId"];
    assert_eq!(id.as_str().unwrap().chars().count(), 128);
    assert!(id.as_str().unwrap().contains(['+', '=', ':']));
    assert_eq!(s.rotate(id, "ALL").await.status, 200);
}

#[tokio::test]
async fn strictness_and_choice_variants() {
    let s = Server::with(
        &[],
        &[
            Variant::StrictUnknownMembers,
            Variant::StrictContentType,
            Variant::Max3Services,
        ],
    )
    .await;
    let id = s.open().await["tunnelId"].clone();
    let r = s
        .call(
            "RotateTunnelAccessToken",
            json!({"tunnelId": id, "clientMode": "SOURCE", "x": 1}),
        )
        .await;
    assert_eq!(r.status, 400);
    let plain = s
        .http
        .post(s.running.url())
        .header("content-type", "text/plain")
        .header("x-amz-target", "IoTSecuredTunneling.ListTunnels")
        .body("{}");
    assert_eq!(s.send(plain).await.status, 415);
    let four = json!({"tunnelId": id, "clientMode": "ALL", "destinationConfig": {"services": ["a", "b", "c", "d"]}});
    assert_eq!(s.call("RotateTunnelAccessToken", four).await.status, 400);

    let s = Server::with(
        &[],
        &[Variant::ClosedTunnel409Conflict, Variant::NotFoundBeforeConflict],
    )
    .await;
    let id = s.open().await["tunnelId"].clone();
    s.call("CloseTunnel", json!({"tunnelId": id})).await;
    assert_error(&s.rotate(&id, "SOURCE").await, 409, "ConflictException");
    let r = s
        .call(
            "RotateTunnelAccessToken",
            json!({"tunnelId": "nope", "clientMode": "SOURCE", "destinationConfig": {"services": ["SSH"]}}),
        )
        .await;
    assert_error(&r, 400, "ResourceNotFoundException");

    let s = Server::with(&[], &[Variant::ListPageSize1]).await;
    s.open().await;
    s.open().await;
    let page = s.call("ListTunnels", json!({})).await.json();
    assert_eq!(page["tunnelSummaries"].as_array().unwrap().len(), 1);
    assert!(page["nextToken"].is_string());
}

#[tokio::test]
async fn more_than_three_services_are_accepted_by_default() {
    let s = Server::with(&[], &[]).await;
    let id = s.open().await["tunnelId"].clone();
    let four = json!({"tunnelId": id, "clientMode": "ALL", "destinationConfig": {"services": ["a", "b", "c", "d"]}});
    assert_eq!(s.call("RotateTunnelAccessToken", four).await.status, 200);
}

// ---- The `rotcheck serve` command ----

#[test]
fn serve_lists_faults_and_variants() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["serve", "--list-faults", "--list-variants"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), Fault::all().len() + Variant::all().len());
    assert!(text.contains("extend-lifetime-hidden") && text.contains("duration-live"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["serve", "--fault", "no-such-fault"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[cfg(unix)]
#[tokio::test]
async fn serve_prints_its_url_logs_requests_without_secrets_and_stops_on_sigterm() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["serve", "--port", "0", "--verify-sigv4", "-vv"])
        .env("ROTCHECK_ACCESS_KEY_ID", KEY_ID)
        .env("ROTCHECK_SECRET_ACCESS_KEY", SECRET)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("listening on ").unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |op: &str, body: String| {
        http.post(&url)
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", format!("IoTSecuredTunneling.{op}"))
            .body(body)
            .build()
            .unwrap()
    };
    let mut secrets = vec![SECRET.to_owned()];
    let mut open = post("OpenTunnel", "{}".into());
    sign_request(&mut open, KEY_ID, SECRET, SystemTime::now());
    secrets.push(
        open.headers()["authorization"]
            .to_str()
            .unwrap()
            .rsplit('=')
            .next()
            .unwrap()
            .to_owned(),
    );
    let opened: Value = http.execute(open).await.unwrap().json().await.unwrap();
    let mut rotate = post(
        "RotateTunnelAccessToken",
        json!({"tunnelId": opened["tunnelId"], "clientMode": "ALL"}).to_string(),
    );
    sign_request(&mut rotate, KEY_ID, SECRET, SystemTime::now());
    let rotated: Value = http.execute(rotate).await.unwrap().json().await.unwrap();
    for v in [&opened, &rotated] {
        for k in ["sourceAccessToken", "destinationAccessToken"] {
            secrets.push(v[k].as_str().unwrap().to_owned());
        }
    }

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "clean exit on SIGTERM: {:?}", out.status);
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("RotateTunnelAccessToken") && logs.contains("200"),
        "{logs}"
    );
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "a secret leaked into the logs");
    }
}
