//! `namespaced-error-type`: error types are namespaced, `com.amazonaws.iotsecuretunneling#Name`,
//! in __type and the header (AWS SDKs strip the namespace).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct NamespacedErrorType;

impl Hook for NamespacedErrorType {
    fn configure(&self, b: &mut Behaviour) {
        b.error_style.namespaced = true;
    }
}
