//! `relay-reorders`: the relay swaps each pair of frames it delivers (data plane: messages
//! arrive out of order).

use std::time::Duration;

use bytes::Bytes;

use crate::server::hooks::{Gather, Hook};

/// How long a frame waits for the next one to pass it (then it goes alone).
const HOLD: Duration = Duration::from_millis(20);

pub(super) struct RelayReorders;

impl Hook for RelayReorders {
    fn gather_frames(&self) -> Option<Gather> {
        Some(Gather { most: 2, wait: HOLD })
    }

    fn write_frames(&self, frames: &mut Vec<Bytes>) {
        frames.reverse();
    }
}
