//! `capital-message`: error bodies use `Message` instead of `message`.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct CapitalMessage;

impl Hook for CapitalMessage {
    fn configure(&self, b: &mut Behaviour) {
        b.error_style.message_member = "Message";
    }
}
