//! `tunnel-arn-empty`: rotation responses carry tunnelArn as an empty string (below the
//! model's minimum length of 1), as a server that forgot to fill it in might.

use serde_json::Value;

use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::Op;

pub(super) struct TunnelArnEmpty;

impl Hook for TunnelArnEmpty {
    fn on_success(&self, op: Op, _request: &Value, response: &mut Value, _config: &ServerConfig) {
        if op != Op::RotateTunnelAccessToken {
            return;
        }
        if let Some(arn) = response.get_mut("tunnelArn") {
            *arn = Value::String(String::new());
        }
    }
}
