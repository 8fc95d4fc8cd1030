//! Issue 17: a data plane the AWS local proxy can rely on. Two V3 clients written here from the
//! localproxy guides' framing (a 2-byte big-endian length, then a protobuf `Message`; stream and
//! connection ids) move 64 MB each way through the reference server with nothing lost or
//! changed; a source replaced by a new process after a rotation gets its first stream through
//! (the peer that stayed is sent a StreamReset); a peer that stops reading is disconnected after
//! the stall timeout; `--bandwidth` caps a side's rate.

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use rotcheck::client::local_proxy::{Attempt, DataPlane, FirstMessage, FrameReceiver, FrameSender, Outcome, Received};
use rotcheck::client::{Client, ConnectOptions};
use rotcheck::secret::SecretString;
use rotcheck::server::{self, RelayConfig, RunningServer, ServerConfig};
use rotcheck::wire::frame::{self, MessageType, TunnelMessage, MAX_PAYLOAD};
use serde_json::{json, Value};

const V3: &str = "aws.iot.securetunneling-3.0";
const SERVICE: &str = "SSH";

async fn start(relay: RelayConfig) -> (RunningServer, Client, DataPlane) {
    let config = ServerConfig {
        relay,
        ..ServerConfig::default()
    };
    let srv = server::spawn(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
    let client = Client::for_endpoint(&srv.url(), "us-east-1", creds, &ConnectOptions::default()).unwrap();
    let wait = Duration::from_secs(10);
    let dp = DataPlane::new(&srv.data_plane_url(), wait, wait).unwrap();
    (srv, client, dp)
}

async fn call(client: &Client, op: &str, body: Value) -> Value {
    let resp = client.call(op, &body).await.unwrap();
    assert!(resp.is_success(), "{op}: HTTP {}", resp.status);
    resp.body_json().unwrap()
}

/// A tunnel with one service; its source and destination tokens.
async fn open(client: &Client) -> (String, SecretString, SecretString) {
    let t = call(
        client,
        "OpenTunnel",
        json!({"destinationConfig": {"thingName": "relay-test", "services": [SERVICE]}}),
    )
    .await;
    let token = |m: &str| SecretString::new(t[m].as_str().unwrap());
    (
        t["tunnelId"].as_str().unwrap().to_owned(),
        token("sourceAccessToken"),
        token("destinationAccessToken"),
    )
}

/// A V3 local proxy's connection, after SERVICE_IDS.
async fn connect(dp: &DataPlane, mode: &'static str, token: SecretString) -> (FrameSender, FrameReceiver) {
    let mut attempt = Attempt::new(mode, token);
    attempt.subprotocols = vec![V3];
    let Outcome::Connected(mut c) = dp.connect(&attempt).await.unwrap() else {
        panic!("{mode} refused");
    };
    assert_eq!(c.accepted.subprotocol.as_deref(), Some(V3));
    match c.first_message(Duration::from_secs(5)).await {
        FirstMessage::Message(m) => assert_eq!(m.r#type, MessageType::ServiceIds as i32),
        other => panic!("{mode}: no SERVICE_IDS: {other:?}"),
    }
    c.split()
}

fn message(kind: MessageType, stream_id: i32, payload: Vec<u8>) -> Vec<u8> {
    frame::encode(&TunnelMessage {
        r#type: kind as i32,
        stream_id,
        service_id: SERVICE.into(),
        connection_id: 1,
        payload,
        ..Default::default()
    })
    .unwrap()
}

/// FNV-1a: the same value however the bytes are cut into frames.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Deterministic bytes that are not a repeating pattern (xorshift).
fn chunk(state: &mut u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Send `total` bytes of DATA on stream 1; the byte count and hash sent.
async fn send_data(tx: &mut FrameSender, seed: u64, total: usize) -> (usize, Fnv) {
    let (mut state, mut sent, mut hash) = (seed, 0, Fnv::new());
    while sent < total {
        let payload = chunk(&mut state, MAX_PAYLOAD.min(total - sent));
        hash.update(&payload);
        sent += payload.len();
        tx.send(message(MessageType::Data, 1, payload)).await.unwrap();
    }
    (sent, hash)
}

/// Read until `total` DATA bytes of stream 1 arrived (or the connection ended); the count and
/// hash received, and every other message type seen.
async fn receive_data(rx: &mut FrameReceiver, total: usize) -> (usize, Fnv, Vec<i32>) {
    let (mut got, mut hash, mut others) = (0, Fnv::new(), Vec::new());
    while got < total {
        let Received::Binary(f) = rx.next().await else { break };
        for m in frame::decode_all(&f).unwrap() {
            if m.r#type == MessageType::Data as i32 && m.stream_id == 1 {
                hash.update(&m.payload);
                got += m.payload.len();
            } else {
                others.push(m.r#type);
            }
        }
    }
    (got, hash, others)
}

/// Wait for a message of `kind`; the messages before it.
async fn wait_for(rx: &mut FrameReceiver, kind: MessageType) -> Vec<TunnelMessage> {
    let mut before = Vec::new();
    loop {
        let Received::Binary(f) = rx.next().await else {
            panic!("closed while waiting for {kind:?}; saw {before:?}")
        };
        for m in frame::decode_all(&f).unwrap() {
            if m.r#type == kind as i32 {
                return before;
            }
            before.push(m);
        }
    }
}

const BIG: usize = 64 * 1024 * 1024;

/// Regression: the relay forwarded with `try_send` into a queue of 64 and silently dropped
/// frames when it was full (whole messages missing from 64 MB uploads through the local proxy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_megabytes_each_way_arrive_whole_and_in_order() {
    let (srv, client, dp) = start(RelayConfig::default()).await;
    let (_, source, destination) = open(&client).await;
    let (mut s_tx, mut s_rx) = connect(&dp, "source", source).await;
    let (mut d_tx, mut d_rx) = connect(&dp, "destination", destination).await;

    s_tx.send(message(MessageType::StreamStart, 1, Vec::new()))
        .await
        .unwrap();
    assert!(wait_for(&mut d_rx, MessageType::StreamStart).await.is_empty());
    let started = Instant::now();
    let up = tokio::spawn(async move { send_data(&mut s_tx, 1, BIG).await });
    let down = tokio::spawn(async move { send_data(&mut d_tx, 2, BIG).await });
    let at_destination = tokio::spawn(async move { receive_data(&mut d_rx, BIG).await });
    let at_source = tokio::spawn(async move { receive_data(&mut s_rx, BIG).await });
    let limit = Duration::from_secs(300);
    let all = async { (up.await, down.await, at_destination.await, at_source.await) };
    let (up, down, at_destination, at_source) = tokio::time::timeout(limit, all).await.expect("no hang");
    let (up, down, at_destination, at_source) =
        (up.unwrap(), down.unwrap(), at_destination.unwrap(), at_source.unwrap());
    assert_eq!((at_destination.0, at_destination.1), up, "source -> destination");
    assert_eq!((at_source.0, at_source.1), down, "destination -> source");
    assert_eq!(up.0, BIG);
    assert!(at_destination.2.is_empty() && at_source.2.is_empty());
    eprintln!("128 MB relayed in {:?}", started.elapsed());
    srv.shutdown().await;
}

/// A destination local proxy's stream bookkeeping: a StreamStart opens a local TCP connection
/// (numbered from 1) for its stream, and is ignored while a stream is active (until a StreamReset
/// for it); data goes to the local connection of the active stream.
#[derive(Default)]
struct LocalProxyDestination {
    active: Option<i32>,
    local_connections: u32,
    delivered: Vec<(u32, Vec<u8>)>,
}

impl LocalProxyDestination {
    fn read(&mut self, msgs: Vec<TunnelMessage>) {
        for m in msgs {
            let is = |k: MessageType| m.r#type == k as i32;
            if is(MessageType::StreamStart) && self.active.is_none() {
                self.active = Some(m.stream_id);
                self.local_connections += 1;
            } else if is(MessageType::StreamReset) && self.active == Some(m.stream_id) {
                self.active = None;
            } else if is(MessageType::Data) && self.active == Some(m.stream_id) {
                self.delivered.push((self.local_connections, m.payload));
            }
        }
    }
}

/// Regression: after a SOURCE rotation a new source (streams from id 1 again) connected, but the
/// destination still mapped stream 1 to the old one and ignored the new StreamStart, so the
/// first connection through the new source hung. The server now resets the old streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_source_gets_its_first_stream_through() {
    let (srv, client, dp) = start(RelayConfig::default()).await;
    let (tunnel, source, destination) = open(&client).await;
    let (mut s1_tx, s1_rx) = connect(&dp, "source", source).await;
    let (_d_tx, mut d_rx) = connect(&dp, "destination", destination).await;

    s1_tx
        .send(message(MessageType::StreamStart, 1, Vec::new()))
        .await
        .unwrap();
    s1_tx
        .send(message(MessageType::Data, 1, b"from the first source".to_vec()))
        .await
        .unwrap();
    // The destination, as the local proxy does, maps stream 1 once started.
    let mut dest = LocalProxyDestination::default();
    while dest.delivered.is_empty() {
        let Received::Binary(f) = d_rx.next().await else {
            panic!("destination closed")
        };
        dest.read(frame::decode_all(&f).unwrap());
    }

    let rotated = call(
        &client,
        "RotateTunnelAccessToken",
        json!({"tunnelId": tunnel, "clientMode": "SOURCE"}),
    )
    .await;
    s1_tx.close().await;
    drop(s1_rx);
    let new_source = SecretString::new(rotated["sourceAccessToken"].as_str().unwrap());
    let (mut s2_tx, _s2_rx) = connect(&dp, "source", new_source).await;
    s2_tx
        .send(message(MessageType::StreamStart, 1, Vec::new()))
        .await
        .unwrap();
    s2_tx
        .send(message(MessageType::Data, 1, b"from the new source".to_vec()))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while dest.delivered.len() < 2 && Instant::now() < deadline {
        let next = tokio::time::timeout(Duration::from_secs(1), d_rx.next()).await;
        if let Ok(Received::Binary(f)) = next {
            dest.read(frame::decode_all(&f).unwrap());
        }
    }
    assert_eq!(
        dest.delivered,
        vec![
            (1, b"from the first source".to_vec()),
            (2, b"from the new source".to_vec())
        ],
        "the new source's first stream must reach a local connection of its own"
    );
    srv.shutdown().await;
}

/// A peer that stops reading for good is disconnected after the stall timeout (and its sender
/// is not held up for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_disconnected_after_the_stall_timeout() {
    let relay = RelayConfig {
        stall_timeout: Duration::from_secs(1),
        ..RelayConfig::default()
    };
    let (srv, client, dp) = start(relay).await;
    let (tunnel, source, destination) = open(&client).await;
    let (mut s_tx, _s_rx) = connect(&dp, "source", source).await;
    let (_d_tx, _d_rx_never_read) = connect(&dp, "destination", destination).await;
    // Far more than the socket buffers and the relay's queue hold.
    let sender = tokio::spawn(async move { send_data(&mut s_tx, 3, 256 * 1024 * 1024).await });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut state = String::new();
    while Instant::now() < deadline {
        let t = call(&client, "DescribeTunnel", json!({"tunnelId": tunnel})).await;
        state = t["tunnel"]["destinationConnectionState"]["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if state == "DISCONNECTED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(state, "DISCONNECTED", "the stalled destination is disconnected");
    let sent = tokio::time::timeout(Duration::from_secs(120), sender).await;
    assert!(sent.is_ok(), "the source is not held up once its peer is gone");
    srv.shutdown().await;
}

/// `--bandwidth`: a side sends one second's worth at once, then at the cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bandwidth_caps_a_side() {
    const RATE: u64 = 256 * 1024;
    let relay = RelayConfig {
        bandwidth: Some(RATE),
        ..RelayConfig::default()
    };
    let (srv, client, dp) = start(relay).await;
    let (_, source, destination) = open(&client).await;
    let (mut s_tx, _s_rx) = connect(&dp, "source", source).await;
    let (_d_tx, mut d_rx) = connect(&dp, "destination", destination).await;
    let started = Instant::now();
    let total = 3 * RATE as usize;
    let sender = tokio::spawn(async move { send_data(&mut s_tx, 4, total).await });
    let (got, _, _) = receive_data(&mut d_rx, total).await;
    let took = started.elapsed();
    assert_eq!(got, total);
    // One second's burst, then two seconds at the rate (less a little for timer slack).
    assert!(took >= Duration::from_millis(1800), "3 s worth took {took:?}");
    sender.await.unwrap();
    srv.shutdown().await;
}

/// `rotcheck serve -v` logs each connection's open, replacement and close with its byte counts,
/// and never a token.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_v_logs_connections_with_byte_counts_and_no_token() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_rotcheck"))
        .args(["serve", "--port", "0", "-v"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("listening on ").unwrap().to_owned();
    let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
    let client = Client::for_endpoint(&url, "us-east-1", creds, &ConnectOptions::default()).unwrap();
    let wait = Duration::from_secs(10);
    let dp = DataPlane::new(&url.replace("http://", "ws://"), wait, wait).unwrap();

    let (_, source, destination) = open(&client).await;
    let tokens = [source.expose().to_owned(), destination.expose().to_owned()];
    let client_token = "c".repeat(40);
    let with_client_token = || {
        let mut a = Attempt::new("source", source.clone());
        a.client_token = Some(client_token.clone());
        a.subprotocols = vec![V3];
        a
    };
    let Outcome::Connected(mut first_source) = dp.connect(&with_client_token()).await.unwrap() else {
        panic!("source refused")
    };
    assert!(matches!(
        first_source.first_message(wait).await,
        FirstMessage::Message(_)
    ));
    let (_d_tx, _d_rx) = connect(&dp, "destination", destination).await;
    let Outcome::Connected(second_source) = dp.connect(&with_client_token()).await.unwrap() else {
        panic!("the reconnect was refused")
    };
    // The replaced connection is closed by the server; dropping it first raced that close (the
    // server then logged a reset, not the replacement, on a busy machine).
    assert!(
        first_source.closed_within(Duration::from_secs(10)).await,
        "the replaced source stays open"
    );
    let (mut tx, _rx) = second_source.split();
    tx.send(message(MessageType::StreamStart, 1, Vec::new())).await.unwrap();
    tx.close().await;
    drop(first_source);
    let wanted = [
        "data-plane connection opened",
        "replaces the side's earlier one",
        "replaced by a newer connection",
        "data-plane connection closed",
        "bytes_received",
        "bytes_sent",
    ];
    // Read the log as it comes until every line is there (a fixed pause was too short on a
    // busy machine: the close is logged when the server notices it).
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut log = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !wanted.iter().all(|w| log.contains(w)) && std::time::Instant::now() < deadline {
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(100)) {
            log.push_str(&line);
            log.push('\n');
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for want in wanted {
        assert!(log.contains(want), "{want:?} not in the log:\n{log}");
    }
    for t in &tokens {
        assert!(!log.contains(t.as_str()), "a token in the log");
    }
}
