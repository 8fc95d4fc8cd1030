//! The data-plane client: a local proxy's WebSocket handshake (`GET /tunnel?local-proxy-mode=...`
//! with the access token in a header or cookie), recorded as data. A refusal becomes its status,
//! headers and the start of its body; an accepted handshake becomes a [`Connection`] that can read
//! the first message (`SERVICE_IDS`), wait for the server to close, and close.
//!
//! The upgrade is sent by reqwest (so `wss://` uses the same TLS stack as the control plane) and
//! the upgraded stream is framed by tokio-tungstenite. Tokens are [`SecretString`]s: they are
//! only exposed into the request header and appear in no error, log line or `Debug` output.

use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::Url;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::error::{certificate_problem, source_chain, UNTRUSTED_ADVICE};
use super::tls::{http_client_builder, TlsSettings};
use crate::secret::SecretString;
use crate::wire::frame::{self, TunnelMessage};

/// The subprotocols a local proxy offers.
pub const SUBPROTOCOLS: [&str; 3] = [
    "aws.iot.securetunneling-3.0",
    "aws.iot.securetunneling-2.0",
    "aws.iot.securetunneling-1.0",
];
/// How much of a refusal's body is kept.
pub const BODY_PREFIX_BYTES: usize = 512;
const TOKEN_HEADER: &str = "access-token";
const TOKEN_COOKIE: &str = "awsiot-tunnel-token";

/// Messages carry the whole chain of causes as text, once (never a token: reqwest's errors are
/// taken without the URL's query, and headers never appear in them).
#[derive(Debug, thiserror::Error)]
pub enum DataPlaneError {
    #[error("data-plane URL {0:?} must start with ws:// or wss://")]
    Scheme(String),
    #[error("data-plane URL {0:?} is not a valid URL")]
    Url(String),
    #[error("cannot create the data-plane HTTP client: {0}")]
    Http(String),
    #[error("the data-plane handshake failed: {0}")]
    Transport(String),
    #[error("the data plane's TLS certificate is not trusted ({0}); {UNTRUSTED_ADVICE}")]
    UntrustedCertificate(String),
    #[error("the data-plane handshake got no answer within {0:?}")]
    Timeout(Duration),
    #[error("a token or client token cannot be sent as an HTTP header value")]
    HeaderValue,
    #[error("the data-plane connection failed: {0}")]
    Connection(String),
}

impl DataPlaneError {
    /// A failed handshake request: an untrusted certificate says so (and what to do), anything
    /// else keeps its whole chain of causes.
    fn handshake(e: reqwest::Error) -> DataPlaneError {
        let e = e.without_url();
        match certificate_problem(&e) {
            Some(problem) => DataPlaneError::UntrustedCertificate(problem),
            None => DataPlaneError::Transport(source_chain(&e)),
        }
    }
}

/// Where the data plane is, and how patient to be with it.
#[derive(Debug, Clone)]
pub struct DataPlane {
    /// `http(s)://HOST[:PORT]/tunnel` (the ws(s) URL with the scheme HTTP uses for the upgrade).
    upgrade_url: Url,
    http: reqwest::Client,
    timeout: Duration,
}

/// One handshake to attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// `source` or `destination`.
    pub mode: &'static str,
    pub token: SecretString,
    /// Send the token as the `awsiot-tunnel-token` cookie instead of the `access-token` header.
    pub via_cookie: bool,
    pub client_token: Option<String>,
    pub subprotocols: Vec<&'static str>,
}

impl Attempt {
    pub fn new(mode: &'static str, token: SecretString) -> Attempt {
        Attempt {
            mode,
            token,
            via_cookie: false,
            client_token: None,
            subprotocols: SUBPROTOCOLS.to_vec(),
        }
    }
}

/// A refused handshake, as received (the body cut at [`BODY_PREFIX_BYTES`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_prefix: String,
}

/// What an accepted handshake showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub channel_id: Option<String>,
    /// The `Sec-WebSocket-Protocol` of the 101, if any.
    pub subprotocol: Option<String>,
    pub accept_key_ok: bool,
}

/// An open data-plane connection.
pub struct Connection {
    pub accepted: Accepted,
    stream: WebSocketStream<reqwest::Upgraded>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("accepted", &self.accepted)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub enum Outcome {
    // Boxed: the stream is large, a refusal small.
    Connected(Box<Connection>),
    Refused(Refused),
}

/// What [`Connection::first_message`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum FirstMessage {
    Message(TunnelMessage),
    /// A binary frame that is not a well-formed message, or a text frame.
    Malformed(String),
    Closed,
    Timeout,
}

/// The ws(s) URL turned into the upgrade URL: the path `/tunnel` is added when the URL has none.
pub fn upgrade_url(ws_url: &str) -> Result<Url, DataPlaneError> {
    let trimmed = ws_url.trim();
    let http = if let Some(rest) = trimmed.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = trimmed.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        return Err(DataPlaneError::Scheme(ws_url.to_owned()));
    };
    let mut url = Url::parse(&http).map_err(|_| DataPlaneError::Url(ws_url.to_owned()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(DataPlaneError::Url(ws_url.to_owned()));
    }
    if url.path() == "/" || url.path().is_empty() {
        url.set_path("/tunnel");
    }
    url.set_query(None);
    Ok(url)
}

/// The data plane of an AWS control-plane endpoint:
/// `https://api.tunneling.iot.<region>.amazonaws.com[.cn]` ->
/// `wss://data.tunneling.iot.<region>.amazonaws.com[.cn]`. None for any other endpoint.
pub fn derive_from_api(endpoint: &str) -> Option<String> {
    let url = Url::parse(endpoint.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let rest = host.strip_prefix("api.tunneling.iot.")?;
    let (region, suffix) = rest.split_once('.')?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let suffix_ok = suffix == "amazonaws.com" || suffix == "amazonaws.com.cn";
    (url.scheme() == "https" && region_ok && suffix_ok).then(|| format!("wss://data.tunneling.iot.{region}.{suffix}"))
}

impl DataPlane {
    /// A data plane reached with the system's and the bundled roots only; runs use
    /// [`DataPlane::with_tls`] with the control plane's settings.
    pub fn new(ws_url: &str, connect_timeout: Duration, timeout: Duration) -> Result<DataPlane, DataPlaneError> {
        DataPlane::with_tls(ws_url, &TlsSettings::default(), connect_timeout, timeout)
    }

    /// A data plane reached with `tls` (the control plane's [`crate::client::Client::tls`]: one
    /// CA bundle for both), through the same client builder as the control plane.
    pub fn with_tls(
        ws_url: &str,
        tls: &TlsSettings,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<DataPlane, DataPlaneError> {
        let upgrade_url = upgrade_url(ws_url)?;
        // HTTP/1.1: the WebSocket upgrade is an HTTP/1.1 mechanism.
        let http = http_client_builder(tls, &upgrade_url, connect_timeout)
            .http1_only()
            .build()
            .map_err(|e| DataPlaneError::Http(source_chain(&e)))?;
        Ok(DataPlane {
            upgrade_url,
            http,
            timeout,
        })
    }

    /// The URL handshakes go to (no token in it).
    pub fn url(&self) -> &Url {
        &self.upgrade_url
    }

    /// Attempt one handshake.
    pub async fn connect(&self, attempt: &Attempt) -> Result<Outcome, DataPlaneError> {
        tokio::time::timeout(self.timeout, self.handshake(attempt))
            .await
            .map_err(|_| DataPlaneError::Timeout(self.timeout))?
    }

    async fn handshake(&self, attempt: &Attempt) -> Result<Outcome, DataPlaneError> {
        let mut url = self.upgrade_url.clone();
        url.query_pairs_mut().append_pair("local-proxy-mode", attempt.mode);
        let key = generate_key();
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_str(&key).map_err(|_| DataPlaneError::HeaderValue)?,
        );
        if !attempt.subprotocols.is_empty() {
            let offered =
                HeaderValue::from_str(&attempt.subprotocols.join(", ")).map_err(|_| DataPlaneError::HeaderValue)?;
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, offered);
        }
        let token = attempt.token.expose();
        let mut secret = if attempt.via_cookie {
            HeaderValue::from_str(&format!("{TOKEN_COOKIE}={token}"))
        } else {
            HeaderValue::from_str(token)
        }
        .map_err(|_| DataPlaneError::HeaderValue)?;
        secret.set_sensitive(true);
        headers.insert(
            if attempt.via_cookie {
                header::COOKIE
            } else {
                header::HeaderName::from_static(TOKEN_HEADER)
            },
            secret,
        );
        if let Some(ct) = &attempt.client_token {
            headers.insert(
                "client-token",
                HeaderValue::from_str(ct).map_err(|_| DataPlaneError::HeaderValue)?,
            );
        }
        // reqwest's errors name the URL, which carries no token; never the headers.
        let resp = self
            .http
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(DataPlaneError::handshake)?;
        let status = resp.status().as_u16();
        if status != 101 {
            return Ok(Outcome::Refused(read_refusal(resp).await));
        }
        let header_text = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let accepted = Accepted {
            channel_id: header_text("channel-id"),
            subprotocol: header_text("sec-websocket-protocol"),
            accept_key_ok: header_text("sec-websocket-accept").as_deref()
                == Some(derive_accept_key(key.as_bytes()).as_str()),
        };
        let upgraded = resp.upgrade().await.map_err(DataPlaneError::handshake)?;
        let config = WebSocketConfig::default()
            .max_message_size(Some(1 << 20))
            .max_frame_size(Some(1 << 20));
        let stream = WebSocketStream::from_raw_socket(upgraded, Role::Client, Some(config)).await;
        Ok(Outcome::Connected(Box::new(Connection { accepted, stream })))
    }
}

async fn read_refusal(mut resp: reqwest::Response) -> Refused {
    let status = resp.status().as_u16();
    let headers = crate::wire::header_pairs(resp.headers());
    let mut body = Vec::new();
    while body.len() < BODY_PREFIX_BYTES {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(BODY_PREFIX_BYTES);
    Refused {
        status,
        headers,
        body_prefix: String::from_utf8_lossy(&body).into_owned(),
    }
}

impl Connection {
    /// The first data message the server sends (control frames skipped), within `wait`.
    pub async fn first_message(&mut self, wait: Duration) -> FirstMessage {
        let read = async {
            loop {
                match self.stream.next().await {
                    Some(Ok(Message::Binary(data))) => {
                        return match frame::decode_all(&data) {
                            Ok(msgs) => match msgs.into_iter().next() {
                                Some(m) => FirstMessage::Message(m),
                                None => FirstMessage::Malformed("an empty binary frame".into()),
                            },
                            Err(e) => FirstMessage::Malformed(e.to_string()),
                        };
                    }
                    Some(Ok(Message::Text(_))) => return FirstMessage::Malformed("a text frame".into()),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return FirstMessage::Closed,
                    Some(Ok(_)) => {}
                }
            }
        };
        tokio::time::timeout(wait, read).await.unwrap_or(FirstMessage::Timeout)
    }

    /// Whether the server ends the connection within `wait` (frames it sends meanwhile are read
    /// and dropped).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let read = async {
            loop {
                match self.stream.next().await {
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                }
            }
        };
        tokio::time::timeout(wait, read).await.is_ok()
    }

    /// Send binary bytes as they are (one WebSocket frame).
    pub async fn send_binary(&mut self, bytes: Vec<u8>) -> Result<(), DataPlaneError> {
        self.stream
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|e| DataPlaneError::Connection(source_chain(&e)))
    }

    /// The sending and the receiving half, to use at once (a relay is tried both ways together:
    /// one task doing both could wait on a full socket while the other side waits on it).
    pub fn split(self) -> (FrameSender, FrameReceiver) {
        let (sink, stream) = self.stream.split();
        (FrameSender { sink }, FrameReceiver { stream })
    }

    /// Close politely (bounded: a server that never answers the close is left after 2 s).
    pub async fn close(mut self: Box<Self>) {
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            let _ = self.stream.close(None).await;
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
    }
}

/// The sending half of a [`Connection`].
pub struct FrameSender {
    sink: SplitSink<WebSocketStream<reqwest::Upgraded>, Message>,
}

/// The receiving half of a [`Connection`].
pub struct FrameReceiver {
    stream: SplitStream<WebSocketStream<reqwest::Upgraded>>,
}

/// What [`FrameReceiver::next`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Binary(bytes::Bytes),
    /// A text frame (the service never sends one).
    Text,
    /// The server closed the connection (with this close code, if it sent one), or it ended.
    Closed(Option<u16>),
}

impl FrameSender {
    /// Send binary bytes as they are (one WebSocket frame).
    pub async fn send(&mut self, bytes: Vec<u8>) -> Result<(), DataPlaneError> {
        self.sink
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|e| DataPlaneError::Connection(source_chain(&e)))
    }

    /// Send a close frame (bounded: 2 s).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.sink.close()).await;
    }
}

impl FrameReceiver {
    /// The next data frame (pings and pongs are skipped; a failed connection counts as closed).
    pub async fn next(&mut self) -> Received {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Binary(data))) => return Received::Binary(data),
                Some(Ok(Message::Text(_))) => return Received::Text,
                Some(Ok(Message::Close(frame))) => return Received::Closed(frame.map(|f| u16::from(f.code))),
                Some(Err(_)) | None => return Received::Closed(None),
                Some(Ok(_)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_urls_add_the_tunnel_path_and_refuse_other_schemes() {
        assert_eq!(
            upgrade_url("ws://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/tunnel"
        );
        assert_eq!(
            upgrade_url("wss://data.tunneling.iot.us-east-1.amazonaws.com")
                .unwrap()
                .as_str(),
            "https://data.tunneling.iot.us-east-1.amazonaws.com/tunnel"
        );
        assert_eq!(
            upgrade_url("ws://h:1/tunnel?x=1").unwrap().as_str(),
            "http://h:1/tunnel"
        );
        assert!(matches!(upgrade_url("http://h"), Err(DataPlaneError::Scheme(_))));
        assert!(upgrade_url("ws://").is_err());
    }

    #[test]
    fn the_aws_data_plane_is_derived_from_the_api_host_only() {
        assert_eq!(
            derive_from_api("https://api.tunneling.iot.eu-west-1.amazonaws.com").as_deref(),
            Some("wss://data.tunneling.iot.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            derive_from_api("https://api.tunneling.iot.cn-north-1.amazonaws.com.cn/").as_deref(),
            Some("wss://data.tunneling.iot.cn-north-1.amazonaws.com.cn")
        );
        assert_eq!(derive_from_api("http://127.0.0.1:4566"), None);
        assert_eq!(derive_from_api("https://api.tunneling.iot.us-east-1.example.com"), None);
    }

    #[test]
    fn attempts_never_show_their_token() {
        let a = Attempt::new("source", SecretString::new("AQGtoken-secret-value"));
        assert!(!format!("{a:?}").contains("secret-value"));
    }
}
