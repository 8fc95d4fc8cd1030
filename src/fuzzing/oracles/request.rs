//! The request oracles: requests (structured, or raw body bytes) through the reference
//! implementation, one server per thread reused by every input.

use axum::Router;
use serde_json::Value;

use super::inprocess::{materialized, prepare_tunnel, send};
use super::validity::{parse_body, validity, Validity};
use super::{block_on, violation, Violation};
use crate::cases::TunnelState;
use crate::checks;
use crate::fuzzing::input::{self, Prepared, RequestInput};
use crate::runner::Status;
use crate::server::{self, Control, ServerConfig, StoreSnapshot};
use crate::spec::facts::{self, ClientMode};
use crate::spec::schema;
use crate::wire::{HttpRequest, HttpResponse};

/// Structured request target: decode, build, send, judge.
pub fn request_bytes(data: &[u8]) -> Result<(), Violation> {
    match RequestInput::decode(data) {
        Some(input) => check_prepared(&input.prepare()),
        None => Ok(()),
    }
}

/// Raw-bytes target: the bytes are the body (after an operation selector byte).
pub fn raw_bytes(data: &[u8]) -> Result<(), Violation> {
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
    fn new() -> Result<FuzzServer, Violation> {
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
                _ => Err(Violation("setup: no tunnel id".into())),
            }
        })
    }

    /// The tunnel `tunnel` names on the restored store (opening one only when it needs a
    /// destinationConfig).
    async fn tunnel(&self, tunnel: &TunnelState) -> Result<Option<String>, Violation> {
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
pub fn check_prepared(prepared: &Prepared) -> Result<(), Violation> {
    thread_local! {
        static SERVER: Result<FuzzServer, Violation> = FuzzServer::new();
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

/// The request oracles, for one exchange with the reference implementation:
/// - never a 5xx;
/// - every response valid against its schema (success body of the operation, or the error
///   schema), and a 200 rotation carries its mode's token set;
/// - input the spec forbids never gets 200;
/// - valid rotation input for the OPEN tunnel always gets 200, and for an id no tunnel has
///   exactly 400 ResourceNotFoundException.
pub fn judge_exchange(
    tunnel: &TunnelState,
    opened: Option<&str>,
    sent: &HttpRequest,
    resp: &HttpResponse,
    max_body: usize,
) -> Result<(), Violation> {
    if resp.status >= 500 {
        return violation(format!("server error: {}", checks::summary(resp)));
    }
    let op = sent.operation();
    if resp.status == 200 {
        let Some(op) = op else {
            return violation("HTTP 200 for a request without an operation");
        };
        let Some(body) = resp.body_json() else {
            return violation(format!("{op}: the 200 body is not JSON"));
        };
        if let Err(e) = schema::validate_response(op, &body) {
            return violation(format!("{op}: the 200 body violates its schema: {}", e.join("; ")));
        }
        let mode = parse_body(&sent.body)
            .and_then(|b| b.get("clientMode").and_then(Value::as_str).and_then(ClientMode::parse));
        if let (facts::ROTATE, Some(mode)) = (op, mode) {
            let o = checks::token_set::check(&body, mode);
            if o.status != Status::Pass {
                return violation(format!("{op}: {}", o.message));
            }
        }
    } else {
        let Some(body) = resp.body_json() else {
            return violation(format!("the error body ({}) is not JSON", checks::summary(resp)));
        };
        if let Err(e) = schema::validate_error(&body) {
            return violation(format!("the error body violates the error schema: {}", e.join("; ")));
        }
        if crate::wire::parse_error(resp).is_none() {
            return violation(format!("HTTP {} without an error type", resp.status));
        }
    }
    match validity(sent, max_body) {
        Validity::Invalid(why) if resp.status == 200 => violation(format!("invalid input accepted with 200: {why}")),
        Validity::Valid if op == Some(facts::ROTATE) => {
            let id = parse_body(&sent.body)
                .and_then(|b| b.get("tunnelId").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            let open = matches!(tunnel, TunnelState::Open { .. });
            if open && opened == Some(id.as_str()) && resp.status != 200 {
                return violation(format!(
                    "valid rotation of the OPEN tunnel refused: {}",
                    checks::summary(resp)
                ));
            }
            if opened != Some(id.as_str()) {
                let o = checks::not_found::check(resp);
                if o.status != Status::Pass {
                    return violation(format!("unknown tunnel id: {}", o.message));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
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
        let prepared = Prepared {
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
        assert!(e.0.contains("invalid input accepted with 200"), "{e}");
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
        assert!(e.0.contains("invalid input accepted"), "{e}");
        let err = HttpResponse {
            status: 500,
            body: br#"{"__type":"InternalFailure"}"#.to_vec(),
            ..ok
        };
        assert!(judge_exchange(&tunnel, Some("t1"), &req, &err, 1 << 20).is_err());
    }

    #[test]
    fn mutated_skeletons_pass() {
        let input = RequestInput {
            start: Start::Skeleton(input::Skeleton {
                mode: input::Mode::All,
                services: 1,
                thing_name: false,
                tunnel: input::TunnelChoice::Open,
            }),
            mutations: vec![
                Mutation::Set {
                    at: Path::ClientMode,
                    value: Json::Mode(input::ModeText::Lower(input::Mode::All)),
                },
                Mutation::Remove { at: Path::Services },
            ],
        };
        assert_eq!(check_prepared(&input.prepare()), Ok(()));
    }
}
