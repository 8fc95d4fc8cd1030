//! The stateful fuzz target: a sequence of operations (OpenTunnel, rotations in every mode with
//! and without a destinationConfig, DescribeTunnel, CloseTunnel with and without delete,
//! ListTunnels, TagResource, time passing) sent to the reference implementation in-process, each
//! answer judged by the lifecycle model ([`super::model`]). It reaches what a single request
//! cannot: a token that comes back two rotations later, a CLOSED tunnel that a rotation reopens, a
//! rotation that quietly pushes the expiry back.
//!
//! One server per thread and fault set; its store is emptied before each sequence, and its clock is
//! moved forward by the sequence's `Advance` steps (no sleeping).

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use axum::Router;
use serde_json::{json, Value};

use super::input::Mode;
use super::model::Model;
use super::oracles::{block_on, send, Violation};
use crate::server::{self, Control, Fault, ServerConfig, StoreSnapshot};
use crate::spec::facts::ClientMode;
use crate::wire::{HttpRequest, HttpResponse};

/// At most this many steps of an input are run.
pub const MAX_STEPS: usize = 32;
/// ListTunnels pages followed at most (the store holds at most `MAX_STEPS` tunnels).
const MAX_PAGES: usize = MAX_STEPS + 1;

/// The stateful target's input.
#[derive(Debug, Clone, Arbitrary)]
pub struct LifecycleInput {
    pub steps: Vec<Step>,
}

/// One operation. `tunnel` picks one of the tunnels opened so far (modulo their number plus one:
/// the extra value names a well-formed id no tunnel has).
#[derive(Debug, Clone, Arbitrary)]
pub enum Step {
    /// OpenTunnel with a lifetime of `1 + lifetime % 12` minutes (`lifetime == 255`: the default
    /// 720), with a destinationConfig when `config`.
    Open {
        lifetime: u8,
        config: bool,
    },
    Rotate {
        tunnel: u8,
        mode: Mode,
        config: bool,
    },
    Describe {
        tunnel: u8,
    },
    Close {
        tunnel: u8,
        delete: bool,
    },
    List,
    /// TagResource with tag `k{key % 4}`, then ListTagsForResource.
    Tag {
        tunnel: u8,
        key: u8,
        value: u8,
    },
    /// The clock moves `20 * (1 + secs % 64)` seconds forward (20 s to ~21 minutes).
    Advance {
        secs: u8,
    },
}

impl LifecycleInput {
    pub fn decode(data: &[u8]) -> Option<LifecycleInput> {
        LifecycleInput::arbitrary_take_rest(Unstructured::new(data)).ok()
    }

    /// The bytes that decode to this input (for seeds): each step after a continuation byte.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for step in &self.steps {
            out.push(1);
            step.encode(&mut out);
        }
        out
    }
}

/// The little-endian `u32` that `arbitrary` decodes to variant `k` of `n`.
fn selector(k: u32, n: u32) -> [u8; 4] {
    let s = (u64::from(k) << 32).div_ceil(u64::from(n));
    (s as u32).to_le_bytes()
}

impl Step {
    fn encode(&self, out: &mut Vec<u8>) {
        let mode = |m: &Mode| selector(*m as u32, 3);
        let (k, fields): (u32, Vec<u8>) = match self {
            Step::Open { lifetime, config } => (0, vec![*lifetime, u8::from(*config)]),
            Step::Rotate {
                tunnel,
                mode: m,
                config,
            } => {
                let mut f = vec![*tunnel];
                f.extend(mode(m));
                f.push(u8::from(*config));
                (1, f)
            }
            Step::Describe { tunnel } => (2, vec![*tunnel]),
            Step::Close { tunnel, delete } => (3, vec![*tunnel, u8::from(*delete)]),
            Step::List => (4, vec![]),
            Step::Tag { tunnel, key, value } => (5, vec![*tunnel, *key, *value]),
            Step::Advance { secs } => (6, vec![*secs]),
        };
        out.extend(selector(k, 7));
        out.extend(fields);
    }
}

/// Seed sequences: the lifecycle scenarios a user would write by hand (name, steps).
pub fn seed_sequences() -> Vec<(&'static str, LifecycleInput)> {
    use Step::*;
    let rotate = |tunnel: u8, mode: Mode, config: bool| Rotate { tunnel, mode, config };
    let seqs = vec![
        (
            "rotate-every-mode",
            vec![
                Open {
                    lifetime: 11,
                    config: false,
                },
                rotate(0, Mode::Source, false),
                rotate(0, Mode::Destination, true),
                rotate(0, Mode::All, false),
                Describe { tunnel: 0 },
            ],
        ),
        (
            "source-with-destination-config",
            vec![
                Open {
                    lifetime: 11,
                    config: true,
                },
                rotate(0, Mode::Source, true),
                Describe { tunnel: 0 },
            ],
        ),
        (
            "close-then-rotate",
            vec![
                Open {
                    lifetime: 11,
                    config: false,
                },
                Close {
                    tunnel: 0,
                    delete: false,
                },
                rotate(0, Mode::All, false),
                List,
            ],
        ),
        (
            "time-passes",
            vec![
                Open {
                    lifetime: 1,
                    config: false,
                },
                Advance { secs: 1 },
                rotate(0, Mode::Destination, false),
                Advance { secs: 1 },
                List,
            ],
        ),
        (
            "delete-and-list",
            vec![
                Open {
                    lifetime: u8::MAX,
                    config: false,
                },
                Open {
                    lifetime: 3,
                    config: true,
                },
                Tag {
                    tunnel: 1,
                    key: 0,
                    value: 1,
                },
                Close {
                    tunnel: 0,
                    delete: true,
                },
                List,
                Describe { tunnel: 0 },
                rotate(2, Mode::Source, false),
            ],
        ),
    ];
    seqs.into_iter()
        .map(|(name, steps)| (name, LifecycleInput { steps }))
        .collect()
}

const UNKNOWN_ID: &str = "rotcheckFuzzUnknownTunnel0";

fn config(label: &str) -> Value {
    json!({"thingName": format!("rotcheck-{label}"), "services": ["SSH"]})
}

struct Server {
    app: Router,
    control: Control,
    empty: StoreSnapshot,
}

/// Runs the sequence in `data` against the faithful reference implementation.
pub fn lifecycle_bytes(data: &[u8]) -> Result<(), Violation> {
    lifecycle_bytes_with(data, &[])
}

/// Runs the sequence in `data` against the reference implementation with `faults` switched on
/// (to show the target finds them).
pub fn lifecycle_bytes_with(data: &[u8], faults: &[Fault]) -> Result<(), Violation> {
    match LifecycleInput::decode(data) {
        Some(input) => check_sequence(&input.steps, faults).map(|_| ()),
        None => Ok(()),
    }
}

/// Runs `steps` and judges every answer; on success, the model at the end.
pub fn check_sequence(steps: &[Step], faults: &[Fault]) -> Result<Model, Violation> {
    thread_local! {
        static SERVERS: RefCell<HashMap<Vec<Fault>, Server>> = RefCell::new(HashMap::new());
    }
    SERVERS.with(|servers| {
        let mut servers = servers.borrow_mut();
        let server = servers.entry(faults.to_vec()).or_insert_with(|| {
            let (app, control) = server::router_with_control(ServerConfig {
                faults: faults.to_vec(),
                ..ServerConfig::default()
            });
            let empty = control.snapshot();
            Server { app, control, empty }
        });
        server.control.restore(&server.empty);
        block_on(run(server, steps))
    })
}

async fn call(app: &Router, op: &str, body: Value) -> Result<HttpResponse, Violation> {
    let req = HttpRequest::json(op, &body);
    let (_, resp) = send(app, &req)
        .await
        .ok_or_else(|| Violation(format!("{op}: could not be sent")))?;
    if resp.status >= 500 {
        return Err(Violation(format!("{op}: server error HTTP {}", resp.status)));
    }
    Ok(resp)
}

async fn run(server: &Server, steps: &[Step]) -> Result<Model, Violation> {
    let minute = server.control.tunnel_minute();
    let mut model = Model::new(minute.as_secs_f64());
    for (n, step) in steps.iter().take(MAX_STEPS).enumerate() {
        let at = |e: String| Violation(format!("step {} ({step:?}): {e}", n + 1));
        let pick = |t: u8, model: &Model| {
            let i = usize::from(t) % (model.tunnels().len() + 1);
            let id = model.tunnels().get(i).map_or(UNKNOWN_ID.to_owned(), |t| t.id.clone());
            (model.tunnels().get(i).map(|_| i), id)
        };
        match step {
            Step::Open { lifetime, config: with } => {
                let minutes = if *lifetime == u8::MAX {
                    720
                } else {
                    1 + i64::from(lifetime % 12)
                };
                let c = with.then(|| config(&format!("open-{n}")));
                let mut body = json!({"timeoutConfig": {"maxLifetimeTimeoutMinutes": minutes}});
                if let Some(c) = &c {
                    body["destinationConfig"] = c.clone();
                }
                let resp = call(&server.app, "OpenTunnel", body).await?;
                model.open(minutes, c, &resp).map_err(at)?;
            }
            Step::Rotate {
                tunnel,
                mode,
                config: with,
            } => {
                let (i, id) = pick(*tunnel, &model);
                let mode: ClientMode = mode.client_mode();
                let c = with.then(|| config(&format!("rotate-{n}")));
                let mut body = json!({"tunnelId": id, "clientMode": mode.as_str()});
                if let Some(c) = &c {
                    body["destinationConfig"] = c.clone();
                }
                let resp = call(&server.app, "RotateTunnelAccessToken", body).await?;
                model.rotate(i, mode, c, &resp).map_err(at)?;
            }
            Step::Describe { tunnel } => {
                let (i, id) = pick(*tunnel, &model);
                let resp = call(&server.app, "DescribeTunnel", json!({"tunnelId": id})).await?;
                model.describe(i, &resp).map_err(at)?;
            }
            Step::Close { tunnel, delete } => {
                let (i, id) = pick(*tunnel, &model);
                let resp = call(&server.app, "CloseTunnel", json!({"tunnelId": id, "delete": delete})).await?;
                model.close(i, *delete, &resp).map_err(at)?;
            }
            Step::List => {
                let mut pages = Vec::new();
                let mut token = Value::Null;
                for _ in 0..MAX_PAGES {
                    let resp = call(&server.app, "ListTunnels", json!({"nextToken": token})).await?;
                    token = resp
                        .body_json()
                        .and_then(|b| b.get("nextToken").cloned())
                        .unwrap_or(Value::Null);
                    pages.push(resp);
                    if token.is_null() {
                        break;
                    }
                }
                model.list(&pages).map_err(at)?;
            }
            Step::Tag { tunnel, key, value } => {
                let (i, _) = pick(*tunnel, &model);
                let arn = i.map_or_else(
                    || format!("arn:aws:iot:us-east-1:123456789012:tunnel/{UNKNOWN_ID}"),
                    |i| model.tunnels()[i].arn.clone(),
                );
                let (key, value) = (format!("k{}", key % 4), format!("v{value}"));
                let tags = json!([{"key": key, "value": value}]);
                let tagged = call(&server.app, "TagResource", json!({"resourceArn": arn, "tags": tags})).await?;
                let listed = call(&server.app, "ListTagsForResource", json!({"resourceArn": arn})).await?;
                model.tag(i, &key, &value, &tagged, &listed).map_err(at)?;
            }
            Step::Advance { secs } => {
                let by = Duration::from_secs(20 * (1 + u64::from(secs % 64)));
                server.control.advance_clock(by);
                model.advance(by.as_secs_f64());
            }
        }
    }
    Ok(model)
}
