//! relay: what one side sends on a stream reaches the other side whole, once and in order.
//! PROTOCOL.md, "Data plane": "Relay (V3 guide, after the handshake): \"Tunnel communication
//! messages are delivered reliably and in order.\" Every message a side sends on a stream
//! reaches the other side once, in order, its payload bytes unchanged." The service may re-frame
//! ("The service may aggregate data and construct frames of different sizes"), so the bytes of
//! each stream (and V3 connection) are compared as one stream, never frame by frame.
//!
//! The runner (`runner::relay`) bursts several MB each way while the receiving sides are slow to
//! read, so a relay that drops on a full queue shows it. Each stream's bytes are 8-byte
//! big-endian counters, which tells a loss from a reordering from an alteration.

use serde::Serialize;

use super::data_plane::{is_not_run_of, not_run, observation, DataPlaneObservation};
use super::{About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts;

impl CheckId {
    pub const RELAY: CheckId = CheckId::new("relay");
}

const ID: CheckId = CheckId::RELAY;

pub struct Relay;

impl Check for Relay {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "the data plane relays a burst of messages each way whole, once and in order (per stream and connection; frames may differ)",
            citation: facts::CITE_DP_RELAY,
            statements: &["proto.dp.relay", "proto.dp.framing"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        matches!(observation(e), Some(DataPlaneObservation::Relay(_))) || is_not_run_of(e, ID)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(o) = not_run(e, ID) {
            return o;
        }
        match observation(e) {
            Some(DataPlaneObservation::Relay(o)) => vec![check(o)],
            _ => Vec::new(),
        }
    }
}

/// What the relay burst showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RelayObservation {
    /// Why the burst could not be tried (a side refused, a send failed before anything moved):
    /// the check cannot judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_observed: Option<String>,
    /// One entry per direction, stream and connection.
    pub streams: Vec<StreamObservation>,
    /// How long the receivers waited for more once the senders were done and nothing came.
    pub wait_ms: u64,
}

/// One stream (and connection) in one direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamObservation {
    /// `source -> destination` or `destination -> source`.
    pub direction: String,
    pub stream_id: i32,
    pub connection_id: u32,
    pub sent_bytes: u64,
    pub received_bytes: u64,
    pub delivery: Delivery,
}

/// How a stream's bytes arrived, compared with what was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Delivery {
    Intact,
    /// Bytes are missing; the first missing one was sent at `offset`.
    Lost {
        offset: u64,
    },
    /// Every byte arrived at most once, but not in the order sent (first out of place at `offset`).
    Reordered {
        offset: u64,
    },
    /// Bytes arrived that were never sent, or twice (first at received `offset`).
    Altered {
        offset: u64,
    },
}

impl Delivery {
    /// Compare `received` with the `words` 8-byte big-endian counters `base, base + 1, ...` that
    /// were sent.
    pub fn of(base: u64, words: u64, received: &[u8]) -> Delivery {
        let mut seen = vec![false; usize::try_from(words).unwrap_or(usize::MAX)];
        let mut in_order = true;
        let mut first_out_of_place = None;
        let mut last: Option<u64> = None;
        for (i, chunk) in received.chunks(8).enumerate() {
            let at = (i as u64) * 8;
            let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
                return Delivery::Altered { offset: at };
            };
            let index = u64::from_be_bytes(bytes).wrapping_sub(base);
            let Some(slot) = usize::try_from(index)
                .ok()
                .filter(|_| index < words)
                .and_then(|i| seen.get_mut(i))
            else {
                return Delivery::Altered { offset: at };
            };
            if std::mem::replace(slot, true) {
                return Delivery::Altered { offset: at };
            }
            if last.is_some_and(|l| index < l) {
                in_order = false;
                first_out_of_place.get_or_insert(at);
            }
            last = Some(index);
        }
        if !in_order {
            return Delivery::Reordered {
                offset: first_out_of_place.unwrap_or(0),
            };
        }
        match seen.iter().position(|s| !s) {
            Some(i) => Delivery::Lost { offset: (i as u64) * 8 },
            None => Delivery::Intact,
        }
    }
}

fn describe(s: &StreamObservation) -> Option<String> {
    let what = match &s.delivery {
        Delivery::Intact => return None,
        Delivery::Lost { offset } => format!("bytes lost, the first sent at offset {offset}"),
        Delivery::Reordered { offset } => format!("bytes out of order from received offset {offset}"),
        Delivery::Altered { offset } => {
            format!("bytes altered or duplicated from received offset {offset}")
        }
    };
    Some(format!(
        "{}, stream {} connection {}: {} of {} bytes arrived; {what}",
        s.direction, s.stream_id, s.connection_id, s.received_bytes, s.sent_bytes
    ))
}

pub fn check(o: &RelayObservation) -> CheckOutcome {
    if let Some(why) = &o.not_observed {
        return CheckOutcome::error(ID, format!("the relay could not be tried: {why}"));
    }
    if o.streams.is_empty() {
        return CheckOutcome::error(ID, "nothing was sent through the relay");
    }
    let problems: Vec<String> = o.streams.iter().filter_map(describe).collect();
    let total: u64 = o.streams.iter().map(|s| s.sent_bytes).sum();
    if problems.is_empty() {
        CheckOutcome::pass(
            ID,
            format!(
                "{total} bytes on {} streams arrived whole and in order",
                o.streams.len()
            ),
        )
    } else {
        CheckOutcome::fail(
            ID,
            format!(
                "messages were not delivered reliably and in order (nothing more came for {} ms): {}",
                o.wait_ms,
                problems.join("; ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

    fn words(range: impl Iterator<Item = u64>) -> Vec<u8> {
        range.flat_map(u64::to_be_bytes).collect()
    }

    #[test]
    fn deliveries_are_told_apart() {
        let base = 7 << 40;
        assert_eq!(Delivery::of(base, 4, &words(base..base + 4)), Delivery::Intact);
        assert_eq!(
            Delivery::of(base, 4, &words([base, base + 2, base + 3].into_iter())),
            Delivery::Lost { offset: 8 }
        );
        assert_eq!(
            Delivery::of(base, 4, &words(base..base + 2)),
            Delivery::Lost { offset: 16 }
        );
        assert_eq!(
            Delivery::of(base, 4, &words([base + 1, base, base + 2, base + 3].into_iter())),
            Delivery::Reordered { offset: 8 }
        );
        assert_eq!(
            Delivery::of(base, 4, &words([base, base, base + 1].into_iter())),
            Delivery::Altered { offset: 8 }
        );
        assert_eq!(
            Delivery::of(base, 4, &words([base, 99].into_iter())),
            Delivery::Altered { offset: 8 }
        );
        let mut cut = words(base..base + 2);
        cut.pop();
        assert_eq!(Delivery::of(base, 4, &cut), Delivery::Altered { offset: 8 });
    }

    #[test]
    fn any_stream_not_intact_fails_and_nothing_observed_is_an_error() {
        let stream = |delivery| StreamObservation {
            direction: "source -> destination".into(),
            stream_id: 1,
            connection_id: 2,
            sent_bytes: 32,
            received_bytes: 24,
            delivery,
        };
        let ok = RelayObservation {
            streams: vec![stream(Delivery::Intact)],
            ..Default::default()
        };
        assert_eq!(check(&ok).status, Status::Pass);
        let lost = RelayObservation {
            streams: vec![stream(Delivery::Intact), stream(Delivery::Lost { offset: 8 })],
            ..Default::default()
        };
        let o = check(&lost);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("stream 1 connection 2: 24 of 32 bytes"),
            "{}",
            o.message
        );
        let none = RelayObservation {
            not_observed: Some("the source was refused".into()),
            ..Default::default()
        };
        assert_eq!(check(&none).status, Status::Error);
    }
}
