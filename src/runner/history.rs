//! Every access token a tunnel has had (OpenTunnel's and each rotation's): token-fresh compares new
//! tokens against it.

use serde_json::Value;

use crate::secret::SecretString;
use crate::spec::facts::TOKEN_MEMBERS;

#[derive(Debug, Clone, Default)]
pub struct TokenHistory {
    tokens: Vec<SecretString>,
}

impl TokenHistory {
    /// Remember the top-level token members of a response body.
    pub fn record(&mut self, body: &Value) {
        for member in TOKEN_MEMBERS {
            if let Some(t) = body.get(member).and_then(Value::as_str) {
                if !self.tokens.iter().any(|x| x.expose() == t) {
                    self.tokens.push(SecretString::new(t));
                }
            }
        }
    }

    pub fn tokens(&self) -> &[SecretString] {
        &self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_both_token_members_once() {
        let mut h = TokenHistory::default();
        h.record(&json!({"tunnelId": "t", "sourceAccessToken": "s1", "destinationAccessToken": "d1"}));
        h.record(&json!({"sourceAccessToken": "s1", "tunnelArn": "a"}));
        h.record(&json!({"destinationAccessToken": "d2"}));
        let seen: Vec<&str> = h.tokens().iter().map(SecretString::expose).collect();
        assert_eq!(seen, ["s1", "d1", "d2"]);
    }
}
