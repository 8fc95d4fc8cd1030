//! `missing-mode-defaults-all`: a missing (or null) clientMode is treated as ALL instead of being
//! refused.

use serde_json::{json, Value};

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct MissingModeDefaultsAll;

impl Hook for MissingModeDefaultsAll {
    fn before_validation(&self, op: Op, body: &mut Value) -> Result<(), ApiError> {
        if let (Op::RotateTunnelAccessToken, Value::Object(obj)) = (op, body) {
            if obj.get("clientMode").is_none_or(Value::is_null) {
                obj.insert("clientMode".into(), json!("ALL"));
            }
        }
        Ok(())
    }
}
