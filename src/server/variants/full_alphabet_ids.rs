//! `full-alphabet-ids`: tunnel ids are 128 characters drawn from the whole model alphabet,
//! `+ = : _ -` included (it comes after `uuid-ids-and-jwt-tokens` in the catalog, so its ids win).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;
use crate::server::store::IdStyle;

pub(super) struct FullAlphabetIds;

impl Hook for FullAlphabetIds {
    fn configure(&self, b: &mut Behaviour) {
        b.id_style = IdStyle::FullAlphabet;
    }
}
