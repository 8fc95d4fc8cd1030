//! `lookup-before-validation`: the tunnel is looked up before the input is validated, so a
//! tunnelId the model forbids (too long, bad characters), which no tunnel can have, gets
//! ResourceNotFoundException instead of a validation error. PROTOCOL.md only infers the
//! validation error, so only `rotcheck run --strict` fails this.

use serde_json::Value;

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::validate::validate_shape;
use crate::spec::{model, Op};

pub(super) struct LookupBeforeValidation;

impl Hook for LookupBeforeValidation {
    fn before_validation(&self, op: Op, body: &mut Value) -> Result<(), ApiError> {
        if op != Op::RotateTunnelAccessToken {
            return Ok(());
        }
        match body.get("tunnelId") {
            Some(id @ Value::String(s)) if validate_shape(model(), "TunnelId", id).is_err() => {
                Err(ApiError::not_found(s))
            }
            _ => Ok(()),
        }
    }
}
