//! The data-plane fuzz oracle (`fuzz/fuzz_targets/dataplane.rs`): the reference data plane's
//! upgrade-request handling and the frame decoder, on any bytes.
//!
//! Input: a selector byte, then the rest. Even selector: an upgrade request as text, first line
//! the request target (`/tunnel?local-proxy-mode=source`; `POST ` in front changes the method),
//! then `name: value` header lines; `{{source}}` / `{{destination}}` stand for the tokens of an
//! OPEN tunnel. Odd selector: the bytes of one binary WebSocket frame.
//!
//! Oracles: the server never answers 5xx, never echoes a token in a refusal, and refuses (4xx)
//! whatever is not a complete upgrade (in-process there is no connection to upgrade, so nothing
//! is ever 101). The frame decoder never panics, and what it decodes re-encodes to itself.

use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::oracles::{block_on, OracleFailure};
use crate::server::{self, ServerConfig};
use crate::wire::frame;

/// The largest body read back from the router.
const MAX_READ: usize = 64 * 1024;

pub fn dataplane_bytes(data: &[u8]) -> Result<(), OracleFailure> {
    match data.split_first() {
        None => Ok(()),
        Some((sel, rest)) if sel % 2 == 0 => upgrade(rest),
        Some((_, rest)) => frames(rest),
    }
}

fn frames(bytes: &[u8]) -> Result<(), OracleFailure> {
    let Ok(msgs) = frame::decode_all(bytes) else {
        return Ok(());
    };
    let mut again = Vec::new();
    for m in &msgs {
        match frame::encode(m) {
            Ok(b) => again.extend_from_slice(&b),
            // Too long for a length prefix: re-encoding is canonical and never longer than the
            // decoded bytes, so this is not expected; the decoder is what is under test.
            Err(_) => return Ok(()),
        }
    }
    match frame::decode_all(&again) {
        Ok(back) if back == msgs => Ok(()),
        Ok(_) => Err(OracleFailure::new("decoded messages do not survive a re-encode")),
        Err(e) => Err(OracleFailure::new(format!("re-encoded messages do not decode: {e}"))),
    }
}

fn upgrade(bytes: &[u8]) -> Result<(), OracleFailure> {
    block_on(async {
        let app = server::router(ServerConfig::default());
        let open = axum::http::Request::post("/")
            .header("x-amz-target", "IoTSecuredTunneling.OpenTunnel")
            .body(Body::from("{}"))
            .map_err(|e| OracleFailure::new(e.to_string()))?;
        let resp = app
            .clone()
            .oneshot(open)
            .await
            .map_err(|e| OracleFailure::new(e.to_string()))?;
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| OracleFailure::new(e.to_string()))?
            .to_bytes();
        let opened: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
        let token = |m: &str| opened.get(m).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (source, destination) = (token("sourceAccessToken"), token("destinationAccessToken"));

        let text = String::from_utf8_lossy(bytes)
            .replace("{{source}}", &source)
            .replace("{{destination}}", &destination);
        let mut lines = text.split('\n');
        let first = lines.next().unwrap_or_default().trim_end_matches('\r');
        let (method, target) = match first.strip_prefix("POST ") {
            Some(t) => ("POST", t),
            None => ("GET", first),
        };
        let target = if target.starts_with('/') {
            target.to_owned()
        } else {
            format!("/tunnel?{target}")
        };
        let mut builder = axum::http::Request::builder().method(method).uri(target.as_str());
        for line in lines {
            if let Some((k, v)) = line.trim_end_matches('\r').split_once(':') {
                if let (Ok(k), Ok(v)) = (
                    axum::http::HeaderName::from_bytes(k.trim().as_bytes()),
                    axum::http::HeaderValue::from_str(v.trim()),
                ) {
                    builder = builder.header(k, v);
                }
            }
        }
        // A target the http crate refuses never reaches a server: nothing to judge.
        let Ok(req) = builder.body(Body::empty()) else {
            return Ok(());
        };
        let resp = app.oneshot(req).await.map_err(|e| OracleFailure::new(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = http_body_util::Limited::new(resp.into_body(), MAX_READ)
            .collect()
            .await
            .map(|c| c.to_bytes().to_vec())
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        if status >= 500 {
            return Err(OracleFailure::new(format!(
                "HTTP {status} for an upgrade request: {body}"
            )));
        }
        if target.starts_with("/tunnel") && method == "GET" && !(400..500).contains(&status) {
            return Err(OracleFailure::new(format!(
                "an upgrade request that cannot be upgraded in-process got HTTP {status}, not a 4xx"
            )));
        }
        for t in [&source, &destination] {
            if !t.is_empty() && body.contains(t.as_str()) {
                return Err(OracleFailure::new("a refusal echoes an access token"));
            }
        }
        Ok(())
    })
}

/// Seeds for the `dataplane` target: name -> bytes.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let upgrade = |head: &str| {
        let mut v = vec![0u8];
        v.extend_from_slice(head.as_bytes());
        v
    };
    let frame = |bytes: Vec<u8>| {
        let mut v = vec![1u8];
        v.extend(bytes);
        v
    };
    const WS: &str = "connection: Upgrade\nupgrade: websocket\nsec-websocket-version: 13\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\n";
    let service_ids = frame::encode(&frame::service_ids(vec!["SSH".into()])).unwrap_or_default();
    let data = frame::encode(&frame::TunnelMessage {
        r#type: 1,
        stream_id: 1,
        payload: b"hello".to_vec(),
        ..Default::default()
    })
    .unwrap_or_default();
    vec![
        (
            "upgrade-source-header",
            upgrade(&format!(
                "local-proxy-mode=source\naccess-token: {{{{source}}}}\nsec-websocket-protocol: aws.iot.securetunneling-3.0\n{WS}"
            )),
        ),
        (
            "upgrade-destination-cookie",
            upgrade(&format!(
                "local-proxy-mode=destination\ncookie: awsiot-tunnel-token={{{{destination}}}}\nsec-websocket-protocol: aws.iot.securetunneling-2.0\nclient-token: abcdefghijklmnopqrstuvwxyz0123456789\n{WS}"
            )),
        ),
        (
            "upgrade-mode-mismatch",
            upgrade(&format!(
                "local-proxy-mode=destination\naccess-token: {{{{source}}}}\nsec-websocket-protocol: aws.iot.securetunneling-1.0\n{WS}"
            )),
        ),
        (
            "upgrade-two-tokens",
            upgrade("local-proxy-mode=source\naccess-token: {{source}}\ncookie: awsiot-tunnel-token={{source}}\nsec-websocket-protocol: aws.iot.securetunneling-3.0\n"),
        ),
        ("upgrade-no-token", upgrade("/tunnel?local-proxy-mode=source\n")),
        ("upgrade-post", upgrade("POST /tunnel?local-proxy-mode=source\naccess-token: x\n")),
        ("frame-service-ids", frame(service_ids.clone())),
        ("frame-data", frame(data.clone())),
        ("frame-two-messages", frame([service_ids, data].concat())),
        ("frame-truncated", frame(vec![0x00, 0x09, 0x08])),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_holds() {
        for (name, bytes) in seeds() {
            assert_eq!(dataplane_bytes(&bytes), Ok(()), "{name}");
        }
    }
}
