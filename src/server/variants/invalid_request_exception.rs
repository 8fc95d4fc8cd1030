//! `invalid-request-exception`: validation errors are named InvalidRequestException instead of
//! ValidationException.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct InvalidRequestException;

impl Hook for InvalidRequestException {
    fn configure(&self, b: &mut Behaviour) {
        b.validation_error = "InvalidRequestException";
    }
}
