//! `application-json`: responses, successes and errors, are labelled Content-Type application/json.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ApplicationJson;

impl Hook for ApplicationJson {
    fn configure(&self, b: &mut Behaviour) {
        b.content_type = "application/json";
        b.error_style.content_type = "application/json";
    }
}
