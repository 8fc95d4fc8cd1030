//! `wrong-token-for-mode`: SOURCE returns destinationAccessToken and DESTINATION returns
//! sourceAccessToken (the token values are right, their member names swapped).

use serde_json::Value;

use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::facts::{ClientMode, DESTINATION_TOKEN, SOURCE_TOKEN};
use crate::spec::Op;

pub(super) struct WrongTokenForMode;

impl Hook for WrongTokenForMode {
    fn on_success(&self, op: Op, request: &Value, response: &mut Value, _config: &ServerConfig) {
        let mode = request.get("clientMode").and_then(Value::as_str);
        if op != Op::RotateTunnelAccessToken || mode == Some(ClientMode::All.as_str()) {
            return;
        }
        let Value::Object(out) = response else {
            return;
        };
        let (source, destination) = (out.shift_remove(SOURCE_TOKEN), out.shift_remove(DESTINATION_TOKEN));
        if let Some(s) = source {
            out.insert(DESTINATION_TOKEN.into(), s);
        }
        if let Some(d) = destination {
            out.insert(SOURCE_TOKEN.into(), d);
        }
    }
}
