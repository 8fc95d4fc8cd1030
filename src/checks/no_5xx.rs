//! no-5xx: no request the harness makes, however malformed, and no setup or verification call,
//! gets a 5xx.

use super::{About, Check, CheckId, CheckOutcome, Evidence, Exchange, Status};
use crate::spec::facts;

impl CheckId {
    pub const NO_5XX: CheckId = CheckId::new("no-5xx");
}

const ID: CheckId = CheckId::NO_5XX;

pub struct No5xx;

impl Check for No5xx {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "no request, however malformed, gets a 5xx",
            citation: facts::CITE_NO_5XX,
            statements: &["proto.open.no-5xx", "proto.wire.malformed-json"],
        }
    }

    fn applies(&self, _e: &Evidence) -> bool {
        true
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        let outcome = check(e.exchanges);
        // A case request without an answer cannot be judged.
        match e.as_case().and_then(|c| c.response) {
            Some(Err(err)) if outcome.status != Status::Fail => {
                vec![CheckOutcome::error(ID, format!("no response: {err}"))]
            }
            _ => vec![outcome],
        }
    }
}

pub fn check(exchanges: &[Exchange]) -> CheckOutcome {
    let answered = exchanges.iter().filter(|x| x.response.is_some()).count();
    let bad: Vec<String> = exchanges
        .iter()
        .filter_map(|x| {
            let resp = x.response.as_ref()?;
            (resp.status >= 500).then(|| {
                let op = x.request.operation().unwrap_or("request");
                format!("{} {op}: HTTP {}", x.role, resp.status)
            })
        })
        .collect();
    if !bad.is_empty() {
        return CheckOutcome::fail(ID, format!("{} server error(s)", bad.len())).with("no 5xx", bad.join("; "));
    }
    // Nothing answered is nothing judged: an endpoint that never replies must not collect passes.
    if answered == 0 {
        return match exchanges.iter().find_map(|x| x.transport_error.as_deref()) {
            Some(err) => CheckOutcome::error(ID, format!("no exchange got an HTTP answer: {err}")),
            None => CheckOutcome::skip(ID, "no request was sent"),
        };
    }
    let unanswered = exchanges.len() - answered;
    if unanswered == 0 {
        CheckOutcome::pass(ID, format!("{answered} exchange(s), no 5xx"))
    } else {
        CheckOutcome::pass(
            ID,
            format!("{answered} answered exchange(s), no 5xx ({unanswered} got no answer)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::wire::HttpRequest;
    use serde_json::json;

    fn x(role: &str, status: u16) -> Exchange {
        Exchange {
            role: role.into(),
            request: HttpRequest::json("DescribeTunnel", &json!({"tunnelId": "t"})),
            response: Some(json_response(status, "{}")),
            transport_error: None,
            attempts: 1,
            retried: Vec::new(),
            elapsed_ms: 1,
        }
    }

    fn unanswered(role: &str) -> Exchange {
        Exchange {
            response: None,
            transport_error: Some("connection refused".into()),
            ..x(role, 200)
        }
    }

    /// Regression: data-plane scenarios whose every call got no answer (endpoint unreachable)
    /// were counted as no-5xx passes.
    #[test]
    fn no_answer_at_all_is_not_a_pass() {
        let o = check(&[unanswered("setup")]);
        assert_eq!(o.status, Status::Error);
        assert!(o.message.contains("connection refused"), "{}", o.message);
        assert_eq!(check(&[]).status, Status::Skip);
        let some = check(&[x("setup", 200), unanswered("verify")]);
        assert_eq!(some.status, Status::Pass);
        assert!(some.message.contains("1 got no answer"), "{}", some.message);
    }

    #[test]
    fn any_5xx_in_any_role_fails() {
        assert_eq!(check(&[x("setup", 200), x("request", 400)]).status, Status::Pass);
        let o = check(&[x("setup", 200), x("verify", 502)]);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.actual.as_deref(), Some("verify DescribeTunnel: HTTP 502"));
    }
}
