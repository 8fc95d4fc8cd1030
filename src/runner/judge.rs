//! Judging a case: the runner's recorded evidence through the one registry of checks
//! ([`crate::checks::judge`]). The scenarios and the fuzz oracles go through the same registry.

use std::collections::BTreeSet;

use crate::checks::{self, CaseEvidence, CheckId, CheckOutcome};

/// The outcomes of the selected checks that apply to the case.
pub fn judge(e: &CaseEvidence, selected: &BTreeSet<CheckId>) -> Vec<CheckOutcome> {
    checks::judge(&checks::Evidence::case(*e), selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::CaseKind;
    use crate::cases::{Case, Expectation, TunnelState};
    use crate::checks::Status;
    use crate::spec::facts;
    use crate::wire::HttpRequest;
    use crate::wire::HttpResponse;
    use serde_json::json;
    use serde_json::Value;

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
        let e = CaseEvidence {
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
        judge(&e, &CheckId::all().collect())
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
            CheckId::RESPONSE_SCHEMA,
            CheckId::TOKEN_SET,
            CheckId::TOKEN_FRESH,
            CheckId::TUNNEL_ARN,
        ] {
            assert!(got.contains(&(id, Status::Pass)), "{id}: {got:?}");
        }
        let refused = resp(400, json!({"message": "no type"}));
        let got = run(&c, Some(Ok(&refused)), None);
        assert!(got.contains(&(CheckId::ERROR_SHAPE, Status::Fail)), "{got:?}");
        assert!(!got.iter().any(|(id, _)| *id == CheckId::TOKEN_SET));
    }

    #[test]
    fn an_accepted_other_operation_is_not_a_duration_change() {
        let close = HttpRequest::json("CloseTunnel", &json!({"tunnelId": "x"}));
        let c = case(open(), close, Expectation::AnyNon5xx { mode: None });
        let got = run(&c, Some(Ok(&resp(200, json!({})))), None);
        assert!(!got.iter().any(|(id, _)| *id == CheckId::DURATION_STATIC), "{got:?}");
        let c = case(open(), rotate("ALL"), Expectation::AnyNon5xx { mode: None });
        let got = run(&c, Some(Ok(&resp(200, json!({})))), None);
        assert!(got.contains(&(CheckId::DURATION_STATIC, Status::Pass)), "{got:?}");
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
        assert!(got.contains(&(CheckId::VALID_ACCEPTED, Status::Error)));
        assert!(got.contains(&(CheckId::DURATION_STATIC, Status::Error)));
        assert!(got.iter().all(|(_, s)| *s != Status::Fail));
        let got = run(&c, Some(Err("connection reset")), None);
        assert!(got.contains(&(CheckId::NO_5XX, Status::Error)));
        assert!(got.contains(&(CheckId::VALID_ACCEPTED, Status::Error)));
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
        assert!(got.contains(&(CheckId::VALID_ACCEPTED, Status::Fail)));
        assert!(got.contains(&(CheckId::TOKEN_SET, Status::Skip)));
        assert!(got.contains(&(CheckId::ERROR_SHAPE, Status::Pass)));
    }
}
