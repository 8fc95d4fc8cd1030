//! The data plane's framing (PROTOCOL.md, "Data plane"), shared by the reference server and the
//! data-plane client: each message in a binary WebSocket frame is a 2-byte big-endian length,
//! then a protobuf `com.amazonaws.iot.securedtunneling.Message`. Encoding and decoding are
//! prost's, and decoding never panics, whatever the bytes.

use prost::Message as _;

/// The largest payload a message may carry.
pub const MAX_PAYLOAD: usize = 64_512;

/// `com.amazonaws.iot.securedtunneling.Message` (field numbers as in the localproxy guides).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TunnelMessage {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(int32, tag = "2")]
    pub stream_id: i32,
    #[prost(bool, tag = "3")]
    pub ignorable: bool,
    #[prost(bytes = "vec", tag = "4")]
    pub payload: Vec<u8>,
    #[prost(string, tag = "5")]
    pub service_id: String,
    #[prost(string, repeated, tag = "6")]
    pub available_service_ids: Vec<String>,
    #[prost(uint32, tag = "7")]
    pub connection_id: u32,
}

/// Message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum MessageType {
    Unknown = 0,
    Data = 1,
    StreamStart = 2,
    StreamReset = 3,
    SessionReset = 4,
    ServiceIds = 5,
    ConnectionStart = 6,
    ConnectionReset = 7,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a frame ends inside a length prefix")]
    TruncatedPrefix,
    #[error("a length prefix announces {want} bytes but {have} remain")]
    Truncated { want: usize, have: usize },
    #[error("a message is not valid protobuf: {0}")]
    Protobuf(String),
    #[error("a payload of {0} bytes exceeds {MAX_PAYLOAD}")]
    PayloadTooLarge(usize),
    #[error("a message is {0} bytes, more than a 2-byte length can announce")]
    TooLong(usize),
}

/// The `SERVICE_IDS` message sent right after the handshake.
pub fn service_ids(services: Vec<String>) -> TunnelMessage {
    TunnelMessage {
        r#type: MessageType::ServiceIds as i32,
        available_service_ids: services,
        ..Default::default()
    }
}

/// One message with its length prefix.
pub fn encode(msg: &TunnelMessage) -> Result<Vec<u8>, FrameError> {
    if msg.payload.len() > MAX_PAYLOAD {
        return Err(FrameError::PayloadTooLarge(msg.payload.len()));
    }
    let body = msg.encode_to_vec();
    let len = u16::try_from(body.len()).map_err(|_| FrameError::TooLong(body.len()))?;
    let mut out = Vec::with_capacity(2 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Every message of one binary WebSocket frame (a frame may hold several).
pub fn decode_all(mut bytes: &[u8]) -> Result<Vec<TunnelMessage>, FrameError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let [hi, lo, rest @ ..] = bytes else {
            return Err(FrameError::TruncatedPrefix);
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if rest.len() < len {
            return Err(FrameError::Truncated {
                want: len,
                have: rest.len(),
            });
        }
        let (body, tail) = rest.split_at(len);
        let msg = TunnelMessage::decode(body).map_err(|e| FrameError::Protobuf(e.to_string()))?;
        if msg.payload.len() > MAX_PAYLOAD {
            return Err(FrameError::PayloadTooLarge(msg.payload.len()));
        }
        out.push(msg);
        bytes = tail;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids_round_trip_with_a_big_endian_prefix() {
        let msg = service_ids(vec!["SSH".into(), "RDP".into()]);
        let bytes = encode(&msg).unwrap();
        assert_eq!(usize::from(u16::from_be_bytes([bytes[0], bytes[1]])), bytes.len() - 2);
        // Field 1 (type, varint) = 5, as the guides' wire format says.
        assert_eq!(&bytes[2..4], &[0x08, 0x05]);
        let mut two = bytes.clone();
        two.extend_from_slice(&bytes);
        assert_eq!(decode_all(&two).unwrap(), vec![msg.clone(), msg]);
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        assert_eq!(decode_all(&[0x00]), Err(FrameError::TruncatedPrefix));
        assert!(matches!(
            decode_all(&[0x00, 0x05, 0x08]),
            Err(FrameError::Truncated { .. })
        ));
        assert!(matches!(
            decode_all(&[0x00, 0x02, 0xff, 0xff]),
            Err(FrameError::Protobuf(_))
        ));
        let big = TunnelMessage {
            payload: vec![0; MAX_PAYLOAD + 1],
            ..Default::default()
        };
        assert_eq!(encode(&big), Err(FrameError::PayloadTooLarge(MAX_PAYLOAD + 1)));
        // A payload over the limit that still fits a length prefix is refused when decoded.
        let body = big.encode_to_vec();
        let mut framed = u16::try_from(body.len()).unwrap().to_be_bytes().to_vec();
        framed.extend_from_slice(&body);
        assert_eq!(decode_all(&framed), Err(FrameError::PayloadTooLarge(MAX_PAYLOAD + 1)));
        let long = TunnelMessage {
            available_service_ids: vec!["s".repeat(1000); 70],
            ..Default::default()
        };
        assert!(matches!(encode(&long), Err(FrameError::TooLong(_))));
        assert_eq!(decode_all(&[]), Ok(vec![]));
    }
}
