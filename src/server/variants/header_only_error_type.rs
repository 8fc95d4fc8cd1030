//! `header-only-error-type`: the error type is sent only in X-Amzn-Errortype, not in the body.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct HeaderOnlyErrorType;

impl Hook for HeaderOnlyErrorType {
    fn configure(&self, b: &mut Behaviour) {
        b.error_style.header_only_type = true;
    }
}
