//! `error-type-suffix`: error types carry a `:http://internal.amazon.com/coral/...` suffix in
//! __type and the header (AWS SDKs strip it).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ErrorTypeSuffix;

impl Hook for ErrorTypeSuffix {
    fn configure(&self, b: &mut Behaviour) {
        b.error_style.coral_suffix = true;
    }
}
