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
use serde_json::Value;

use super::driver::{self, Api, NoAnswer, SequenceEnd, SequenceRun};
use super::input::ModeChoice;
use super::model::LifecycleModel;
use super::oracles::{block_on, send, OracleFailure};
use crate::server::{self, Control, Fault, ServerConfig, StoreSnapshot, Variant};
use crate::wire::{HttpRequest, HttpResponse};

/// At most this many steps of an input are run.
pub const MAX_STEPS: usize = 32;

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
        mode: ModeChoice,
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
        let mode = |m: &ModeChoice| selector(*m as u32, 3);
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
// Long: a table of hand-written scenarios, one entry each; there is nothing to factor out.
pub fn seed_sequences() -> Vec<(&'static str, LifecycleInput)> {
    use Step::*;
    let rotate = |tunnel: u8, mode: ModeChoice, config: bool| Rotate { tunnel, mode, config };
    let seqs = vec![
        (
            "rotate-every-mode",
            vec![
                Open {
                    lifetime: 11,
                    config: false,
                },
                rotate(0, ModeChoice::Source, false),
                rotate(0, ModeChoice::Destination, true),
                rotate(0, ModeChoice::All, false),
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
                rotate(0, ModeChoice::Source, true),
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
                rotate(0, ModeChoice::All, false),
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
                rotate(0, ModeChoice::Destination, false),
                Advance { secs: 1 },
                List,
            ],
        ),
        // "Rotating the CAT doesn't extend the tunnel duration": createdAt seen before and after a
        // rotation, then the tunnel looked at again near the end of its lifetime.
        (
            "rotation-does-not-extend",
            vec![
                Open {
                    lifetime: 2,
                    config: false,
                },
                Describe { tunnel: 0 },
                Advance { secs: 2 },
                rotate(0, ModeChoice::All, false),
                Describe { tunnel: 0 },
                Advance { secs: 4 },
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
                rotate(2, ModeChoice::Source, false),
            ],
        ),
    ];
    seqs.into_iter()
        .map(|(name, steps)| (name, LifecycleInput { steps }))
        .collect()
}

struct Server {
    app: Router,
    control: Control,
    empty: StoreSnapshot,
}

/// The reference implementation in-process: requests through its router, time by moving its clock.
impl Api for Server {
    async fn call(&self, op: &str, body: &Value) -> Result<HttpResponse, NoAnswer> {
        let req = HttpRequest::json(op, body);
        let (_, resp) = send(&self.app, &req)
            .await
            .ok_or_else(|| NoAnswer::Inconclusive(format!("{op}: could not be sent in-process")))?;
        Ok(resp)
    }

    async fn advance(&self, by: Duration) {
        self.control.advance_clock(by);
    }

    fn tunnel_minute(&self) -> Duration {
        self.control.tunnel_minute()
    }

    fn exclusive(&self) -> bool {
        true
    }

    fn moves_clock(&self) -> bool {
        true
    }
}

/// Runs the sequence in `data` against the faithful reference implementation.
pub fn lifecycle_bytes(data: &[u8]) -> Result<(), OracleFailure> {
    lifecycle_bytes_with(data, &[])
}

/// Runs the sequence in `data` against the reference implementation with `faults` switched on
/// (to show the target finds them).
pub fn lifecycle_bytes_with(data: &[u8], faults: &[Fault]) -> Result<(), OracleFailure> {
    match LifecycleInput::decode(data) {
        Some(input) => check_sequence(&input.steps, faults).map(|_| ()),
        None => Ok(()),
    }
}

/// Runs `steps` against the in-process reference implementation (with `faults`) and judges every
/// answer; on success, the model at the end.
pub fn check_sequence(steps: &[Step], faults: &[Fault]) -> Result<LifecycleModel, OracleFailure> {
    let run = run_in_process(steps, faults);
    match run.end {
        SequenceEnd::Passed | SequenceEnd::Truncated => Ok(run.model),
        SequenceEnd::Violation { step, outcome } => {
            let text = super::notation::render(&steps[..=step]);
            let context = format!(
                "step {} ({}) [sequence: {text}]: ",
                step + 1,
                text.rsplit(' ').next().unwrap_or_default()
            );
            Err(OracleFailure::of_outcome(&context, &outcome))
        }
        SequenceEnd::Inconclusive { step, why } => {
            Err(OracleFailure::new(format!("step {}: no answer: {why}", step + 1)))
        }
        SequenceEnd::Setup(why) => Err(OracleFailure::new(format!("setup: {why}"))),
    }
}

/// The driver's run of `steps` against the in-process reference implementation (with `faults`).
pub fn run_in_process(steps: &[Step], faults: &[Fault]) -> SequenceRun {
    run_in_process_with(steps, faults, &[])
}

/// The faults and variants a cached in-process server runs with.
type ServerKey = (Vec<Fault>, Vec<Variant>);

/// [`run_in_process`] against the reference implementation with `faults` and `variants`.
pub fn run_in_process_with(steps: &[Step], faults: &[Fault], variants: &[Variant]) -> SequenceRun {
    thread_local! {
        static SERVERS: RefCell<HashMap<ServerKey, Server>> = RefCell::new(HashMap::new());
    }
    SERVERS.with(|servers| {
        let mut servers = servers.borrow_mut();
        let key = (faults.to_vec(), variants.to_vec());
        let server = servers.entry(key).or_insert_with(|| {
            let (app, control) = server::router_with_control(ServerConfig {
                faults: faults.to_vec(),
                variants: variants.to_vec(),
                ..ServerConfig::default()
            });
            let empty = control.snapshot();
            Server { app, control, empty }
        });
        server.control.restore(&server.empty);
        block_on(driver::run_sequence(&*server, steps, driver::Until::NEVER))
    })
}
