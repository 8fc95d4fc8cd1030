//! Seeds for the cargo-fuzz targets, written from the catalog's own cases (seed 1, fixtures
//! included): `rotcheck fuzz --write-seeds DIR` writes `DIR/<target>/<name>`. The committed copy
//! is `fuzz/seeds/`; `tests/fuzz_seeds.rs` fails when it is stale.
//!
//! Seeds are deterministic: the reference server's random tunnel ids and tokens are replaced by
//! fixed stand-ins before a response is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::input::{self, encode_case_start, encode_sigv4_case, ResponseInput, CONTENT_TYPES};
use super::oracles;
use crate::cases::Expectation;
use crate::server::{self, ServerConfig};
use crate::spec::facts::{self, ClientMode, TOKEN_MEMBERS};
use crate::spec::{model, ShapeKind};

/// The fuzz targets, as named under `fuzz/fuzz_targets/`.
pub const TARGETS: [&str; 6] = ["request", "raw", "response", "sigv4", "lifecycle", "dataplane"];
/// Bodies above this size are left out of the byte-level seeds (libFuzzer's default maximum
/// input length follows the largest seed; huge ones slow every execution).
pub const MAX_SEED_BYTES: usize = 8 * 1024;

const SEED_TUNNEL_ID: &str = "rotcheckSeedTunnel";

/// Every seed: target -> file name -> bytes.
pub fn seeds() -> BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> {
    let mut out: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for (i, case) in input::start_cases().iter().enumerate() {
        let Ok(i) = u16::try_from(i) else { break };
        let name = case.id.replace('/', "__");
        out.entry("request")
            .or_default()
            .insert(name.clone(), encode_case_start(i));
        out.entry("sigv4")
            .or_default()
            .insert(name.clone(), encode_sigv4_case(i));
        if case.request.body.len() <= MAX_SEED_BYTES {
            let mut raw = vec![input::raw_selector(case.request.operation())];
            raw.extend_from_slice(&case.request.body);
            out.entry("raw").or_default().insert(name.clone(), raw);
        }
        if let Some(resp) = response_seed(case) {
            if resp.body.len() <= MAX_SEED_BYTES {
                out.entry("response").or_default().insert(name, resp.encode());
            }
        }
    }
    for (name, input) in super::lifecycle::seed_sequences() {
        out.entry("lifecycle")
            .or_default()
            .insert(name.to_owned(), input.encode());
    }
    let dataplane = out.entry("dataplane").or_default();
    for (name, bytes) in super::dataplane::seeds() {
        dataplane.insert(name.to_owned(), bytes);
    }
    out
}

/// The reference server's answer to a case, as a response-target input.
fn response_seed(case: &crate::cases::Case) -> Option<ResponseInput> {
    let mode = match &case.expect {
        Expectation::Success { mode } | Expectation::AnyNon5xx { mode: Some(mode) } => *mode,
        _ => ClientMode::All,
    };
    let prepared = input::PreparedRequest {
        tunnel: case.tunnel.clone(),
        request: case.request.clone(),
    };
    let (resp, opened) = oracles_exchange(&prepared)?;
    let mut body = resp.body.clone();
    if let Some(mut v) = resp.body_json() {
        fix_tokens(&mut v);
        body = v.to_string().into_bytes();
    }
    if let Some(id) = opened {
        body = String::from_utf8_lossy(&body).replace(&id, SEED_TUNNEL_ID).into_bytes();
    }
    let ct = resp.header("content-type");
    let content_type = CONTENT_TYPES
        .iter()
        .position(|c| *c == ct)
        .unwrap_or(CONTENT_TYPES.len() - 1);
    Some(ResponseInput {
        status: resp.status,
        mode: ClientMode::ALL_MODES.iter().position(|m| *m == mode).unwrap_or(2) as u8,
        content_type: content_type as u8,
        error_type_header: 0,
        truncated: false,
        body,
    })
}

fn oracles_exchange(p: &input::PreparedRequest) -> Option<(crate::wire::HttpResponse, Option<String>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        let app = server::router(ServerConfig::default());
        let (sent, opened) = oracles::exchange(&app, p).await.ok()?;
        Some((sent?.1, opened))
    })
}

/// Token values replaced by fixed text (the server's are random).
fn fix_tokens(v: &mut Value) {
    if let Value::Object(m) = v {
        for (k, val) in m.iter_mut() {
            if TOKEN_MEMBERS.contains(&k.as_str()) && val.is_string() {
                *val = Value::String(format!("rotcheck-seed-{k}"));
            }
        }
    }
}

/// The libFuzzer dictionary of the protocol's tokens (`fuzz/rotcheck.dict`), from the model:
/// member names (as JSON keys), enum values, X-Amz-Target values, exception names, header names,
/// content types, and JSON syntax the mutations use.
pub fn dictionary() -> String {
    let m = model();
    let mut words: BTreeSet<String> = BTreeSet::new();
    for shape in m.shapes.values() {
        match &shape.kind {
            ShapeKind::Structure { members, exception, .. } => {
                for mem in members {
                    words.insert(format!("\"{}\":", mem.name));
                }
                if *exception {
                    words.insert(shape.name.clone());
                }
            }
            ShapeKind::String(c) => words.extend(c.enum_values.iter().flatten().map(|v| format!("\"{v}\""))),
            _ => {}
        }
    }
    for op in m.operations.keys() {
        words.insert(facts::target(op));
    }
    for w in [
        "X-Amz-Target",
        "Content-Type",
        "X-Amz-Date",
        "Authorization",
        "X-Amz-Security-Token",
        "AWS4-HMAC-SHA256",
        "Credential=",
        "SignedHeaders=",
        "Signature=",
        "aws4_request",
        facts::SIGNING_NAME,
        facts::CONTENT_TYPE,
        "application/json",
        "ValidationException",
        "SerializationException",
        "InvalidRequestException",
        "__type",
        "message",
        crate::cases::TUNNEL_ID_PLACEHOLDER,
        "null",
        "true",
        "false",
        "\\u0000",
        "\\ud800",
        "\u{feff}",
        "[]",
        "{}",
        // The data plane's upgrade request (the `dataplane` target).
        "local-proxy-mode=source",
        "local-proxy-mode=destination",
        "access-token: ",
        "cookie: awsiot-tunnel-token=",
        "client-token: ",
        "sec-websocket-protocol: ",
        "aws.iot.securetunneling-3.0",
        "{{source}}",
        "{{destination}}",
        "\nupgrade: websocket\nconnection: Upgrade\nsec-websocket-version: 13\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\n",
    ] {
        words.insert(w.to_owned());
    }
    let mut out = String::from("# Generated by `rotcheck fuzz --write-dict` from the service model: do not edit.\n");
    for w in words {
        out.push('"');
        for b in w.bytes() {
            match b {
                b'"' | b'\\' => out.push_str(&format!("\\{}", b as char)),
                b' '..=b'~' => out.push(b as char),
                _ => out.push_str(&format!("\\x{b:02X}")),
            }
        }
        out.push_str("\"\n");
    }
    out
}

/// Writes every seed under `dir/<target>/`, replacing what was there. Returns how many per target.
pub fn write_seeds(dir: &Path) -> std::io::Result<Vec<(&'static str, usize)>> {
    let mut counts = Vec::new();
    for (target, files) in seeds() {
        let sub = dir.join(target);
        if sub.exists() {
            std::fs::remove_dir_all(&sub)?;
        }
        std::fs::create_dir_all(&sub)?;
        for (name, bytes) in &files {
            std::fs::write(sub.join(name), bytes)?;
        }
        counts.push((target, files.len()));
    }
    Ok(counts)
}
