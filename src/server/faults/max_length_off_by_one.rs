//! `max-length-off-by-one`: a 128-character tunnelId or service (the model's maximum) is refused as
//! too long.

use serde_json::Value;

use crate::server::behaviour::Behaviour;
use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct MaxLengthOffByOne;

impl Hook for MaxLengthOffByOne {
    fn after_validation(&self, op: Op, body: &Value, b: &Behaviour) -> Result<(), ApiError> {
        if op != Op::RotateTunnelAccessToken {
            return Ok(());
        }
        const TOO_LONG: &str = "Member must have length less than or equal to 127";
        let id = body.get("tunnelId").and_then(Value::as_str).unwrap_or("");
        if id.chars().count() >= 128 {
            return Err(b.violation("tunnelId", &format!("'{id}'"), TOO_LONG));
        }
        let services = body.pointer("/destinationConfig/services").and_then(Value::as_array);
        for (i, s) in services.into_iter().flatten().enumerate() {
            if s.as_str().is_some_and(|s| s.chars().count() >= 128) {
                let path = format!("destinationConfig.services.member.{}", i + 1);
                return Err(b.violation(&path, "'(128 characters)'", TOO_LONG));
            }
        }
        Ok(())
    }
}
