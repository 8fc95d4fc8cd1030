//! `error-body-plain-text`: rotation errors are text/plain with the message only, no error type
//! anywhere.

use crate::server::errors::ErrorStyle;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ErrorBodyPlainText;

impl Hook for ErrorBodyPlainText {
    fn error_style(&self, op: Option<Op>, style: &mut ErrorStyle) {
        if op == Some(Op::RotateTunnelAccessToken) {
            style.plain_text = true;
        }
    }
}
