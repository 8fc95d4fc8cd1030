//! The protocol client against small servers on 127.0.0.1: what it sends (and that the signature
//! covers exactly that), the body cap, timeouts, refused connections, broken responses, error
//! parsing, and credential resolution (in a child process with a controlled environment).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use rotcheck::client::sigv4::{sign, Scope, Signable};
use rotcheck::client::{parse_error, Client, ClientError, ConnectOptions, TransportError, TypeSource};
use rotcheck::wire::HttpRequest;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Every test is bounded: a client bug that hangs fails the test instead of the CI job.
const GUARD: Duration = Duration::from_secs(20);

fn creds() -> Credentials {
    Credentials::new("AKIDTEST", "test-secret-key", None, None, "test")
}

fn opts() -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A server that records each request and answers with `respond`.
async fn recording_server(respond: fn(&Seen) -> Response) -> (String, Log) {
    let log: Log = Arc::default();
    let log2 = log.clone();
    let app = Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let log = log2.clone();
        async move {
            let seen = Seen {
                method: method.to_string(),
                path: uri.path().to_owned(),
                headers: headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: body.to_vec(),
            };
            let resp = respond(&seen);
            log.lock().unwrap().push(seen);
            resp
        }
    });
    (serve(app).await, log)
}

async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A raw TCP server that reads the request head and writes `reply` verbatim, then closes
/// (or, with `None`, holds the connection open without answering).
async fn raw_server(reply: Option<&'static [u8]>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                match reply {
                    Some(bytes) => {
                        let _ = sock.write_all(bytes).await;
                        let _ = sock.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(3600)).await,
                }
            });
        }
    });
    format!("http://{addr}")
}

fn ok_json(_: &Seen) -> Response {
    (
        StatusCode::OK,
        [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", "r-1"),
        ],
        r#"{"tunnelArn":"arn:aws:iot:us-east-1:123456789012:tunnel/x"}"#,
    )
        .into_response()
}

fn header<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn parse_amz_date(s: &str) -> SystemTime {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(4, 6), n(6, 8));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    UNIX_EPOCH + Duration::from_secs((days * 86_400 + n(9, 11) * 3600 + n(11, 13) * 60 + n(13, 15)) as u64)
}

/// Verify a received request's signature the way a server does: recompute it from the headers
/// it names as signed, the method, path and body as received.
fn verify_signature(seen: &Seen, credentials: &Credentials, region: &str) -> Result<(), String> {
    let auth = header(seen, "authorization").ok_or("no authorization header")?;
    let signed: Vec<&str> = auth
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .ok_or("no SignedHeaders")?
        .split(';')
        .collect();
    let date = header(seen, "x-amz-date").ok_or("no x-amz-date")?;
    let headers: Vec<(String, String)> = seen
        .headers
        .iter()
        .filter(|(k, _)| signed.contains(&k.as_str()) && k != "x-amz-date" && k != "x-amz-security-token")
        .cloned()
        .collect();
    let host = header(seen, "host").ok_or("no host")?;
    let url = format!("http://{host}{}", seen.path);
    let expected = sign(
        Signable {
            method: &seen.method,
            url: &url,
            headers: &headers,
            body: &seen.body,
        },
        Scope {
            region,
            service: "IoTSecuredTunneling",
            time: parse_amz_date(date),
            sign_session_token: true,
            double_encode_path: true,
        },
        credentials,
    )
    .map_err(|e| e.to_string())?;
    let expected_auth = expected
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str())
        .ok_or("no authorization produced")?;
    if expected_auth == auth {
        Ok(())
    } else {
        Err(format!(
            "signature mismatch:\n sent     {auth}\n expected {expected_auth}"
        ))
    }
}

async fn guarded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, f)
        .await
        .expect("the client call is bounded by its own timeouts")
}

#[tokio::test]
async fn call_sends_a_signed_aws_json_request_to_root() {
    let (url, log) = recording_server(ok_json).await;
    let client = Client::for_endpoint(&url, "eu-west-1", creds(), &opts()).unwrap();
    let resp = guarded(client.call(
        "RotateTunnelAccessToken",
        &json!({"tunnelId": "t", "clientMode": "ALL"}),
    ))
    .await
    .unwrap();
    assert_eq!(resp.status, 200);
    assert!(!resp.truncated);
    assert_eq!(resp.header("x-amzn-requestid"), Some("r-1"));
    assert_eq!(
        resp.body_json().unwrap()["tunnelArn"],
        "arn:aws:iot:us-east-1:123456789012:tunnel/x"
    );

    let seen = log.lock().unwrap()[0].clone();
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("POST", "/"));
    assert_eq!(header(&seen, "content-type"), Some("application/x-amz-json-1.1"));
    assert_eq!(
        header(&seen, "x-amz-target"),
        Some("IoTSecuredTunneling.RotateTunnelAccessToken")
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&seen.body).unwrap()["clientMode"],
        "ALL"
    );
    let auth = header(&seen, "authorization").unwrap();
    assert!(auth.contains("/eu-west-1/IoTSecuredTunneling/aws4_request"), "{auth}");
    assert!(
        auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target"),
        "{auth}"
    );
    verify_signature(&seen, &creds(), "eu-west-1").unwrap();
    // A wrong secret must not verify: the check above can fail.
    let wrong = Credentials::new("AKIDTEST", "other-secret", None, None, "test");
    assert!(verify_signature(&seen, &wrong, "eu-west-1").is_err());
}

#[tokio::test]
async fn mutated_requests_are_sent_as_built_and_signed() {
    let (url, log) = recording_server(ok_json).await;
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let mut req = HttpRequest::raw("RotateTunnelAccessToken", vec![0xff, 0x00, 0xfe, b'{']);
    req.method = "GET".into();
    req.remove_header("Content-Type");
    req.headers.push(("X-Dup".into(), "a".into()));
    req.headers.push(("X-Dup".into(), "b".into()));
    req.set_header("Content-Length", "9999"); // the HTTP stack frames the body, not the request
    let resp = guarded(client.send(&req)).await.unwrap();
    assert_eq!(resp.status, 200);
    let seen = log.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.body, vec![0xff, 0x00, 0xfe, b'{']);
    assert_eq!(header(&seen, "content-type"), None);
    assert_eq!(seen.headers.iter().filter(|(k, _)| k == "x-dup").count(), 2);
    verify_signature(&seen, &creds(), "us-east-1").unwrap();

    let with_token = Credentials::new("ASIATEST", "secret", Some("session-token".into()), None, "test");
    let client = Client::for_endpoint(&url, "us-east-1", with_token.clone(), &opts()).unwrap();
    guarded(client.call("ListTunnels", &json!({}))).await.unwrap();
    let seen = log.lock().unwrap()[1].clone();
    assert_eq!(header(&seen, "x-amz-security-token"), Some("session-token"));
    verify_signature(&seen, &with_token, "us-east-1").unwrap();
}

#[tokio::test]
async fn unsendable_requests_are_errors() {
    let (url, _log) = recording_server(ok_json).await;
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let mut req = HttpRequest::json("ListTunnels", &json!({}));
    req.method = "BAD METHOD".into();
    assert!(matches!(
        guarded(client.send(&req)).await,
        Err(TransportError::InvalidRequest(_))
    ));
    let mut req = HttpRequest::json("ListTunnels", &json!({}));
    req.headers.push(("X-Bad".into(), "a\r\nInjected: yes".into()));
    assert!(guarded(client.send(&req)).await.is_err());
    assert!(guarded(client.send_unsigned(&req)).await.is_err());
}

#[tokio::test]
async fn unsigned_requests_carry_no_signature() {
    let (url, log) = recording_server(ok_json).await;
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    guarded(client.send_unsigned(&HttpRequest::json("ListTunnels", &json!({}))))
        .await
        .unwrap();
    let seen = log.lock().unwrap()[0].clone();
    assert_eq!(header(&seen, "authorization"), None);
    assert_eq!(header(&seen, "x-amz-date"), None);
}

#[tokio::test]
async fn response_bodies_are_capped() {
    let url = serve(Router::new().fallback(|| async { vec![b'x'; 3 << 20] })).await;
    let small = ConnectOptions {
        max_body_bytes: 1000,
        ..opts()
    };
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &small).unwrap();
    let resp = guarded(client.call("ListTunnels", &json!({}))).await.unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp.truncated);
    assert_eq!(resp.body.len(), 1000);

    // Exactly at the cap is not truncated.
    let exact = ConnectOptions {
        max_body_bytes: 3 << 20,
        ..opts()
    };
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &exact).unwrap();
    let resp = guarded(client.call("ListTunnels", &json!({}))).await.unwrap();
    assert!(!resp.truncated);
    assert_eq!(resp.body.len(), 3 << 20);
}

#[tokio::test]
async fn an_endless_body_stops_at_the_cap() {
    // A chunked response that never ends: the client must stop at the cap, not wait or buffer.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let mut buf = vec![0u8; 65536];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await;
        let chunk = [b"10000\r\n".as_slice(), &[b'y'; 65536], b"\r\n"].concat();
        while sock.write_all(&chunk).await.is_ok() {}
    });
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let resp = guarded(client.call("ListTunnels", &json!({}))).await.unwrap();
    assert!(resp.truncated);
    assert_eq!(resp.body.len(), rotcheck::client::config::DEFAULT_MAX_BODY_BYTES);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let url = raw_server(None).await;
    let quick = ConnectOptions {
        timeout: Duration::from_millis(300),
        ..opts()
    };
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &quick).unwrap();
    let err = guarded(client.call("ListTunnels", &json!({}))).await.unwrap_err();
    assert!(matches!(err, TransportError::Timeout { .. }), "{err:?}");
    assert!(!err.is_unreachable());
    assert!(err.to_string().contains(&url), "{err}");
}

/// Linux only: there a full accept queue makes the kernel drop further SYNs (other systems may
/// answer with a reset instead).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_connection_that_is_never_accepted_hits_the_connect_timeout() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        if let Ok(Ok(c)) = tokio::time::timeout(Duration::from_millis(200), s.connect(addr)).await {
            fillers.push(c);
        }
    }
    let quick = ConnectOptions {
        connect_timeout: Duration::from_millis(300),
        ..opts()
    };
    let client = Client::for_endpoint(&format!("http://{addr}"), "us-east-1", creds(), &quick).unwrap();
    let err = guarded(client.call("ListTunnels", &json!({}))).await.unwrap_err();
    assert!(matches!(err, TransportError::ConnectTimeout { .. }), "{err:?}");
    assert!(err.is_unreachable());
    drop(listener);
}

#[tokio::test]
async fn a_refused_connection_is_an_unreachable_error_naming_the_endpoint() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}");
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let err = guarded(client.call("ListTunnels", &json!({}))).await.unwrap_err();
    assert!(matches!(err, TransportError::Refused { .. }), "{err:?}");
    assert!(err.is_unreachable());
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[tokio::test]
async fn garbage_responses_become_typed_errors() {
    for reply in [
        &b"this is not HTTP\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nbad header line\r\n\r\n",
        b"",
    ] {
        let url = raw_server(Some(reply)).await;
        let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
        let err = guarded(client.call("ListTunnels", &json!({}))).await.unwrap_err();
        assert!(
            matches!(err, TransportError::Protocol { .. }),
            "{:?}: {err:?}",
            String::from_utf8_lossy(reply)
        );
        assert!(err.to_string().contains(&url), "{err}");
    }
    // A body cut short of its Content-Length.
    let url = raw_server(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")).await;
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let err = guarded(client.call("ListTunnels", &json!({}))).await.unwrap_err();
    assert!(matches!(err, TransportError::Body { .. }), "{err:?}");
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    let (url, _) = recording_server(ok_json).await;
    let url = url.replace("http://", "https://");
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let err = guarded(client.call("ListTunnels", &json!({}))).await.unwrap_err();
    assert!(matches!(err, TransportError::Tls { .. }), "{err:?}");
    assert!(err.is_unreachable());
}

#[tokio::test]
async fn odd_but_valid_responses_are_data() {
    let url = raw_server(Some(
        b"HTTP/1.1 599 Whatever\r\nX-Binary: \xff\xfe\r\nContent-Length: 4\r\n\r\n\x00\xff{[",
    ))
    .await;
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let resp = guarded(client.call("ListTunnels", &json!({}))).await.unwrap();
    assert_eq!(resp.status, 599);
    assert_eq!(resp.body, b"\x00\xff{[");
    assert!(resp.header("x-binary").is_some());
    assert!(parse_error(&resp).is_none());
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let url = serve(
        Router::new().fallback(|| async { (StatusCode::FOUND, [("location", "http://127.0.0.1:1/elsewhere")], "") }),
    )
    .await;
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let resp = guarded(client.call("ListTunnels", &json!({}))).await.unwrap();
    assert_eq!(resp.status, 302);
}

#[tokio::test]
async fn errors_are_parsed_end_to_end() {
    fn not_found(_: &Seen) -> Response {
        (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.1")],
            r#"{"__type":"com.amazonaws.iot.tunneling#ResourceNotFoundException","message":"Tunnel not found"}"#,
        )
            .into_response()
    }
    fn header_only(_: &Seen) -> Response {
        (
            StatusCode::FORBIDDEN,
            [("x-amzn-errortype", "InvalidSignatureException:http://internal/")],
            r#"{"Message":"bad signature"}"#,
        )
            .into_response()
    }
    let (url, _) = recording_server(not_found).await;
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let resp = guarded(client.call("DescribeTunnel", &json!({"tunnelId": "nope"})))
        .await
        .unwrap();
    assert_eq!(resp.status, 400);
    let e = parse_error(&resp).unwrap();
    assert_eq!(e.type_name, "ResourceNotFoundException");
    assert_eq!(e.source, TypeSource::BodyType);
    assert_eq!(e.message.as_deref(), Some("Tunnel not found"));

    let (url, _) = recording_server(header_only).await;
    let client = Client::for_endpoint(&url, "us-east-1", creds(), &opts()).unwrap();
    let resp = guarded(client.call("DescribeTunnel", &json!({"tunnelId": "x"})))
        .await
        .unwrap();
    let e = parse_error(&resp).unwrap();
    assert_eq!(
        (e.type_name.as_str(), e.source),
        ("InvalidSignatureException", TypeSource::Header)
    );
    assert_eq!(e.message.as_deref(), Some("bad signature"));
}

#[test]
fn debug_output_never_shows_the_secret() {
    let c = Credentials::new(
        "AKIDTEST",
        "very-secret-key",
        Some("very-secret-token".into()),
        None,
        "t",
    );
    let client = Client::for_endpoint("http://127.0.0.1:1", "us-east-1", c, &opts()).unwrap();
    let shown = format!("{client:?}");
    assert!(shown.contains("127.0.0.1:1") && shown.contains("us-east-1"), "{shown}");
    assert!(!shown.contains("very-secret"), "{shown}");
}

#[test]
fn bad_endpoints_are_setup_errors() {
    for bad in ["127.0.0.1:8080", "ftp://host", "http://"] {
        assert!(
            matches!(
                Client::for_endpoint(bad, "us-east-1", creds(), &opts()),
                Err(ClientError::InvalidEndpoint { .. })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        Client::for_endpoint("http://127.0.0.1:1", "us east", creds(), &opts()),
        Err(ClientError::InvalidRegion(_))
    ));
}

// ---- credential resolution, in a child process with a controlled environment ----------------

/// Environment variables that could leak the developer's own AWS setup into the child.
const AWS_VARS: [&str; 10] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_IOTSECURETUNNELING",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
];

/// Run `child_connect` in a fresh process with `vars` as its AWS environment; returns its report.
async fn connect_in_child(vars: &[(&str, &str)], home: &std::path::Path) -> serde_json::Value {
    let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let home = home.to_owned();
    // Off the runtime: the servers the child calls run on this test's runtime.
    let report = tokio::task::spawn_blocking(move || run_child(&vars, &home))
        .await
        .unwrap();
    serde_json::from_str(&report).unwrap()
}

fn run_child(vars: &[(String, String)], home: &std::path::Path) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = std::process::Command::new(exe);
    cmd.args([
        "child_connect",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for v in AWS_VARS {
        cmd.env_remove(v);
    }
    cmd.env("HOME", home)
        .env("USERPROFILE", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("ROTCHECK_CHILD", "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.split_once("CHILD-REPORT ").map(|(_, r)| r.to_owned()))
        .unwrap_or_else(|| {
            panic!(
                "child gave no report: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// Helper for the tests above, not a test of its own: connects with the inherited environment
/// and reports the outcome (after one signed call when it connects).
#[tokio::test]
#[ignore = "run by connect_in_child with a controlled environment"]
async fn child_connect() {
    if std::env::var("ROTCHECK_CHILD").is_err() {
        return;
    }
    let opts = ConnectOptions {
        profile: std::env::var("CHILD_PROFILE_FLAG").ok(),
        ..Default::default()
    };
    let report = match Client::connect(opts).await {
        Err(e) => json!({"error": format!("{e:?}"), "message": e.to_string()}),
        Ok(client) => {
            let sent = client.call("ListTunnels", &json!({})).await;
            json!({"notice": client.notice(), "region": client.region(), "endpoint": client.endpoint(),
                "status": sent.as_ref().ok().map(|r| r.status), "call_error": sent.err().map(|e| e.to_string())})
        }
    };
    println!("CHILD-REPORT {report}");
}

#[tokio::test]
async fn credential_resolution_placeholder_env_and_profile() {
    let home = tempfile::tempdir().unwrap();
    let (url, log) = recording_server(ok_json).await;
    let auth_of_last = |log: &Log| {
        header(log.lock().unwrap().last().unwrap(), "authorization")
            .unwrap()
            .to_owned()
    };
    let remote = "https://api.tunneling.iot.us-east-1.amazonaws.com";

    // No credentials, loopback endpoint: placeholder credentials, with a notice.
    let r = connect_in_child(&[("AWS_ENDPOINT_URL", &url)], home.path()).await;
    assert!(r["notice"].as_str().unwrap().contains("placeholder"), "{r}");
    assert_eq!(r["region"], "us-east-1");
    assert_eq!(r["status"], 200, "{r}");
    assert!(auth_of_last(&log).contains("Credential=AKIDROTCHECKPLACEHOLDER/"));

    // No credentials, remote endpoint: a setup error that says what to set (nothing is sent).
    let r = connect_in_child(&[("AWS_ENDPOINT_URL", remote)], home.path()).await;
    assert!(r["error"].as_str().unwrap().starts_with("NoCredentials"), "{r}");
    assert!(r["message"].as_str().unwrap().contains("AWS_ACCESS_KEY_ID"), "{r}");

    // No endpoint at all.
    let r = connect_in_child(&[], home.path()).await;
    assert_eq!(r["error"], "NoEndpoint", "{r}");

    // Environment credentials and region.
    let env_creds = [
        ("AWS_ENDPOINT_URL", url.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_REGION", "eu-north-1"),
    ];
    let r = connect_in_child(&env_creds, home.path()).await;
    assert!(r["notice"].is_null(), "{r}");
    assert_eq!(r["region"], "eu-north-1");
    assert_eq!(r["status"], 200, "{r}");
    assert!(auth_of_last(&log).contains("Credential=AKIDFROMENV/"));

    // A named profile from the shared credentials file.
    let file = home.path().join("credentials");
    std::fs::write(
        &file,
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n\n\
         [other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = o\n",
    )
    .unwrap();
    let file_s = file.to_string_lossy().into_owned();
    let profile = [
        ("AWS_ENDPOINT_URL", url.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", &file_s),
        ("AWS_PROFILE", "other"),
    ];
    let r = connect_in_child(&profile, home.path()).await;
    assert!(r["notice"].is_null(), "{r}");
    assert_eq!(r["status"], 200, "{r}");
    assert!(auth_of_last(&log).contains("Credential=AKIDOTHER/"));

    // --profile wins over credentials in the environment (as in the AWS CLI).
    let flag = [
        ("AWS_ENDPOINT_URL", url.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", &file_s),
        ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("CHILD_PROFILE_FLAG", "default"),
    ];
    let r = connect_in_child(&flag, home.path()).await;
    assert_eq!(r["status"], 200, "{r}");
    assert!(auth_of_last(&log).contains("Credential=AKIDDEFAULT/"));

    // A profile that would need the instance metadata service is refused, not probed.
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile imds]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = Ec2InstanceMetadata\n",
    )
    .unwrap();
    let config_s = config.to_string_lossy().into_owned();
    let imds = [
        ("AWS_ENDPOINT_URL", remote),
        ("AWS_CONFIG_FILE", &config_s),
        ("AWS_PROFILE", "imds"),
    ];
    let r = connect_in_child(&imds, home.path()).await;
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("never queries instance or container metadata"),
        "{r}"
    );
}
