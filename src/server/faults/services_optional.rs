//! `services-optional`: a destinationConfig without its required `services` is accepted. The
//! validator is shown the config with a service added.

use serde_json::{json, Value};

use super::rotation_view;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ServicesOptional;

impl Hook for ServicesOptional {
    fn validator_view(&self, op: Op, body: &Value) -> Option<Value> {
        rotation_view(op, body, |copy| {
            let config = copy.get_mut("destinationConfig")?.as_object_mut()?;
            if config.contains_key("services") {
                return None;
            }
            config.insert("services".into(), json!(["SSH"]));
            Some(())
        })
    }
}
