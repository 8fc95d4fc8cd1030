//! `error-type-missing`: rotation error bodies are JSON without __type or code, and there is no
//! X-Amzn-Errortype header.

use crate::server::errors::ErrorStyle;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ErrorTypeMissing;

impl Hook for ErrorTypeMissing {
    fn error_style(&self, op: Option<Op>, style: &mut ErrorStyle) {
        if op == Some(Op::RotateTunnelAccessToken) {
            style.type_missing = true;
        }
    }
}
