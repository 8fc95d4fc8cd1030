//! token-fresh: the returned tokens are non-empty, distinct from each other and from every earlier
//! token of the tunnel (OpenTunnel's and every earlier rotation's): rotation revokes and replaces.
//! A lifecycle sequence holds every token the endpoint handed out (its [`IssuedTokens`]), so an
//! OpenTunnel's tokens and a rotation's are new to the whole sequence.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

use super::{one, rotation_body, About, Check, CheckId, CheckOutcome, Evidence};
use crate::secret::SecretString;
use crate::spec::facts::{self, ClientMode};

impl CheckId {
    pub const TOKEN_FRESH: CheckId = CheckId::new("token-fresh");
}

const ID: CheckId = CheckId::TOKEN_FRESH;

pub struct TokenFresh;

impl Check for TokenFresh {
    fn about(&self) -> About {
        About {
            id: ID,
            description:
                "returned tokens are non-empty, distinct from each other and from every earlier token of the tunnel",
            citation: facts::CITE_REVOKES,
            statements: &["api.returns-new-cat"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        e.as_case().is_some_and(|c| c.success_mode().is_some())
            || e.as_step().is_some_and(|s| s.succeeded() && s.tokens.is_some())
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        let earlier: &dyn HandedOut = match (e.as_step(), e.as_case()) {
            (Some(s), _) => s.earlier,
            (None, Some(c)) => &c.earlier_tokens,
            (None, None) => &NONE,
        };
        one(rotation_body(e, ID).map(|(body, mode)| check(&body, mode, earlier)))
    }
}

const NONE: &[SecretString] = &[];

/// The tokens handed out before an answer, as token-fresh asks about them.
pub trait HandedOut {
    /// Whether `token` was handed out before.
    fn contains(&self, token: &str) -> bool;
    /// How many tokens are on record.
    fn count(&self) -> usize;
}

impl HandedOut for &[SecretString] {
    fn contains(&self, token: &str) -> bool {
        self.iter().any(|e| e.expose() == token)
    }

    fn count(&self) -> usize {
        self.len()
    }
}

/// Every token an endpoint handed out to a lifecycle sequence, by fingerprint: a sequence's
/// history stays small and the tokens themselves are not kept.
#[derive(Debug, Clone, Default)]
pub struct IssuedTokens(HashSet<u64>);

impl IssuedTokens {
    /// Records `token` as handed out.
    pub fn insert(&mut self, token: &str) {
        self.0.insert(fingerprint(token));
    }

    /// Records every token of `other`.
    pub fn extend(&mut self, other: &IssuedTokens) {
        self.0.extend(other.0.iter().copied());
    }
}

impl HandedOut for IssuedTokens {
    fn contains(&self, token: &str) -> bool {
        self.0.contains(&fingerprint(token))
    }

    fn count(&self) -> usize {
        self.0.len()
    }
}

/// A token's fingerprint (SipHash with fixed keys: the same token always gives the same value;
/// two of the few thousand tokens a campaign sees collide with odds of about 1 in 10^12).
fn fingerprint(token: &str) -> u64 {
    let mut h = DefaultHasher::new();
    token.hash(&mut h);
    h.finish()
}

/// `earlier`: every token the tunnel has had before this response.
pub fn check(body: &Value, mode: ClientMode, earlier: &dyn HandedOut) -> CheckOutcome {
    let tokens: Vec<(&str, &str)> = mode
        .token_members()
        .iter()
        .filter_map(|m| body.get(*m).and_then(Value::as_str).map(|t| (*m, t)))
        .collect();
    if tokens.is_empty() {
        return CheckOutcome::skip(ID, "no token of the mode in the response (token-set reports it)");
    }
    let mut problems = Vec::new();
    for (i, (member, token)) in tokens.iter().enumerate() {
        if token.is_empty() {
            problems.push(format!("{member} is empty"));
        } else if earlier.contains(token) {
            problems.push(format!("{member} repeats a token handed out before"));
        } else if tokens[..i].iter().any(|(_, t)| t == token) {
            problems.push(format!("{member} equals another token of the same response"));
        }
    }
    if problems.is_empty() {
        CheckOutcome::pass(
            ID,
            format!("{} new token(s), none seen before on this tunnel", tokens.len()),
        )
    } else {
        CheckOutcome::fail(ID, problems.join(", ")).with(
            "new non-empty tokens, distinct from each other and from every earlier token",
            format!("{} earlier token(s) on record", earlier.count()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use serde_json::json;

    fn hist(v: &[&str]) -> Vec<SecretString> {
        v.iter().map(|s| SecretString::new(*s)).collect()
    }

    #[test]
    fn new_distinct_tokens_pass() {
        let body = json!({"sourceAccessToken": "s2", "destinationAccessToken": "d2"});
        assert_eq!(
            check(&body, ClientMode::All, &hist(&["s1", "d1"]).as_slice()).status,
            Status::Pass
        );
    }

    #[test]
    fn issued_tokens_are_known_by_fingerprint() {
        let mut issued = IssuedTokens::default();
        issued.insert("s1");
        assert!(issued.contains("s1") && !issued.contains("s2"));
        let o = check(&json!({"sourceAccessToken": "s1"}), ClientMode::Source, &issued);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.actual.as_deref(), Some("1 earlier token(s) on record"));
    }

    #[test]
    fn reused_equal_or_empty_tokens_fail() {
        let reused = json!({"sourceAccessToken": "d1"});
        let o = check(&reused, ClientMode::Source, &hist(&["s1", "d1"]).as_slice());
        assert_eq!(o.status, Status::Fail);
        assert!(!format!("{o:?}").contains("d1"), "no token values in the outcome");
        let same = json!({"sourceAccessToken": "x", "destinationAccessToken": "x"});
        assert_eq!(check(&same, ClientMode::All, &NONE).status, Status::Fail);
        let empty = json!({"destinationAccessToken": ""});
        assert_eq!(check(&empty, ClientMode::Destination, &NONE).status, Status::Fail);
        assert_eq!(check(&json!({}), ClientMode::All, &NONE).status, Status::Skip);
    }
}
