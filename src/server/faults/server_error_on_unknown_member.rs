//! `5xx-on-unknown-member`: a rotation with a top-level member the model does not know gets
//! HTTP 500.

use serde_json::Value;

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::{model, Op, ShapeKind};

pub(super) struct ServerErrorOnUnknownMember;

impl Hook for ServerErrorOnUnknownMember {
    fn before_validation(&self, op: Op, body: &mut Value) -> Result<(), ApiError> {
        let (Op::RotateTunnelAccessToken, Value::Object(obj)) = (op, &*body) else {
            return Ok(());
        };
        let input = model().operation(op.name()).and_then(|o| o.input.as_deref());
        let Some(ShapeKind::Structure { members, .. }) = input.and_then(|s| model().shape(s)).map(|s| &s.kind) else {
            return Ok(());
        };
        if obj.keys().any(|k| !members.iter().any(|m| &m.name == k)) {
            return Err(ApiError::internal("Internal error: unexpected member"));
        }
        Ok(())
    }
}
