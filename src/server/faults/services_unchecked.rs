//! `services-unchecked`: destinationConfig.services is not validated (an empty list or bad items
//! are accepted). The validator is shown a harmless list in its place.

use serde_json::{json, Value};

use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ServicesUnchecked;

impl Hook for ServicesUnchecked {
    fn validator_view(&self, op: Op, body: &Value) -> Option<Value> {
        if op != Op::RotateTunnelAccessToken {
            return None;
        }
        let mut copy = body.clone();
        let services = copy.pointer_mut("/destinationConfig/services").filter(|s| s.is_array())?;
        *services = json!(["SSH"]);
        Some(copy)
    }
}
