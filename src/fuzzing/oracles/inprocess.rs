//! Sending a request to a router in-process (`tower::ServiceExt::oneshot`, no sockets), and
//! preparing the tunnel a request runs against.

use axum::body::Body;
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::OracleFailure;
use crate::cases::{Case, CaseKind, Expectation, TunnelState};
use crate::checks;
use crate::fuzzing::input::{self, PreparedRequest};
use crate::wire::{HttpRequest, HttpResponse};

/// The request as sent and its response (`None` when it cannot be sent: an invalid method), and
/// the id of the tunnel prepared for it.
pub type Exchanged = (Option<(HttpRequest, HttpResponse)>, Option<String>);

/// Prepares the tunnel of `prepared` on `app`, materializes the request and sends it.
pub async fn exchange(app: &Router, prepared: &PreparedRequest) -> Result<Exchanged, OracleFailure> {
    let opened = prepare_tunnel(app, &prepared.tunnel).await?;
    let request = materialized(prepared, opened.as_deref());
    Ok((send(app, &request).await, opened))
}

/// The request of `prepared` with the placeholder replaced by the tunnel's id.
pub(super) fn materialized(prepared: &PreparedRequest, opened: Option<&str>) -> HttpRequest {
    match (&prepared.tunnel, opened) {
        (_, Some(id)) => materialize(&prepared.request, id),
        (TunnelState::Unknown { id }, None) => materialize(&prepared.request, id),
        _ => prepared.request.clone(),
    }
}

pub(super) fn materialize(req: &HttpRequest, id: &str) -> HttpRequest {
    Case {
        id: String::new(),
        kind: CaseKind::Mutated,
        description: String::new(),
        tunnel: TunnelState::None,
        request: req.clone(),
        expect: Expectation::Invalid,
        operator: None,
    }
    .materialize(id)
}

/// Opens (and for `Closed`, closes) the tunnel a request runs against; its id.
pub(super) async fn prepare_tunnel(app: &Router, tunnel: &TunnelState) -> Result<Option<String>, OracleFailure> {
    let config = match tunnel {
        TunnelState::Open { destination_config } => destination_config.clone(),
        TunnelState::Closed => None,
        TunnelState::Unknown { .. } | TunnelState::None => return Ok(None),
    };
    let mut body = json!({"timeoutConfig": {"maxLifetimeTimeoutMinutes": 720}});
    if let Some(c) = config {
        body["destinationConfig"] = c;
    }
    let open = HttpRequest::json("OpenTunnel", &body);
    let resp = send(app, &open).await.map(|(_, r)| r);
    let id = resp
        .as_ref()
        .filter(|r| r.status == 200)
        .and_then(HttpResponse::body_json)
        .and_then(|b| b.get("tunnelId").and_then(Value::as_str).map(str::to_owned));
    let Some(id) = id else {
        return Err(OracleFailure::new(format!(
            "setup: OpenTunnel failed: {}",
            resp.as_ref().map_or("no response".into(), checks::summary)
        )));
    };
    if matches!(tunnel, TunnelState::Closed) {
        let close = HttpRequest::json("CloseTunnel", &json!({ "tunnelId": id }));
        let closed = send(app, &close).await.is_some_and(|(_, r)| r.status == 200);
        if !closed {
            return Err(OracleFailure::new("setup: CloseTunnel failed"));
        }
    }
    Ok(Some(id))
}

/// Sends `req` through the router. Headers that are not valid HTTP are left out (no client could
/// send them); the request as actually sent is returned with the response. `None` when the
/// method is not a valid HTTP token.
pub async fn send(app: &Router, req: &HttpRequest) -> Option<(HttpRequest, HttpResponse)> {
    let method = http::Method::from_bytes(req.method.as_bytes()).ok()?;
    let mut sent = HttpRequest {
        method: req.method.clone(),
        headers: Vec::new(),
        body: req.body.clone(),
    };
    let mut builder = http::Request::builder().method(method).uri("/");
    for (k, v) in &req.headers {
        let name = http::HeaderName::from_bytes(k.as_bytes());
        let value = http::HeaderValue::from_str(v);
        if let (Ok(name), Ok(value), false) = (name, value, input::is_transport_header(k)) {
            builder = builder.header(name, value);
            sent.headers.push((k.clone(), v.clone()));
        }
    }
    let request = builder.body(Body::from(req.body.clone())).ok()?;
    let resp = match app.clone().oneshot(request).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = resp.status().as_u16();
    let headers = crate::wire::header_pairs(resp.headers());
    let body = resp.into_body().collect().await.ok()?.to_bytes().to_vec();
    Some((
        sent,
        HttpResponse {
            status,
            headers,
            body,
            truncated: false,
        },
    ))
}
