//! `tunnel-arn-too-long`: rotation responses carry a tunnelArn longer than the model's 1600
//! characters (the ARN, padded out), as a server that builds ARNs from unchecked input might.

use serde_json::Value;

use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::Op;

pub(super) struct TunnelArnTooLong;

/// One more than `shapes.TunnelArn.max`.
const LENGTH: usize = 1601;

impl Hook for TunnelArnTooLong {
    fn on_success(&self, op: Op, _request: &Value, response: &mut Value, _config: &ServerConfig) {
        if op != Op::RotateTunnelAccessToken {
            return;
        }
        if let Some(Value::String(arn)) = response.get_mut("tunnelArn") {
            let pad = LENGTH.saturating_sub(arn.len());
            arn.push_str(&"0".repeat(pad));
        }
    }
}
