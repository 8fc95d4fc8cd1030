//! `strict-unknown-members`: request members the model does not know, at any depth, are refused
//! with 400 SerializationException.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;
use crate::spec::UnknownMembers;

pub(super) struct StrictUnknownMembers;

impl Hook for StrictUnknownMembers {
    fn configure(&self, b: &mut Behaviour) {
        b.strictness.unknown_members = UnknownMembers::Refuse;
    }
}
