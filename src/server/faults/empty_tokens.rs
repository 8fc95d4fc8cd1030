//! `empty-tokens`: rotation returns empty strings as tokens.

use crate::secret::SecretString;
use crate::server::hooks::{Hook, NextToken};

pub(super) struct EmptyTokens;

impl Hook for EmptyTokens {
    fn next_token(&self, _current: &SecretString, _revoked: &[SecretString]) -> Option<NextToken> {
        Some(NextToken::Use(SecretString::new("")))
    }
}
