//! `connection-status-lowercase`: DescribeTunnel reports each connection state's status in
//! lower case (`connected`, `disconnected`), outside the model's ConnectionStatus enum.

use serde_json::Value;

use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::Op;

pub(super) struct ConnectionStatusLowercase;

impl Hook for ConnectionStatusLowercase {
    fn on_success(&self, op: Op, _request: &Value, response: &mut Value, _config: &ServerConfig) {
        if op != Op::DescribeTunnel {
            return;
        }
        for side in ["sourceConnectionState", "destinationConnectionState"] {
            if let Some(Value::String(status)) = response.pointer_mut(&format!("/tunnel/{side}/status")) {
                *status = status.to_lowercase();
            }
        }
    }
}
