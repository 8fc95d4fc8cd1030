//! Which checks apply to a case, given its expectation and what came back, and their outcomes.

use std::collections::BTreeSet;

use serde_json::Value;

use super::result::{CheckOutcome, Exchange};
use crate::cases::{Case, Expectation, TunnelState};
use crate::checks::{self, CheckId};
use crate::secret::SecretString;
use crate::spec::{facts, model};
use crate::wire::{HttpRequest, HttpResponse};

/// Everything the runner recorded for one case.
pub struct Evidence<'a> {
    pub case: &'a Case,
    /// The case's request as sent.
    pub request: &'a HttpRequest,
    /// The answer to it; `Err` is a transport failure. `None` when it was never sent.
    pub response: Option<Result<&'a HttpResponse, &'a str>>,
    /// Why the case could not be prepared or run.
    pub setup_error: Option<&'a str>,
    pub tunnel_arn: Option<&'a str>,
    /// Every token the tunnel had before this request.
    pub earlier_tokens: &'a [SecretString],
    /// DescribeTunnel's `tunnel` object before and after the request.
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
    pub exchanges: &'a [Exchange],
}

/// The checks a case is about: what it reports as Error when it cannot be judged.
fn primary_checks(case: &Case) -> Vec<CheckId> {
    let mut ids = match &case.expect {
        Expectation::Success { .. } => vec![
            CheckId::ValidAccepted,
            CheckId::ResponseSchema,
            CheckId::TokenSet,
            CheckId::TokenFresh,
            CheckId::TunnelArn,
        ],
        Expectation::NotFound => vec![CheckId::NotFound],
        Expectation::Invalid => vec![CheckId::InvalidRejected],
        Expectation::SourceWithDestinationConfig => vec![CheckId::SourceDestinationConfig],
        Expectation::ClosedTunnel => vec![CheckId::ClosedTunnel],
        Expectation::AnyNon5xx { .. } => vec![],
    };
    if matches!(case.tunnel, TunnelState::Open { .. }) && !ids.contains(&CheckId::SourceDestinationConfig) {
        ids.push(CheckId::DurationStatic);
    }
    ids
}

/// The success checks for a 2xx rotation in `mode`.
fn success_checks(e: &Evidence, resp: &HttpResponse, mode: facts::ClientMode) -> Vec<CheckOutcome> {
    let mut out = vec![checks::response_schema::check(resp)];
    match resp.body_json().filter(Value::is_object) {
        Some(body) => {
            out.push(checks::token_set::check(&body, mode));
            out.push(checks::token_fresh::check(&body, mode, e.earlier_tokens));
            out.push(checks::tunnel_arn::check(&body, e.tunnel_arn));
        }
        None => {
            for id in [CheckId::TokenSet, CheckId::TokenFresh, CheckId::TunnelArn] {
                out.push(CheckOutcome::skip(
                    id,
                    "the success body is not a JSON object (response-schema reports it)",
                ));
            }
        }
    }
    out
}

/// duration-static applies to every case on an OPEN tunnel, unless the request legitimately
/// changed the tunnel: a request another operation (CloseTunnel, say) accepted.
fn duration_static_applies(e: &Evidence, resp: &HttpResponse) -> bool {
    let other_op = e
        .request
        .operation()
        .is_some_and(|op| op != facts::ROTATE && model().operation(op).is_some());
    matches!(e.case.tunnel, TunnelState::Open { .. }) && !(other_op && resp.is_success())
}

pub fn judge(e: &Evidence, selected: &BTreeSet<CheckId>) -> Vec<CheckOutcome> {
    let mut out = vec![no_5xx(e)];
    out.extend(checks::describe_shape::check(e.exchanges));
    let unjudged = match (e.setup_error, e.response) {
        (Some(why), _) => Some(format!("setup failed: {why}")),
        (None, None) => Some("the request was not sent".to_owned()),
        (None, Some(Err(err))) => Some(format!("no response: {err}")),
        (None, Some(Ok(_))) => None,
    };
    if let Some(why) = unjudged {
        out.extend(
            primary_checks(e.case)
                .into_iter()
                .map(|id| CheckOutcome::error(id, why.clone())),
        );
    } else if let Some(Ok(resp)) = e.response {
        out.extend(judge_response(e, resp));
    }
    out.retain(|o| selected.contains(&o.check));
    out
}

/// no-5xx over every exchange; a case request without an answer cannot be judged.
fn no_5xx(e: &Evidence) -> CheckOutcome {
    let outcome = checks::no_5xx::check(e.exchanges);
    match e.response {
        Some(Err(err)) if outcome.status == super::Status::Pass => {
            CheckOutcome::error(CheckId::No5xx, format!("no response: {err}"))
        }
        _ => outcome,
    }
}

fn judge_response(e: &Evidence, resp: &HttpResponse) -> Vec<CheckOutcome> {
    let mut out = Vec::new();
    match &e.case.expect {
        Expectation::Success { mode } => {
            out.push(checks::valid_accepted::check(resp));
            if resp.is_success() {
                out.extend(success_checks(e, resp, *mode));
            } else {
                for id in [
                    CheckId::ResponseSchema,
                    CheckId::TokenSet,
                    CheckId::TokenFresh,
                    CheckId::TunnelArn,
                ] {
                    out.push(CheckOutcome::skip(
                        id,
                        "no successful response (valid-accepted reports it)",
                    ));
                }
            }
        }
        Expectation::NotFound => out.push(checks::not_found::check(resp)),
        Expectation::Invalid => out.push(checks::invalid_rejected::check(e.request, resp)),
        Expectation::SourceWithDestinationConfig => {
            out.push(checks::source_destination_config::check(resp, e.before, e.after));
        }
        Expectation::ClosedTunnel => out.push(checks::closed_tunnel::check(resp, e.after)),
        Expectation::AnyNon5xx { mode } => {
            if let (Some(mode), true) = (mode, resp.is_success()) {
                out.extend(success_checks(e, resp, *mode));
            }
        }
    }
    out.extend(checks::error_shape::check(e.request, resp));
    let covered = matches!(e.case.expect, Expectation::SourceWithDestinationConfig);
    if !covered && duration_static_applies(e, resp) {
        out.push(checks::duration_static::check(e.before, e.after));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::CaseKind;
    use crate::runner::Status;
    use crate::wire::HttpResponse;
    use serde_json::json;

    fn case(tunnel: TunnelState, request: HttpRequest, expect: Expectation) -> Case {
        Case {
            id: "t".into(),
            kind: CaseKind::Fixture,
            description: "d".into(),
            tunnel,
            request,
            expect,
            operator: None,
        }
    }

    fn open() -> TunnelState {
        TunnelState::Open {
            destination_config: None,
        }
    }

    fn resp(status: u16, body: Value) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), facts::CONTENT_TYPE.into())],
            body: body.to_string().into_bytes(),
            truncated: false,
        }
    }

    fn described() -> Value {
        json!({"status": "OPEN", "createdAt": 1, "timeoutConfig": {"maxLifetimeTimeoutMinutes": 720}})
    }

    fn run(
        c: &Case,
        response: Option<Result<&HttpResponse, &str>>,
        setup_error: Option<&str>,
    ) -> Vec<(CheckId, Status)> {
        let t = described();
        let e = Evidence {
            case: c,
            request: &c.request,
            response,
            setup_error,
            tunnel_arn: Some("arn"),
            earlier_tokens: &[],
            before: Some(&t),
            after: Some(&t),
            exchanges: &[],
        };
        judge(&e, &CheckId::ALL.into_iter().collect())
            .into_iter()
            .map(|o| (o.check, o.status))
            .collect()
    }

    fn rotate(mode: &str) -> HttpRequest {
        HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "x", "clientMode": mode}))
    }

    #[test]
    fn left_open_with_a_mode_applies_success_checks_on_2xx_and_error_shape_on_4xx() {
        let c = case(
            open(),
            rotate("ALL"),
            Expectation::AnyNon5xx {
                mode: Some(facts::ClientMode::All),
            },
        );
        let ok = resp(
            200,
            json!({"tunnelArn": "arn", "sourceAccessToken": "s", "destinationAccessToken": "d"}),
        );
        let got = run(&c, Some(Ok(&ok)), None);
        for id in [
            CheckId::ResponseSchema,
            CheckId::TokenSet,
            CheckId::TokenFresh,
            CheckId::TunnelArn,
        ] {
            assert!(got.contains(&(id, Status::Pass)), "{id}: {got:?}");
        }
        let refused = resp(400, json!({"message": "no type"}));
        let got = run(&c, Some(Ok(&refused)), None);
        assert!(got.contains(&(CheckId::ErrorShape, Status::Fail)), "{got:?}");
        assert!(!got.iter().any(|(id, _)| *id == CheckId::TokenSet));
    }

    #[test]
    fn an_accepted_other_operation_is_not_a_duration_change() {
        let close = HttpRequest::json("CloseTunnel", &json!({"tunnelId": "x"}));
        let c = case(open(), close, Expectation::AnyNon5xx { mode: None });
        let got = run(&c, Some(Ok(&resp(200, json!({})))), None);
        assert!(!got.iter().any(|(id, _)| *id == CheckId::DurationStatic), "{got:?}");
        let c = case(open(), rotate("ALL"), Expectation::AnyNon5xx { mode: None });
        let got = run(&c, Some(Ok(&resp(200, json!({})))), None);
        assert!(got.contains(&(CheckId::DurationStatic, Status::Pass)), "{got:?}");
    }

    #[test]
    fn setup_and_transport_failures_are_errors_not_failures() {
        let c = case(
            open(),
            rotate("SOURCE"),
            Expectation::Success {
                mode: facts::ClientMode::Source,
            },
        );
        let got = run(&c, None, Some("OpenTunnel failed: HTTP 400 LimitExceededException"));
        assert!(got.contains(&(CheckId::ValidAccepted, Status::Error)));
        assert!(got.contains(&(CheckId::DurationStatic, Status::Error)));
        assert!(got.iter().all(|(_, s)| *s != Status::Fail));
        let got = run(&c, Some(Err("connection reset")), None);
        assert!(got.contains(&(CheckId::No5xx, Status::Error)));
        assert!(got.contains(&(CheckId::ValidAccepted, Status::Error)));
    }

    #[test]
    fn refused_success_case_skips_body_checks() {
        let c = case(
            open(),
            rotate("ALL"),
            Expectation::Success {
                mode: facts::ClientMode::All,
            },
        );
        let got = run(&c, Some(Ok(&resp(400, json!({"__type": "ValidationException"})))), None);
        assert!(got.contains(&(CheckId::ValidAccepted, Status::Fail)));
        assert!(got.contains(&(CheckId::TokenSet, Status::Skip)));
        assert!(got.contains(&(CheckId::ErrorShape, Status::Pass)));
    }
}
