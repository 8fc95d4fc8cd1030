//! `tokens-not-rotated`: rotation returns the tunnel's current tokens instead of new ones.

use crate::secret::SecretString;
use crate::server::hooks::{Hook, NextToken};

pub(super) struct TokensNotRotated;

impl Hook for TokensNotRotated {
    fn next_token(&self, _current: &SecretString, _revoked: &[SecretString]) -> Option<NextToken> {
        Some(NextToken::Keep)
    }
}
