//! `tunnel-status-lowercase`: DescribeTunnel reports the tunnel's status in lower case (`open`,
//! `closed`), outside the model's TunnelStatus enum.

use serde_json::Value;

use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::Op;

pub(super) struct TunnelStatusLowercase;

impl Hook for TunnelStatusLowercase {
    fn on_success(&self, op: Op, _request: &Value, response: &mut Value, _config: &ServerConfig) {
        if op != Op::DescribeTunnel {
            return;
        }
        if let Some(Value::String(status)) = response.pointer_mut("/tunnel/status") {
            *status = status.to_lowercase();
        }
    }
}
