//! `thing-name-unchecked`: destinationConfig.thingName is not validated (too long, empty, or
//! outside its pattern is accepted). The validator is shown a valid name in its place.

use serde_json::{json, Value};

use super::rotation_view;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ThingNameUnchecked;

impl Hook for ThingNameUnchecked {
    fn validator_view(&self, op: Op, body: &Value) -> Option<Value> {
        rotation_view(op, body, |copy| {
            *copy
                .pointer_mut("/destinationConfig/thingName")
                .filter(|n| n.is_string())? = json!("rotcheck-thing");
            Some(())
        })
    }
}
