//! `extra-response-members`: success and error bodies carry members the model does not know, and
//! every response an extra header (clients must ignore both).

use axum::http::HeaderValue;
use axum::response::Response;
use serde_json::Value;

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;
use crate::server::ServerConfig;
use crate::spec::Op;

pub(super) struct ExtraResponseMembers;

impl Hook for ExtraResponseMembers {
    fn configure(&self, b: &mut Behaviour) {
        b.error_style.extra_members = true;
    }

    fn on_success(&self, _op: Op, _request: &Value, response: &mut Value, _config: &ServerConfig) {
        if let Value::Object(m) = response {
            m.insert("rotcheckServedBy".into(), Value::String("rotcheck-reference".into()));
        }
    }

    fn finish_response(&self, response: &mut Response) {
        response
            .headers_mut()
            .insert("x-rotcheck-variant", HeaderValue::from_static("extra-response-members"));
    }
}
