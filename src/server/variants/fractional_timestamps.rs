//! `fractional-timestamps`: timestamps carry microseconds (the default is milliseconds).

use crate::server::behaviour::{Behaviour, Precision};
use crate::server::hooks::Hook;

pub(super) struct FractionalTimestamps;

impl Hook for FractionalTimestamps {
    fn configure(&self, b: &mut Behaviour) {
        b.timestamps = Precision::Micros;
    }
}
