//! The relay scenario's client side: two local proxies (V3) on one OPEN tunnel burst messages at
//! each other and record what arrived, for the `relay` check (`checks::relay`).
//!
//! The source starts stream 1 (StreamStart, connection 1) and a second connection on it
//! (ConnectionStart, connection 2); the destination answers once it has seen the StreamStart.
//! Each side then sends [`BYTES_PER_CONNECTION`] on each connection, in DATA messages of varied
//! sizes, while each receiving side reads nothing for [`READ_DELAY`] first: several MB wait in
//! the relay, so one that drops on a full queue, or reorders, shows it. Each connection's bytes
//! are 8-byte big-endian counters from a base of its own, so `checks::relay::Delivery` can tell
//! a loss from a reordering from an alteration whatever the frames the service re-cut.
//!
//! Bounded: at most [`DEADLINE`] in all; the receivers stop [`QUIET`] after the last bytes once
//! the senders are done. Memory: the bytes sent and received, 4 × 2 MiB each.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::checks::relay::{Delivery, RelayObservation, StreamObservation};
use crate::client::local_proxy::{Attempt, DataPlane, FirstMessage, FrameReceiver, FrameSender, Outcome, Received};
use crate::secret::SecretString;
use crate::wire::frame::{self, MessageType, TunnelMessage};

/// What each side sends on each connection of the stream.
pub const BYTES_PER_CONNECTION: usize = 2 * 1024 * 1024;
/// The V3 connection ids used on stream 1.
pub const CONNECTIONS: [u32; 2] = [1, 2];
/// How long a receiving side reads nothing at first.
pub const READ_DELAY: Duration = Duration::from_millis(500);
/// How long receivers wait for more once the senders are done.
pub const QUIET: Duration = Duration::from_secs(2);
/// The whole burst, at most.
pub const DEADLINE: Duration = Duration::from_secs(60);
const STREAM: i32 = 1;
const V3: &str = "aws.iot.securetunneling-3.0";
/// DATA payload sizes, in turn (within the 64,512-byte limit). Whole counters each, so a lost
/// message leaves the rest aligned: it reads as a loss, not as an alteration.
const SIZES: [usize; 7] = [frame::MAX_PAYLOAD, 1_000, 16, 40_000, 8_192, frame::MAX_PAYLOAD, 328];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    ToDestination,
    ToSource,
}

impl Direction {
    fn label(self) -> &'static str {
        match self {
            Direction::ToDestination => "source -> destination",
            Direction::ToSource => "destination -> source",
        }
    }

    /// The first counter of `connection`'s bytes in this direction.
    fn base(self, connection: u32) -> u64 {
        let dir: u64 = match self {
            Direction::ToDestination => 1,
            Direction::ToSource => 2,
        };
        (dir << 56) | (u64::from(connection) << 48)
    }

    fn bytes(self, connection: u32) -> Vec<u8> {
        let base = self.base(connection);
        (0..words()).flat_map(|i| (base + i).to_be_bytes()).collect()
    }
}

fn words() -> u64 {
    (BYTES_PER_CONNECTION / 8) as u64
}

/// Connect both sides of one OPEN tunnel with `source` and `destination` (fresh tokens), burst
/// each way, and report what arrived.
pub async fn observe(dp: &DataPlane, source: SecretString, destination: SecretString) -> RelayObservation {
    let mut obs = RelayObservation {
        wait_ms: super::result::ms(QUIET),
        ..Default::default()
    };
    let (s_tx, s_rx, service) = match connect(dp, "source", source).await {
        Ok(c) => c,
        Err(why) => {
            obs.not_observed = Some(why);
            return obs;
        }
    };
    let (d_tx, d_rx, _) = match connect(dp, "destination", destination).await {
        Ok(c) => c,
        Err(why) => {
            s_tx.close().await;
            obs.not_observed = Some(why);
            return obs;
        }
    };
    match tokio::time::timeout(DEADLINE, burst(s_tx, s_rx, d_tx, d_rx, service)).await {
        Ok(Ok(streams)) => obs.streams = streams,
        Ok(Err(why)) => obs.not_observed = Some(why),
        Err(_) => obs.not_observed = Some(format!("the burst did not finish within {DEADLINE:?}")),
    }
    obs
}

/// A V3 connection after its SERVICE_IDS; its halves and the first service id offered.
async fn connect(
    dp: &DataPlane,
    mode: &'static str,
    token: SecretString,
) -> Result<(FrameSender, FrameReceiver, String), String> {
    let mut attempt = Attempt::new(mode, token);
    attempt.subprotocols = vec![V3];
    let mut conn = match dp.connect(&attempt).await {
        Ok(Outcome::Connected(c)) => c,
        Ok(Outcome::Refused(r)) => return Err(format!("the {mode} token was refused (HTTP {})", r.status)),
        Err(e) => return Err(format!("the {mode} handshake: {e}")),
    };
    let service = match conn.first_message(Duration::from_secs(5)).await {
        FirstMessage::Message(m) => m.available_service_ids.into_iter().next().unwrap_or_default(),
        other => return Err(format!("the {mode} connection got no SERVICE_IDS ({other:?})")),
    };
    let (tx, rx) = conn.split();
    Ok((tx, rx, service))
}

fn encode(kind: MessageType, service: &str, connection: u32, payload: Vec<u8>) -> Vec<u8> {
    let msg = TunnelMessage {
        r#type: kind as i32,
        stream_id: STREAM,
        service_id: service.to_owned(),
        connection_id: connection,
        payload,
        ..Default::default()
    };
    // Payloads stay within the limit and the message within a length prefix: cannot fail.
    frame::encode(&msg).unwrap_or_default()
}

/// Both connections' bytes, interleaved in DATA messages of varied sizes.
async fn send_burst(tx: &mut FrameSender, direction: Direction, service: &str) -> Result<(), String> {
    let streams: Vec<(u32, Vec<u8>)> = CONNECTIONS.iter().map(|&c| (c, direction.bytes(c))).collect();
    let mut offsets = [0usize; CONNECTIONS.len()];
    let mut turn = 0usize;
    while offsets.iter().any(|&o| o < BYTES_PER_CONNECTION) {
        let i = turn % streams.len();
        let (connection, bytes) = &streams[i];
        let size = SIZES[turn % SIZES.len()].min(BYTES_PER_CONNECTION - offsets[i]);
        turn += 1;
        if size == 0 {
            continue;
        }
        let payload = bytes[offsets[i]..offsets[i] + size].to_vec();
        offsets[i] += size;
        tx.send(encode(MessageType::Data, service, *connection, payload))
            .await
            .map_err(|e| format!("{}: {e}", direction.label()))?;
    }
    Ok(())
}

/// Read a side's DATA per connection id until every byte came, or the senders are done and
/// nothing came for [`QUIET`]. Reads nothing for [`READ_DELAY`] once it has seen the
/// StreamStart (or from the start, when `started` is None).
async fn receive(
    rx: &mut FrameReceiver,
    mut started: Option<oneshot::Sender<()>>,
    done: &AtomicBool,
) -> BTreeMap<u32, Vec<u8>> {
    let mut got: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let expected = BYTES_PER_CONNECTION * CONNECTIONS.len();
    if started.is_none() {
        tokio::time::sleep(READ_DELAY).await;
    }
    while got.values().map(Vec::len).sum::<usize>() < expected {
        let next = match tokio::time::timeout(QUIET, rx.next()).await {
            Ok(n) => n,
            Err(_) if done.load(Ordering::Acquire) => break,
            Err(_) => continue,
        };
        let Received::Binary(data) = next else { break };
        // A frame that is not well-formed messages adds nothing: its bytes count as lost.
        for m in frame::decode_all(&data).unwrap_or_default() {
            if m.r#type == MessageType::Data as i32 && m.stream_id == STREAM {
                got.entry(m.connection_id).or_default().extend_from_slice(&m.payload);
            } else if m.r#type == MessageType::StreamStart as i32 {
                if let Some(s) = started.take() {
                    let _ = s.send(());
                    tokio::time::sleep(READ_DELAY).await;
                }
            }
        }
    }
    got
}

async fn burst(
    mut s_tx: FrameSender,
    mut s_rx: FrameReceiver,
    mut d_tx: FrameSender,
    mut d_rx: FrameReceiver,
    service: String,
) -> Result<Vec<StreamObservation>, String> {
    let starts = [
        encode(MessageType::StreamStart, &service, CONNECTIONS[0], Vec::new()),
        encode(MessageType::ConnectionStart, &service, CONNECTIONS[1], Vec::new()),
    ];
    for f in starts {
        s_tx.send(f)
            .await
            .map_err(|e| format!("the source's StreamStart: {e}"))?;
    }
    let (up_done, down_done) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (started_tx, started_rx) = oneshot::channel();

    let up = {
        let (done, service) = (Arc::clone(&up_done), service.clone());
        async move {
            let r = send_burst(&mut s_tx, Direction::ToDestination, &service).await;
            done.store(true, Ordering::Release);
            (r, s_tx)
        }
    };
    let down = {
        let done = Arc::clone(&down_done);
        async move {
            // The destination answers on the stream once it has seen it start.
            let r = match started_rx.await {
                Ok(()) => send_burst(&mut d_tx, Direction::ToSource, &service).await,
                Err(_) => Err("the destination never got the source's StreamStart".to_owned()),
            };
            done.store(true, Ordering::Release);
            (r, d_tx)
        }
    };
    let at_destination = receive(&mut d_rx, Some(started_tx), &up_done);
    let at_source = receive(&mut s_rx, None, &down_done);
    let ((up, s_tx), (down, d_tx), to_destination, to_source) = tokio::join!(up, down, at_destination, at_source);
    s_tx.close().await;
    d_tx.close().await;
    // A sender that failed after the other side closed still leaves its bytes to judge.
    if let (Err(a), Err(b)) = (&up, &down) {
        return Err(format!("{a}; {b}"));
    }
    let mut streams = Vec::new();
    for (direction, received) in [
        (Direction::ToDestination, to_destination),
        (Direction::ToSource, to_source),
    ] {
        for connection in CONNECTIONS {
            let bytes = received.get(&connection).map_or(&[][..], Vec::as_slice);
            streams.push(StreamObservation {
                direction: direction.label().to_owned(),
                stream_id: STREAM,
                connection_id: connection,
                sent_bytes: BYTES_PER_CONNECTION as u64,
                received_bytes: bytes.len() as u64,
                delivery: Delivery::of(direction.base(connection), words(), bytes),
            });
        }
    }
    Ok(streams)
}
