//! One case: send its request (the placeholder replaced with the tunnel it runs on) and judge
//! what came back with what the runner knows of the tunnel before and after.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::judge;
use super::recorder::{Recorder, REQUEST};
use super::result::{CaseResult, Exchange, Sent};
use super::state::Harness;
use super::transport::Transport;
use crate::cases::{Case, TunnelState};
use crate::checks::{self, CheckId};
use crate::secret::SecretString;

/// What the runner knows of the tunnel a case ran on.
#[derive(Default)]
pub struct TunnelFacts {
    pub arn: Option<String>,
    /// Every token the tunnel had before the request.
    pub earlier_tokens: Vec<SecretString>,
    /// DescribeTunnel's `tunnel` object before and after the request.
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Send `case` with the placeholder replaced by `tunnel_id` (an unknown case's own id when
/// None). A tunnel the request itself opened (an endpoint that served a mutated request as
/// OpenTunnel) is deleted at once, so it never holds the budget.
pub(super) async fn send<T: Transport>(
    h: &Arc<Harness<T>>,
    rec: &mut Recorder<'_, T>,
    case: &Case,
    tunnel_id: Option<&str>,
) -> Sent {
    let request = match (&case.tunnel, tunnel_id) {
        (_, Some(id)) => case.materialize(id),
        (TunnelState::Unknown { id }, None) => case.materialize(id),
        _ => case.request.clone(),
    };
    let mut sent = Sent {
        request: request.clone(),
        response: None,
        transport_error: None,
    };
    match rec.send(REQUEST, request).await {
        Ok(r) => sent.response = Some(r),
        Err(e) => {
            sent.transport_error = Some(e.to_string());
            h.transport_failed(format!("case {}", case.id), e);
        }
    }
    if let (Some(b), Some("OpenTunnel")) = (sent.success_body(), sent.request.operation()) {
        if let Some(id) = b.get("tunnelId").and_then(Value::as_str) {
            if h.register_stray(id) && h.delete(rec, id).await.is_err() {
                tracing::debug!("deleting a tunnel a case opened failed; cleanup retries it");
            }
        }
    }
    sent
}

/// Judge a case that was sent (`sent`), or could not be (`setup_error`).
#[allow(clippy::too_many_arguments)]
pub(super) fn judge(
    case: Case,
    sent: Option<Sent>,
    setup_error: Option<String>,
    facts: &TunnelFacts,
    exchanges: Vec<Exchange>,
    selected: &BTreeSet<CheckId>,
    started: Instant,
) -> CaseResult {
    let (request, response, transport_error) = match sent {
        Some(s) => (s.request, s.response, s.transport_error),
        None => (case.request.clone(), None, None),
    };
    let outcomes = judge::judge(
        &checks::CaseEvidence {
            case: &case,
            request: &request,
            response: match (&response, &transport_error) {
                (Some(r), _) => Some(Ok(r)),
                (None, Some(e)) => Some(Err(e.as_str())),
                (None, None) => None,
            },
            setup_error: setup_error.as_deref(),
            tunnel_arn: facts.arn.as_deref(),
            earlier_tokens: &facts.earlier_tokens,
            before: facts.before.as_ref(),
            after: facts.after.as_ref(),
            exchanges: &exchanges,
        },
        selected,
    );
    CaseResult {
        error_type: checks::error_type_of(response.as_ref()),
        id: case.id,
        kind: case.kind,
        description: case.description,
        operator: case.operator,
        tunnel: case.tunnel,
        expect: case.expect,
        request,
        response,
        transport_error,
        outcomes,
        exchanges,
        duration_ms: super::result::ms(started.elapsed()),
    }
}
