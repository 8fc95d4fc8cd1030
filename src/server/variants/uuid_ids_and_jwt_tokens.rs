//! `uuid-ids-and-jwt-tokens`: tunnel ids are UUIDs and access tokens look like JWTs.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;
use crate::server::store::{IdStyle, TokenStyle};

pub(super) struct UuidIdsAndJwtTokens;

impl Hook for UuidIdsAndJwtTokens {
    fn configure(&self, b: &mut Behaviour) {
        b.id_style = IdStyle::Uuid;
        b.token_style = TokenStyle::Jwt;
    }
}
