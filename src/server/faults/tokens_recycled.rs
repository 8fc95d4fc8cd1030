//! `tokens-recycled`: rotation alternates between two token values (the token the last rotation
//! replaced comes back).

use crate::secret::SecretString;
use crate::server::hooks::{Hook, NextToken};

pub(super) struct TokensRecycled;

impl Hook for TokensRecycled {
    fn next_token(&self, _current: &SecretString, revoked: &[SecretString]) -> Option<NextToken> {
        // The token the last rotation revoked comes back (none yet: a fresh one).
        revoked.last().cloned().map(NextToken::Use)
    }
}
