//! `missing-arn`: rotation responses omit tunnelArn.

use serde_json::Value;

use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::Op;

pub(super) struct MissingArn;

impl Hook for MissingArn {
    fn on_success(&self, op: Op, _request: &Value, response: &mut Value, _config: &ServerConfig) {
        if let (Op::RotateTunnelAccessToken, Value::Object(out)) = (op, response) {
            out.shift_remove("tunnelArn");
        }
    }
}
