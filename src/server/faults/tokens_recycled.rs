//! `tokens-recycled`: rotation alternates between two token values (the token the last rotation
//! replaced comes back).

use crate::secret::SecretString;
use crate::server::hooks::{Hook, NextToken};

pub(super) struct TokensRecycled;

impl Hook for TokensRecycled {
    fn next_token(&self, _current: &SecretString, previous: &mut Option<SecretString>) -> Option<NextToken> {
        previous.take().map(NextToken::Use)
    }
}
