//! `tunnel-arn-too-long`: rotation responses carry a tunnelArn longer than the model's 1600
//! characters (the ARN, padded out), as a server that builds ARNs from unchecked input might.

use serde_json::Value;

use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::model::{model, Shape};
use crate::spec::Op;

pub(super) struct TunnelArnTooLong;

/// One more than the model's `shapes.TunnelArn.max`.
fn too_long() -> usize {
    let max = model()
        .shape("TunnelArn")
        .and_then(Shape::string_constraints)
        .and_then(|c| c.max)
        .expect("the embedded model bounds TunnelArn (tested)");
    usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1)
}

impl Hook for TunnelArnTooLong {
    fn on_success(&self, op: Op, _request: &Value, response: &mut Value, _config: &ServerConfig) {
        if op != Op::RotateTunnelAccessToken {
            return;
        }
        if let Some(Value::String(arn)) = response.get_mut("tunnelArn") {
            let pad = too_long().saturating_sub(arn.chars().count());
            arn.push_str(&"0".repeat(pad));
        }
    }
}
