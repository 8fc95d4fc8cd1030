//! `relay-reframes`: the relay splits data messages in two and packs queued messages into
//! frames of its own size (data plane; the V3 guide: "The service may aggregate data and
//! construct frames of different sizes than sent from the tunnel peer").

use std::time::Duration;

use bytes::Bytes;

use crate::server::hooks::{Gather, Hook};
use crate::wire::frame::{self, MessageType, TunnelMessage};

/// The most payload the service puts in one frame (PROTOCOL.md, "Data plane").
pub const MAX_FRAME_PAYLOAD: usize = 131_076;

pub(super) struct RelayReframes;

impl Hook for RelayReframes {
    fn gather_frames(&self) -> Option<Gather> {
        // The frames already queued, up to 8: packing them is what moves the boundaries.
        Some(Gather {
            most: 8,
            wait: Duration::ZERO,
        })
    }

    fn write_frames(&self, frames: &mut Vec<Bytes>) {
        *frames = reframe(frames);
    }
}

/// Re-frames as the guide allows ("The service may aggregate data and construct frames of
/// different sizes than sent from the tunnel peer"): every data payload is split in two
/// messages, and the messages of the frames already queued are packed into frames of at most
/// [`MAX_FRAME_PAYLOAD`] bytes.
fn reframe(frames: &[Bytes]) -> Vec<Bytes> {
    let mut encoded: Vec<Vec<u8>> = Vec::new();
    for f in frames {
        // Checked when received: a frame that fails here is relayed unchanged.
        let Ok(messages) = frame::decode_all(f) else {
            encoded.push(f.to_vec());
            continue;
        };
        for m in messages {
            for part in split(m) {
                encoded.extend(frame::encode(&part).ok());
            }
        }
    }
    let mut out = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for e in encoded {
        if !current.is_empty() && current.len() + e.len() > MAX_FRAME_PAYLOAD {
            out.push(Bytes::from(std::mem::take(&mut current)));
        }
        current.extend_from_slice(&e);
    }
    if !current.is_empty() {
        out.push(Bytes::from(current));
    }
    out
}

/// A data message in two halves (others, and payloads under 2 bytes, as they are).
fn split(m: TunnelMessage) -> Vec<TunnelMessage> {
    if m.r#type != MessageType::Data as i32 || m.payload.len() < 2 {
        return vec![m];
    }
    let mut first = m;
    let second_half = first.payload.split_off(first.payload.len() / 2);
    let second = TunnelMessage {
        payload: second_half,
        ..first.clone()
    };
    vec![first, second]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(stream: i32, payload: &[u8]) -> Bytes {
        let m = TunnelMessage {
            r#type: MessageType::Data as i32,
            stream_id: stream,
            connection_id: 1,
            payload: payload.to_vec(),
            ..Default::default()
        };
        Bytes::from(frame::encode(&m).unwrap())
    }

    #[test]
    fn reframing_keeps_every_payload_byte_in_order() {
        let mut queued = vec![data(1, b"first")];
        for i in 0..3u8 {
            queued.push(data(1, &[i; 40_000]));
        }
        let out = reframe(&queued);
        assert!(out.iter().all(|f| f.len() <= MAX_FRAME_PAYLOAD));
        let payload: Vec<u8> = out
            .iter()
            .flat_map(|f| frame::decode_all(f).unwrap())
            .inspect(|m| assert_eq!((m.stream_id, m.connection_id), (1, 1)))
            .flat_map(|m| m.payload)
            .collect();
        let mut want = b"first".to_vec();
        for i in 0..3u8 {
            want.extend_from_slice(&[i; 40_000]);
        }
        assert_eq!(payload, want);
        assert_ne!(out.len(), 4, "the frame boundaries moved");
    }
}
