//! `success-content-type-html`: successful rotations are labelled Content-Type text/html.

use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct SuccessContentTypeHtml;

impl Hook for SuccessContentTypeHtml {
    fn success_content_type(&self, op: Op) -> Option<&'static str> {
        (op == Op::RotateTunnelAccessToken).then_some("text/html; charset=utf-8")
    }
}
