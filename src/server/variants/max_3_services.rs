//! `max-3-services`: a destinationConfig with more than 3 services is refused with 400 (the API
//! page mentions 3; the model has no maximum).

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct Max3Services;

impl Hook for Max3Services {
    fn configure(&self, b: &mut Behaviour) {
        b.max_services = Some(3);
    }
}
