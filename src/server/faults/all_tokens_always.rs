//! `all-tokens-always`: SOURCE and DESTINATION rotations return (and rotate) both tokens.

use crate::server::hooks::{Hook, Sides};
use crate::spec::facts::ClientMode;

pub(super) struct AllTokensAlways;

impl Hook for AllTokensAlways {
    fn rotated_sides(&self, _mode: ClientMode, sides: &mut Sides) {
        sides.source = true;
        sides.destination = true;
    }
}
