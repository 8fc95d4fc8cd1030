//! The response oracle: arbitrary answers to a valid rotation, judged by the checks as `rotcheck
//! run` judges them (the one registry), and the verdicts held to an independent reading of the
//! response: a check that passes a bad answer is a finding against the checks themselves.

use std::sync::OnceLock;

use serde_json::{json, Value};

use super::validity::response_validity;
use super::{violation, OracleFailure};
use crate::cases::{Case, CaseKind, Expectation, TunnelState};
use crate::checks::{self, CaseEvidence, CheckId, CheckOutcome, Evidence, Exchange, Status};
use crate::fuzzing::input::ResponseInput;
use crate::spec::facts::{self, ClientMode, TOKEN_MEMBERS};
use crate::wire::{HttpRequest, HttpResponse};

/// Response-checking target: an arbitrary response to a rotation, judged as `run` judges it.
pub fn response_bytes(data: &[u8]) -> Result<(), OracleFailure> {
    match ResponseInput::decode(data) {
        Some(input) => check_response(input.mode(), &input.response()),
        None => Ok(()),
    }
}

/// Judges `resp` as the answer to a valid rotation in `mode` (the checks, every one
/// selected) and holds the verdicts to an independent reading of the response:
/// - a body that is not schema-valid never passes response-schema;
/// - a body without exactly the mode's token set (and tunnelArn) never passes token-set;
/// - anything but 200 fails valid-accepted;
/// - a 200 with a JSON content type, a schema-valid body and the exact token set passes all three.
pub fn check_response(mode: ClientMode, resp: &HttpResponse) -> Result<(), OracleFailure> {
    let t = template(mode);
    let exchanges = [Exchange {
        role: "request".into(),
        request: t.case.request.clone(),
        response: Some(resp.clone()),
        transport_error: None,
        attempts: 1,
        retried: Vec::new(),
        elapsed_ms: 0,
    }];
    let evidence = CaseEvidence {
        case: &t.case,
        request: &t.case.request,
        response: Some(Ok(resp)),
        setup_error: None,
        tunnel_arn: None,
        earlier_tokens: &[],
        before: None,
        after: None,
        exchanges: &exchanges,
    };
    let outcomes = checks::judge(&Evidence::case(evidence), checks::all_checks());
    // A path no check should panic on either (error-shape runs inside the judge).
    let _ = checks::summary(resp);
    hold(mode, resp, &outcomes)
}

/// What every input of one mode shares: the valid rotation it answers, as a case. Built once:
/// the target runs it tens of thousands of times a second.
struct Template {
    case: Case,
}

fn template(mode: ClientMode) -> &'static Template {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    let all = TEMPLATES.get_or_init(|| {
        ClientMode::ALL_MODES
            .iter()
            .map(|&mode| {
                let request = HttpRequest::json(
                    facts::ROTATE,
                    &json!({"tunnelId": crate::cases::TUNNEL_ID_PLACEHOLDER, "clientMode": mode.as_str()}),
                );
                let case = Case {
                    id: "fuzz/response".into(),
                    kind: CaseKind::Mutated,
                    description: String::new(),
                    tunnel: TunnelState::Open {
                        destination_config: None,
                    },
                    request,
                    expect: Expectation::Success { mode },
                    operator: None,
                };
                Template { case }
            })
            .collect()
    });
    let i = ClientMode::ALL_MODES.iter().position(|m| *m == mode).unwrap_or(0);
    &all[i]
}

/// The verdicts `outcomes` on `resp`, held to the independent reading of the response.
fn hold(mode: ClientMode, resp: &HttpResponse, outcomes: &[CheckOutcome]) -> Result<(), OracleFailure> {
    let status_of = |id: CheckId| outcomes.iter().find(|o| o.check == id).map(|o| o.status);
    let body = resp.body_json();
    let schema_valid = body
        .as_ref()
        .is_some_and(|b| response_validity(facts::ROTATE, b).is_ok());
    let tokens_exact = body.as_ref().is_some_and(|b| exact_token_set(b, mode));
    let media = checks::response_schema::media_type(resp);
    let json_type = media
        .as_deref()
        .is_some_and(|m| m == facts::CONTENT_TYPE || m == "application/json");

    if (!schema_valid || resp.truncated) && status_of(CheckId::RESPONSE_SCHEMA) == Some(Status::Pass) {
        return violation("response-schema passed a body that is not schema-valid");
    }
    if !tokens_exact && status_of(CheckId::TOKEN_SET) == Some(Status::Pass) {
        return violation(format!("token-set passed a body without exactly the {mode} token set"));
    }
    if resp.status != 200 && status_of(CheckId::VALID_ACCEPTED) != Some(Status::Fail) {
        return violation(format!("valid-accepted did not fail HTTP {}", resp.status));
    }
    let well_formed = resp.status == 200 && json_type && !resp.truncated && schema_valid && tokens_exact;
    if well_formed {
        for id in [CheckId::VALID_ACCEPTED, CheckId::RESPONSE_SCHEMA, CheckId::TOKEN_SET] {
            if status_of(id) != Some(Status::Pass) {
                return violation(format!("{id} did not pass a well-formed {mode} rotation"));
            }
        }
    }
    Ok(())
}

/// `tunnelArn` and the mode's tokens are strings; the other mode's token is absent or null.
fn exact_token_set(body: &Value, mode: ClientMode) -> bool {
    let Some(obj) = body.as_object() else {
        return false;
    };
    let is_string = |k: &str| obj.get(k).is_some_and(Value::is_string);
    let absent = |k: &str| obj.get(k).is_none_or(Value::is_null);
    is_string("tunnelArn")
        && TOKEN_MEMBERS.iter().all(|m| {
            if mode.token_members().contains(m) {
                is_string(m)
            } else {
                absent(m)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judge_that_passes_a_bad_response_is_caught() {
        let not_json = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), facts::CONTENT_TYPE.into())],
            body: b"{".to_vec(),
            truncated: false,
        };
        let lenient = |check| CheckOutcome::new(check, Status::Pass, "a broken judge");
        let e = hold(ClientMode::All, &not_json, &[lenient(CheckId::RESPONSE_SCHEMA)]).unwrap_err();
        assert!(e.message.contains("response-schema passed"), "{e}");
        let e = hold(ClientMode::All, &not_json, &[lenient(CheckId::TOKEN_SET)]).unwrap_err();
        assert!(e.message.contains("token-set passed"), "{e}");
        let refused = HttpResponse {
            status: 400,
            ..not_json
        };
        let e = hold(ClientMode::All, &refused, &[lenient(CheckId::VALID_ACCEPTED)]).unwrap_err();
        assert!(e.message.contains("valid-accepted did not fail"), "{e}");
    }

    #[test]
    fn the_response_oracle_holds_for_good_and_bad_responses() {
        let good = ResponseInput {
            status: 200,
            mode: 2,
            content_type: 0,
            error_type_header: 0,
            truncated: false,
            body: br#"{"tunnelArn":"arn:aws:iot:us-east-1:1:tunnel/x","sourceAccessToken":"s","destinationAccessToken":"d"}"#
                .to_vec(),
        };
        assert_eq!(response_bytes(&good.encode()), Ok(()));
        for body in [
            &br#"{"tunnelArn":"a","sourceAccessToken":"s"}"#[..],
            b"[]",
            b"{",
            b"null",
        ] {
            let bad = ResponseInput {
                body: body.to_vec(),
                ..good.clone()
            };
            assert_eq!(response_bytes(&bad.encode()), Ok(()));
        }
    }
}
