//! `special-chars-rejected`: a tunnelId containing `+`, `=` or `:` (all allowed by the model's
//! pattern) is refused as invalid.

use serde_json::Value;

use crate::server::behaviour::Behaviour;
use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct SpecialCharsRejected;

impl Hook for SpecialCharsRejected {
    fn after_validation(&self, op: Op, body: &Value, b: &Behaviour) -> Result<(), ApiError> {
        let id = body.get("tunnelId").and_then(Value::as_str).unwrap_or("");
        if op == Op::RotateTunnelAccessToken && id.contains(['+', '=', ':']) {
            return Err(b.violation(
                "tunnelId",
                &format!("'{id}'"),
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]{1,128}",
            ));
        }
        Ok(())
    }
}
