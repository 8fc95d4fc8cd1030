//! A constructed run result shared by the report tests: a pass with tokens in the response, a
//! failure whose error echoes tokens, a transport error, an advisory, a skipped check and a
//! harness error, with signed requests (Authorization, session token).

#![allow(dead_code)]

use rotcheck::cases::{CaseKind, Expectation, TunnelState};
use rotcheck::checks::CheckId;
use rotcheck::redact::Redactor;
use rotcheck::runner::{CaseResult, CheckOutcome, Exchange, RunMeta, RunResult, SkippedCheck, Status};
use rotcheck::spec::facts::{self, ClientMode};
use rotcheck::wire::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

pub const SRC_TOKEN: &str = "AQGAAXiSRCtokenVALUE0001";
pub const DST_TOKEN: &str = "AQGAAXiDSTtokenVALUE0002";
pub const OLD_TOKEN: &str = "AQGAAXiOPENtokenVALUE0003";
pub const SIGNATURE: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
pub const ACCESS_KEY: &str = "AKIDEXAMPLE12345";
pub const SESSION: &str = "FwoGZXIvYXdzSESSIONtoken";
pub const TUNNEL: &str = "tun-7f3a9c2e11";
pub const SECRETS: [&str; 6] = [SRC_TOKEN, DST_TOKEN, OLD_TOKEN, SIGNATURE, ACCESS_KEY, SESSION];

fn signed(mut req: HttpRequest) -> HttpRequest {
    req.set_header(
        "Authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20261127/us-east-1/IoTSecuredTunneling/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={SIGNATURE}"
        ),
    );
    req.set_header("X-Amz-Date", "20261127T183200Z");
    req.set_header("X-Amz-Security-Token", SESSION);
    req
}

fn response(status: u16, body: Value, error_type: Option<&str>) -> HttpResponse {
    let mut headers = vec![
        ("Content-Type".to_owned(), facts::CONTENT_TYPE.to_owned()),
        (
            "x-amzn-RequestId".to_owned(),
            "0f8fad5b-d9cb-469f-a165-70867728950e".to_owned(),
        ),
    ];
    if let Some(t) = error_type {
        headers.push(("X-Amzn-Errortype".to_owned(), t.to_owned()));
    }
    HttpResponse {
        status,
        headers,
        body: body.to_string().into_bytes(),
        truncated: false,
    }
}

pub fn outcome(check: CheckId, status: Status, message: &str) -> CheckOutcome {
    CheckOutcome {
        check,
        status,
        message: message.to_owned(),
        expected: None,
        actual: None,
    }
}

fn rotate(body: Value) -> HttpRequest {
    HttpRequest::json(facts::ROTATE, &body)
}

fn open_exchange(ms: u64) -> Exchange {
    let req = signed(HttpRequest::json("OpenTunnel", &json!({})));
    Exchange {
        role: "setup".into(),
        request: req,
        response: Some(response(
            200,
            json!({
                "tunnelId": TUNNEL,
                "tunnelArn": format!("arn:aws:iot:us-east-1:123456789012:tunnel/{TUNNEL}"),
                "sourceAccessToken": OLD_TOKEN,
                "destinationAccessToken": OLD_TOKEN,
            }),
            None,
        )),
        transport_error: None,
        attempts: 1,
        retried: Vec::new(),
        elapsed_ms: ms,
    }
}

/// A run with a pass (tokens in the response), a failure (tokens echoed in the error and the
/// outcome), a transport error, an advisory, a skipped check and a harness error. `t` shifts
/// every timing.
pub fn sample(t: u64) -> RunResult {
    let redactor = Redactor::new();
    for s in [SRC_TOKEN, DST_TOKEN, OLD_TOKEN] {
        redactor.add(s);
    }
    let ok_req = rotate(json!({"tunnelId": TUNNEL, "clientMode": "ALL"}));
    let ok_resp = response(
        200,
        json!({
            "tunnelArn": format!("arn:aws:iot:us-east-1:123456789012:tunnel/{TUNNEL}"),
            "sourceAccessToken": SRC_TOKEN,
            "destinationAccessToken": DST_TOKEN,
        }),
        None,
    );
    let valid = CaseResult {
        id: "valid/all".into(),
        kind: CaseKind::Valid,
        description: "ALL mode on an open tunnel".into(),
        operator: None,
        tunnel: TunnelState::Open {
            destination_config: None,
        },
        expect: Expectation::Success { mode: ClientMode::All },
        request: ok_req.clone(),
        response: Some(ok_resp.clone()),
        error_type: None,
        transport_error: None,
        outcomes: vec![
            outcome(CheckId::TOKEN_FRESH, Status::Pass, "2 new tokens"),
            outcome(CheckId::RESPONSE_SCHEMA, Status::Pass, "valid"),
            outcome(CheckId::TOKEN_SET, Status::Pass, "both tokens and tunnelArn"),
        ],
        exchanges: vec![
            open_exchange(3 + t),
            Exchange {
                role: "request".into(),
                request: signed(ok_req),
                response: Some(ok_resp),
                transport_error: None,
                attempts: 1,
                retried: Vec::new(),
                elapsed_ms: 4 + t,
            },
        ],
        duration_ms: 9 + t,
    };

    let bad_body = br#"{"tunnelId":"it's a\n\"quoted\" id", "clientMode":"SOURCE"}"#.to_vec();
    let bad_req = HttpRequest::raw(facts::ROTATE, bad_body);
    let bad_resp = response(
        400,
        json!({"__type": "ValidationException", "message": format!("token {DST_TOKEN} is not valid for \u{1b}[31mred")}),
        Some("ValidationException"),
    );
    let mut fail = outcome(
        CheckId::VALID_ACCEPTED,
        Status::Fail,
        &format!("valid input refused: 400 ValidationException mentioning {SRC_TOKEN}"),
    );
    fail.expected = Some("HTTP 200".into());
    fail.actual = Some(format!("HTTP 400 ValidationException: token {DST_TOKEN}"));
    let failing = CaseResult {
        id: "boundary/tunnelId/len-128".into(),
        kind: CaseKind::Boundary,
        description: "128-character tunnelId".into(),
        operator: None,
        tunnel: TunnelState::Open {
            destination_config: None,
        },
        expect: Expectation::Success {
            mode: ClientMode::Source,
        },
        request: bad_req.clone(),
        response: Some(bad_resp.clone()),
        error_type: Some("ValidationException".into()),
        transport_error: None,
        outcomes: vec![fail, outcome(CheckId::ERROR_SHAPE, Status::Pass, "typed JSON error")],
        exchanges: vec![
            open_exchange(2 + t),
            Exchange {
                role: "request".into(),
                request: signed(bad_req),
                response: Some(bad_resp),
                transport_error: None,
                attempts: 1,
                retried: Vec::new(),
                elapsed_ms: 5 + t,
            },
        ],
        duration_ms: 11 + t,
    };

    let raw = vec![0xff, 0xfe, b'\n', b'\'', 0, b'{'];
    let broken = CaseResult {
        id: "mutate/invalid-utf8/body".into(),
        kind: CaseKind::Mutated,
        description: "invalid UTF-8 bytes in the body".into(),
        operator: Some("invalid-utf8".into()),
        tunnel: TunnelState::Open {
            destination_config: None,
        },
        expect: Expectation::Invalid,
        request: HttpRequest::raw(facts::ROTATE, raw),
        response: None,
        error_type: None,
        transport_error: Some(format!("connection reset while sending (last token {OLD_TOKEN})")),
        outcomes: vec![outcome(
            CheckId::INVALID_REJECTED,
            Status::Error,
            &format!("no response; cannot judge ({OLD_TOKEN})"),
        )],
        exchanges: vec![],
        duration_ms: 30 + t,
    };

    let closed = CaseResult {
        id: "boundary/closed/all".into(),
        kind: CaseKind::Boundary,
        description: "rotation of a CLOSED tunnel".into(),
        operator: None,
        tunnel: TunnelState::Closed,
        expect: Expectation::ClosedTunnel,
        request: rotate(json!({"tunnelId": TUNNEL, "clientMode": "ALL"})),
        response: Some(response(200, json!({"sourceAccessToken": SRC_TOKEN}), None)),
        error_type: None,
        transport_error: None,
        outcomes: vec![
            outcome(CheckId::NO_5XX, Status::Pass, "no 5xx"),
            outcome(
                CheckId::CLOSED_TUNNEL,
                Status::Advisory,
                "a CLOSED tunnel was rotated (200)",
            ),
        ],
        exchanges: vec![],
        duration_ms: 7 + t,
    };

    RunResult {
        meta: RunMeta {
            tool_version: "0.1.0".into(),
            seed: 7,
            endpoint: "http://127.0.0.1:9".into(),
            embedded: false,
            region: "us-east-1".into(),
            time_scale: 60.0,
            live: false,
            only: None,
            checks: CheckId::all().collect(),
            concurrency: 2,
            endpoint_source: Some("--endpoint".into()),
            mode: Default::default(),
        },
        cases: vec![valid, failing, broken, closed],
        skipped_checks: vec![SkippedCheck {
            check: CheckId::DURATION_LIVE,
            reason: "pass --live to run it against a non-embedded endpoint (~70 s at time-scale 1)".into(),
        }],
        harness_errors: vec![format!(
            "CloseTunnel failed during cleanup; response echoed {SRC_TOKEN}"
        )],
        interrupted: false,
        setup_failure: None,
        tunnels: Default::default(),
        requests: 0,
        duration_ms: 100 + t,
        baseline: None,
        redactor,
    }
}
