//! token-fresh: the returned tokens are non-empty, distinct from each other and from every earlier
//! token of the tunnel (OpenTunnel's and every earlier rotation's): rotation revokes and replaces.

use serde_json::Value;

use super::{About, Check, CheckId, CheckOutcome, Evidence, one, rotation_body};
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
            description: "returned tokens are non-empty, distinct from each other and from every earlier token of the tunnel",
            citation: facts::CITE_REVOKES,
            statements: &["api.returns-new-cat"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        e.as_case().is_some_and(|c| c.success_mode().is_some())
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        let earlier = e.as_case().map_or(&[][..], |c| c.earlier_tokens);
        one(rotation_body(e, ID).map(|(body, mode)| check(&body, mode, earlier)))
    }
}

/// `earlier`: every token the tunnel has had before this response.
pub fn check(body: &Value, mode: ClientMode, earlier: &[SecretString]) -> CheckOutcome {
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
        } else if earlier.iter().any(|e| e.expose() == *token) {
            problems.push(format!("{member} repeats an earlier token of this tunnel"));
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
            format!("{} earlier token(s) on record", earlier.len()),
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
        assert_eq!(check(&body, ClientMode::All, &hist(&["s1", "d1"])).status, Status::Pass);
    }

    #[test]
    fn reused_equal_or_empty_tokens_fail() {
        let reused = json!({"sourceAccessToken": "d1"});
        let o = check(&reused, ClientMode::Source, &hist(&["s1", "d1"]));
        assert_eq!(o.status, Status::Fail);
        assert!(!format!("{o:?}").contains("d1"), "no token values in the outcome");
        let same = json!({"sourceAccessToken": "x", "destinationAccessToken": "x"});
        assert_eq!(check(&same, ClientMode::All, &[]).status, Status::Fail);
        let empty = json!({"destinationAccessToken": ""});
        assert_eq!(check(&empty, ClientMode::Destination, &[]).status, Status::Fail);
        assert_eq!(check(&json!({}), ClientMode::All, &[]).status, Status::Skip);
    }
}
