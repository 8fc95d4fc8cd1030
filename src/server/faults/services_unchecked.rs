//! `services-unchecked`: destinationConfig.services is not validated (an empty list or bad items
//! are accepted). The validator is shown a harmless list in its place.

use serde_json::{json, Value};

use super::rotation_view;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ServicesUnchecked;

impl Hook for ServicesUnchecked {
    fn validator_view(&self, op: Op, body: &Value) -> Option<Value> {
        rotation_view(op, body, |copy| {
            *copy
                .pointer_mut("/destinationConfig/services")
                .filter(|s| s.is_array())? = json!(["SSH"]);
            Some(())
        })
    }
}
