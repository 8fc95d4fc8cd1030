//! token-set: a successful rotation returns the client mode's tokens and `tunnelArn`; the other
//! mode's token is absent. Unknown extra members are allowed (clients ignore them).

use serde_json::Value;

use super::{one, rotation_body, About, Check, CheckId, CheckOutcome, Evidence};
use crate::spec::facts::{self, ClientMode, TOKEN_MEMBERS};

impl CheckId {
    pub const TOKEN_SET: CheckId = CheckId::new("token-set");
}

const ID: CheckId = CheckId::TOKEN_SET;

pub struct TokenSet;

impl Check for TokenSet {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "a successful rotation returns exactly the client mode's token set plus tunnelArn",
            citation: facts::CITE_TOKENS_PER_MODE,
            statements: &[
                "proto.rotate.tokens-per-mode",
                "api.client-mode",
                "api.source-token",
                "api.destination-token",
                "api.tunnel-arn",
            ],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        e.as_case().is_some_and(|c| c.success_mode().is_some())
            || e.as_step().is_some_and(|s| s.succeeded() && s.tokens.is_some())
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        one(rotation_body(e, ID).map(|(body, mode)| check(&body, mode)))
    }
}

fn present<'a>(body: &'a Value, member: &str) -> Option<&'a Value> {
    body.get(member).filter(|v| !v.is_null())
}

pub fn check(body: &Value, mode: ClientMode) -> CheckOutcome {
    let wanted = mode.token_members();
    let mut problems = Vec::new();
    if !body.is_object() {
        return CheckOutcome::fail(ID, "the success body is not a JSON object");
    }
    if !present(body, "tunnelArn").is_some_and(Value::is_string) {
        problems.push("tunnelArn missing".to_owned());
    }
    for m in wanted {
        if !present(body, m).is_some_and(Value::is_string) {
            problems.push(format!("{m} missing"));
        }
    }
    for m in TOKEN_MEMBERS.iter().filter(|m| !wanted.contains(m)) {
        if present(body, m).is_some() {
            problems.push(format!("{m} returned for {mode} mode"));
        }
    }
    let expected = format!("{} + tunnelArn", wanted.join(" + "));
    if problems.is_empty() {
        CheckOutcome::pass(ID, format!("{mode}: {expected}"))
    } else {
        let actual: Vec<&str> = body
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default();
        CheckOutcome::fail(ID, format!("{mode} rotation: {}", problems.join(", ")))
            .with(expected, format!("members: {}", actual.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use serde_json::json;

    #[test]
    fn exact_sets_pass_and_extras_are_allowed() {
        let src = json!({"tunnelArn": "a", "sourceAccessToken": "s", "somethingNew": true});
        assert_eq!(check(&src, ClientMode::Source).status, Status::Pass);
        let dst = json!({"tunnelArn": "a", "destinationAccessToken": "d", "sourceAccessToken": null});
        assert_eq!(check(&dst, ClientMode::Destination).status, Status::Pass);
        let all = json!({"tunnelArn": "a", "sourceAccessToken": "s", "destinationAccessToken": "d"});
        assert_eq!(check(&all, ClientMode::All).status, Status::Pass);
    }

    #[test]
    fn other_modes_token_or_missing_members_fail() {
        let both = json!({"tunnelArn": "a", "sourceAccessToken": "s", "destinationAccessToken": "d"});
        let o = check(&both, ClientMode::Source);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("destinationAccessToken returned"));
        assert!(!format!("{o:?}").contains("\"s\""), "no token values in the outcome");
        assert_eq!(
            check(&json!({"sourceAccessToken": "s"}), ClientMode::Source).status,
            Status::Fail
        );
        assert_eq!(
            check(&json!({"tunnelArn": "a", "sourceAccessToken": "s"}), ClientMode::All).status,
            Status::Fail
        );
        assert_eq!(
            check(&json!({"tunnelArn": "a", "sourceAccessToken": 5}), ClientMode::Source).status,
            Status::Fail
        );
    }
}
