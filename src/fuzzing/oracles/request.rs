//! The request oracles: requests (structured, or raw body bytes) through the reference
//! implementation, one server per thread reused by every input.

use axum::Router;
use serde_json::Value;

use super::inprocess::{materialized, prepare_tunnel, send};
use super::validity::{parse_body, validity, Validity};
use super::{block_on, OracleFailure};
use crate::cases::TunnelState;
use crate::checks::{self, error_shape, Status, StepEvidence, StepExpectation};
use crate::fuzzing::input::{self, PreparedRequest, RequestInput};
use crate::secret::SecretString;
use crate::server::{self, Control, ServerConfig, StoreSnapshot};
use crate::spec::facts;
use crate::wire::{HttpRequest, HttpResponse};

/// Structured request target: decode, build, send, judge.
pub fn request_bytes(data: &[u8]) -> Result<(), OracleFailure> {
    match RequestInput::decode(data) {
        Some(input) => check_prepared(&input.prepare()),
        None => Ok(()),
    }
}

/// Raw-bytes target: the bytes are the body (after an operation selector byte).
pub fn raw_bytes(data: &[u8]) -> Result<(), OracleFailure> {
    check_prepared(&input::raw_request(data))
}

/// Cap on request bodies of the fuzz server: larger bodies get 413 at the edge, unparsed (the
/// 1 MiB cap of `rotcheck serve` only makes each such input cost milliseconds; the same code path
/// is covered either way).
pub const FUZZ_MAX_BODY_BYTES: usize = input::MAX_JSON_EDIT_BYTES;

/// One reference server per thread, reused by every input: its store is restored to `base` (an
/// OPEN tunnel without destinationConfig and a CLOSED one) before each input, so inputs cannot
/// influence each other and no tunnel is set up over HTTP for the common cases.
struct FuzzServer {
    app: Router,
    control: Control,
    base: StoreSnapshot,
    open_id: String,
    closed_id: String,
}

impl FuzzServer {
    fn new() -> Result<FuzzServer, OracleFailure> {
        let config = ServerConfig {
            max_body_bytes: FUZZ_MAX_BODY_BYTES,
            ..ServerConfig::default()
        };
        let (app, control) = server::router_with_control(config);
        block_on(async {
            let open_id = prepare_tunnel(
                &app,
                &TunnelState::Open {
                    destination_config: None,
                },
            )
            .await?;
            let closed_id = prepare_tunnel(&app, &TunnelState::Closed).await?;
            let base = control.snapshot();
            match (open_id, closed_id) {
                (Some(open_id), Some(closed_id)) => Ok(FuzzServer {
                    app,
                    control,
                    base,
                    open_id,
                    closed_id,
                }),
                _ => Err(OracleFailure::new("setup: no tunnel id")),
            }
        })
    }

    /// The tunnel `tunnel` names on the restored store (opening one only when it needs a
    /// destinationConfig).
    async fn tunnel(&self, tunnel: &TunnelState) -> Result<Option<String>, OracleFailure> {
        match tunnel {
            TunnelState::Open {
                destination_config: None,
            } => Ok(Some(self.open_id.clone())),
            TunnelState::Closed => Ok(Some(self.closed_id.clone())),
            other => prepare_tunnel(&self.app, other).await,
        }
    }
}

/// Sends `prepared` to this thread's reference server (restored first, then its tunnel prepared)
/// and judges it.
pub fn check_prepared(prepared: &PreparedRequest) -> Result<(), OracleFailure> {
    thread_local! {
        static SERVER: Result<FuzzServer, OracleFailure> = FuzzServer::new();
    }
    SERVER.with(|server| {
        let server = server.as_ref().map_err(Clone::clone)?;
        server.control.restore(&server.base);
        block_on(async {
            let opened = server.tunnel(&prepared.tunnel).await?;
            // A body over the cap is refused unread (and left undecided by the judge): naming
            // the tunnel in it would only cost a pass over up to ~300 KB per input.
            let request = if prepared.request.body.len() > FUZZ_MAX_BODY_BYTES {
                prepared.request.clone()
            } else {
                materialized(prepared, opened.as_deref())
            };
            match send(&server.app, &request).await {
                Some((req, resp)) => {
                    judge_exchange(&prepared.tunnel, opened.as_deref(), &req, &resp, FUZZ_MAX_BODY_BYTES)
                }
                None => Ok(()),
            }
        })
    })
}

/// The request oracles, for one exchange with the reference implementation: the answer, with what
/// the spec requires of it (decided from the request alone, by the committed schemas:
/// [`validity`]), judged by every check of the registry ([`checks::first_failure`]: the rules of
/// `rotcheck run`, in one place):
/// - input the spec forbids: refused with a 4xx and an error type (invalid-rejected);
/// - valid rotation input for the OPEN tunnel: accepted (valid-accepted); for an id no tunnel
///   has: exactly 400 ResourceNotFoundException (not-found);
/// - anything: never a 5xx (no-5xx); a success schema-valid (response-schema, describe-shape)
///   with its operation's token set (token-set, token-fresh); an error readable (error-shape).
///
/// Beyond the checks, one choice of the reference implementation is held (`server/mod.rs`): it
/// answers even a request no SDK sends with a readable error (error-shape's rule; an endpoint is
/// held to it only for requests an SDK sends, PROTOCOL.md leaving the others open).
pub fn judge_exchange(
    tunnel: &TunnelState,
    opened: Option<&str>,
    sent: &HttpRequest,
    resp: &HttpResponse,
    max_body: usize,
) -> Result<(), OracleFailure> {
    let validity = validity(sent, max_body);
    let step = StepEvidence {
        request: sent,
        response: resp,
        expect: expectation(tunnel, opened, sent, &validity),
        tokens: checks::token_set_of(sent),
        tunnel_arn: None,
        earlier: &NO_TOKENS,
    };
    let context = match &validity {
        Validity::Invalid(why) => format!("invalid input ({why}): "),
        _ => String::new(),
    };
    checks::judge_step(step).map_err(|o| OracleFailure::of_outcome(&context, &o))?;
    if resp.status >= 400 && !error_shape::sdk_sendable(sent) {
        let o = error_shape::check_error(resp);
        if o.status == Status::Fail {
            return Err(OracleFailure::of_outcome("a request no SDK sends: ", &o));
        }
    }
    Ok(())
}

/// No token is on record for the fuzz server's tunnels (a rotation's are only held to being
/// non-empty and distinct).
const NO_TOKENS: &[SecretString] = &[];

/// What the spec requires of the answer to `sent`: refused when its input is invalid; for a valid
/// rotation, accepted when it names the OPEN tunnel prepared for it, not found when it names an id
/// no tunnel has; otherwise only what holds for any answer.
fn expectation(tunnel: &TunnelState, opened: Option<&str>, sent: &HttpRequest, validity: &Validity) -> StepExpectation {
    match validity {
        Validity::Invalid(_) => StepExpectation::Invalid,
        Validity::Valid if sent.operation() == Some(facts::ROTATE) => {
            let id = parse_body(&sent.body)
                .and_then(|b| b.get("tunnelId").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            let names_prepared = opened == Some(id.as_str());
            match tunnel {
                TunnelState::Open { .. } if names_prepared => StepExpectation::Accepted,
                _ if !names_prepared => StepExpectation::NotFound,
                _ => StepExpectation::AnyNon5xx,
            }
        }
        _ => StepExpectation::AnyNon5xx,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::checks::CheckId;
    use crate::fuzzing::input::{encode_case_start, Json, Mutation, Path, Start};
    use crate::fuzzing::oracles::exchange;

    /// A validator bug in front of the reference server: services are cut to 128 characters
    /// before the server validates them, so a 129-character service is accepted.
    async fn lenient_services(req: axum::extract::Request) -> axum::extract::Request {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
        let body = match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut v) => {
                if let Some(list) = v
                    .pointer_mut("/destinationConfig/services")
                    .and_then(Value::as_array_mut)
                {
                    for s in list.iter_mut() {
                        if let Some(text) = s.as_str() {
                            *s = Value::String(text.chars().take(128).collect());
                        }
                    }
                }
                v.to_string().into_bytes()
            }
            Err(_) => bytes.to_vec(),
        };
        axum::extract::Request::from_parts(parts, axum::body::Body::from(body))
    }

    #[test]
    fn a_server_validator_that_accepts_a_129_character_service_is_caught() {
        let service = "s".repeat(129);
        let prepared = PreparedRequest {
            tunnel: TunnelState::Open {
                destination_config: None,
            },
            request: HttpRequest::json(
                facts::ROTATE,
                &json!({"tunnelId": crate::cases::TUNNEL_ID_PLACEHOLDER, "clientMode": "DESTINATION",
                    "destinationConfig": {"services": [service]}}),
            ),
        };
        let judged = |app: Router| {
            block_on(async {
                let (sent, opened) = exchange(&app, &prepared).await?;
                let (req, resp) = sent.expect("a POST is sent");
                judge_exchange(&prepared.tunnel, opened.as_deref(), &req, &resp, FUZZ_MAX_BODY_BYTES)
            })
        };
        assert_eq!(judged(server::router(ServerConfig::default())), Ok(()));
        let broken = server::router(ServerConfig::default()).layer(axum::middleware::map_request(lenient_services));
        let e = judged(broken).unwrap_err();
        assert_eq!(e.check, Some(CheckId::INVALID_REJECTED), "{e}");
        assert!(e.message.contains("invalid input"), "{e}");
    }

    #[test]
    fn every_start_case_passes_the_request_oracles() {
        for i in 0..input::start_cases().len() {
            let i = u16::try_from(i).unwrap();
            assert_eq!(request_bytes(&encode_case_start(i)), Ok(()), "case {i}");
        }
    }

    #[test]
    fn the_request_oracle_catches_a_5xx_and_an_accepted_invalid_input() {
        let tunnel = TunnelState::Open {
            destination_config: None,
        };
        let req = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "t1", "clientMode": "source"}));
        let ok = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), facts::CONTENT_TYPE.into())],
            body: br#"{"tunnelArn":"arn:aws:iot:us-east-1:123456789012:tunnel/t1","sourceAccessToken":"s"}"#.to_vec(),
            truncated: false,
        };
        let e = judge_exchange(&tunnel, Some("t1"), &req, &ok, 1 << 20).unwrap_err();
        assert_eq!(e.check, Some(CheckId::INVALID_REJECTED), "{e}");
        let err = HttpResponse {
            status: 500,
            body: br#"{"__type":"InternalFailure"}"#.to_vec(),
            ..ok
        };
        let valid = HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "t1", "clientMode": "SOURCE"}));
        let e = judge_exchange(&tunnel, Some("t1"), &valid, &err, 1 << 20).unwrap_err();
        // The checks of `rotcheck run`: a valid rotation refused with a 5xx.
        assert_eq!(e.check, Some(CheckId::VALID_ACCEPTED), "{e}");
        let list = HttpRequest::json("ListTunnels", &json!({}));
        let e = judge_exchange(&tunnel, Some("t1"), &list, &err, 1 << 20).unwrap_err();
        assert_eq!(e.check, Some(CheckId::NO_5XX), "{e}");
    }

    /// Guards the reference's own choice beyond error-shape's scope: an error to a request no SDK
    /// sends (here a GET) must still be readable.
    #[test]
    fn an_unreadable_error_to_a_request_no_sdk_sends_is_caught() {
        let tunnel = TunnelState::None;
        let get = HttpRequest {
            method: "GET".into(),
            ..HttpRequest::json("ListTunnels", &json!({}))
        };
        let plain = HttpResponse {
            status: 400,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: b"bad".to_vec(),
            truncated: false,
        };
        let e = judge_exchange(&tunnel, None, &get, &plain, 1 << 20).unwrap_err();
        assert_eq!(e.check, Some(CheckId::ERROR_SHAPE), "{e}");
    }

    #[test]
    fn mutated_skeletons_pass() {
        let input = RequestInput {
            start: Start::Skeleton(input::Skeleton {
                mode: input::ModeChoice::All,
                services: 1,
                thing_name: false,
                tunnel: input::TunnelChoice::Open,
            }),
            mutations: vec![
                Mutation::Set {
                    at: Path::ClientMode,
                    value: Json::Mode(input::ModeText::Lower(input::ModeChoice::All)),
                },
                Mutation::Remove { at: Path::Services },
            ],
        };
        assert_eq!(check_prepared(&input.prepare()), Ok(()));
    }
}
