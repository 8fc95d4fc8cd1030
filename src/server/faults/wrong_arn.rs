//! `wrong-arn`: rotation responses carry an ARN with another region and account (always another
//! one than the server's, whatever `--region` and `--account` say).

use serde_json::{json, Value};

use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::Op;

pub(super) struct WrongArn;

impl Hook for WrongArn {
    fn on_success(&self, op: Op, request: &Value, response: &mut Value, config: &ServerConfig) {
        if op != Op::RotateTunnelAccessToken {
            return;
        }
        let Some(arn) = response.get_mut("tunnelArn") else {
            return;
        };
        let other_region = if config.region == "eu-west-1" {
            "us-west-2"
        } else {
            "eu-west-1"
        };
        let other_account = if config.account == "210987654321" {
            "111122223333"
        } else {
            "210987654321"
        };
        let id = request.get("tunnelId").and_then(Value::as_str).unwrap_or("");
        *arn = json!(format!("arn:aws:iot:{other_region}:{other_account}:tunnel/{id}"));
    }
}
