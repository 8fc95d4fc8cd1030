//! lifecycle-tags: ListTagsForResource lists the tags TagResource set, as a lifecycle sequence
//! sees them (`rotcheck fuzz --sequences`, the cargo-fuzz `lifecycle` target). No single request
//! shows this: `rotcheck run` has nothing for this check to judge.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{About, Check, CheckId, CheckOutcome, Evidence, Subject};
use crate::spec::facts;
use crate::wire::HttpResponse;

impl CheckId {
    pub const TAGS: CheckId = CheckId::new("lifecycle-tags");
}

const ID: CheckId = CheckId::TAGS;

pub struct Tags;

impl Check for Tags {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "ListTagsForResource lists exactly the tags TagResource set",
            citation: facts::CITE_TAGS,
            statements: &["model.list-tags"],
        }
    }

    fn sequences_only(&self) -> bool {
        true
    }

    fn applies(&self, e: &Evidence) -> bool {
        matches!(e.subject, Subject::Tags(_))
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        match &e.subject {
            Subject::Tags(t) => vec![check(t.response, t.expected)],
            _ => Vec::new(),
        }
    }
}

/// The tags a ListTagsForResource answer lists (an answer without `tags`: none).
fn listed(resp: &HttpResponse) -> BTreeMap<String, String> {
    let body = resp.body_json().unwrap_or(Value::Null);
    let member = |t: &Value, k: &str| t.get(k).and_then(Value::as_str).map(str::to_owned);
    body.get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| Some((member(t, "key")?, member(t, "value")?)))
        .collect()
}

/// `resp`: the answer to ListTagsForResource; `expected`: every tag set on the tunnel.
pub fn check(resp: &HttpResponse, expected: &BTreeMap<String, String>) -> CheckOutcome {
    let got = listed(resp);
    if got == *expected {
        return CheckOutcome::pass(ID, format!("{} tag(s), as set", got.len()));
    }
    let keys = |m: &BTreeMap<String, String>| format!("{:?}", m.keys().collect::<Vec<_>>());
    CheckOutcome::fail(ID, "ListTagsForResource: the tags are not the ones set").with(keys(expected), keys(&got))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;

    #[test]
    fn exactly_the_tags_set_pass() {
        let set = BTreeMap::from([("k0".to_owned(), "v1".to_owned())]);
        let ok = json_response(200, r#"{"tags":[{"key":"k0","value":"v1"}]}"#);
        assert_eq!(check(&ok, &set).status, Status::Pass);
        let other = json_response(200, r#"{"tags":[{"key":"k0","value":"v2"}]}"#);
        assert_eq!(check(&other, &set).status, Status::Fail);
        assert_eq!(check(&json_response(200, "{}"), &set).status, Status::Fail);
        assert_eq!(check(&json_response(200, "{}"), &BTreeMap::new()).status, Status::Pass);
    }
}
