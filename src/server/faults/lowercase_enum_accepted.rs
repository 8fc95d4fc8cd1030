//! `lowercase-enum-accepted`: clientMode is matched case-insensitively (`source` is accepted).

use serde_json::Value;

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::facts::ClientMode;
use crate::spec::Op;

pub(super) struct LowercaseEnumAccepted;

impl Hook for LowercaseEnumAccepted {
    fn before_validation(&self, op: Op, body: &mut Value) -> Result<(), ApiError> {
        if op != Op::RotateTunnelAccessToken {
            return Ok(());
        }
        if let Some(Value::String(mode)) = body.get_mut("clientMode") {
            let upper = mode.to_ascii_uppercase();
            if ClientMode::parse(&upper).is_some() {
                *mode = upper;
            }
        }
        Ok(())
    }
}
