//! The shared tunnel's track: runs a [`SharedPlan`] step by step on one tunnel (see
//! `plan.rs` for the order and `shared.rs` for how the tunnel is kept in the state each step
//! needs).
//!
//! Cases are sent in groups (`plan::GROUP`) with one DescribeTunnel after the group: if the
//! tunnel's lifetime data (what duration-static reads) did not move, it did not move for any case
//! of the group. If it moved, the group is sent again one case at a time with a DescribeTunnel
//! after each, so the failure names its case and no other case is judged on a tunnel it did not
//! get (a tunnel a case closed is replaced for the next).

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::case;
use super::data_plane_scenarios;
use super::error::SetupError;
use super::out::Out;
use super::plan::{SharedPlan, Unit};
use super::recorder::{Recorder, VERIFY};
use super::result::{CaseResult, Exchange, Sent};
use super::shared::Shared;
use super::state::{Harness, OpenedTunnel};
use super::transport::Transport;
use super::{aged, Status};
use crate::cases::{Case, TunnelState};
use crate::checks::{duration_static, CheckId, CheckOutcome};
use crate::client::local_proxy::DataPlane;
use crate::secret::SecretString;

/// Tunnels a session keeps from one batch of cases to the next (the request fuzzer's batches):
/// an OPEN one for the cases, a CLOSED one for the cases that need one.
#[derive(Default)]
pub struct Kept {
    pub open: Option<OpenedTunnel>,
    pub closed: Option<OpenedTunnel>,
}

/// Run `plan` on the shared tunnel. With `keep`, the tunnels are handed back for the next batch
/// instead of deleted.
pub async fn run<T: Transport>(
    h: &Arc<Harness<T>>,
    plan: SharedPlan,
    dp: Option<&DataPlane>,
    out: &Out<'_>,
    kept: Kept,
    keep: bool,
) -> Kept {
    let mut shared = Shared::new(Arc::clone(h), plan.open_with.clone());
    if let Some(t) = kept.open {
        shared.adopt(t);
    }
    let mut closed_kept = kept.closed;
    if plan.aged && !out.stop.is_set() {
        out.started(aged::AGED_CASE_ID);
        if let Some(r) = aged::run(&mut shared, &out.selected, &out.stop).await {
            out.finished(r);
        }
    }
    for unit in plan.open {
        if out.stop.is_set() {
            break;
        }
        match unit {
            Unit::One(c) => {
                let r = one(&mut shared, c, out).await;
                out.finished(r.0);
            }
            Unit::Group(cs) => group(&mut shared, cs, out).await,
        }
    }
    for scenario in plan.scenarios {
        let Some(dp) = dp else { break };
        if out.stop.is_set() {
            break;
        }
        out.started(scenario.id());
        out.finished(data_plane_scenarios::run(&mut shared, dp, scenario, &out.selected).await);
    }
    if !plan.closed.is_empty() && !out.stop.is_set() {
        // A CLOSED tunnel kept from an earlier batch serves; else the shared one is closed.
        let mut closed = match closed_kept.take() {
            Some(t) => {
                let mut s = Shared::new(Arc::clone(h), None);
                s.adopt(t);
                s
            }
            None => std::mem::replace(&mut shared, Shared::new(Arc::clone(h), plan.open_with.clone())),
        };
        for c in plan.closed {
            if out.stop.is_set() {
                break;
            }
            out.finished(on_closed(&mut closed, c, out).await);
        }
        closed_kept = closed.tunnel.take();
    }
    if keep {
        // Whatever happened, the session's cleanup deletes them in the end.
        return Kept {
            open: shared.tunnel.take(),
            closed: closed_kept,
        };
    }
    let mut rec = h.recorder().labelled("the shared tunnel's end");
    shared.release(&mut rec).await;
    if let Some(t) = closed_kept {
        let mut s = Shared::new(Arc::clone(h), None);
        s.adopt(t);
        s.release(&mut rec).await;
    }
    Kept::default()
}

/// The setup error of a step that could not be prepared (also a harness error, once).
fn setup_failed<T: Transport>(h: &Harness<T>, e: SetupError) -> String {
    let why = e.to_string();
    h.setup_problem("setup", &why);
    why
}

fn not_run<T: Transport>(h: &Harness<T>) -> Option<String> {
    h.stop_reason().map(|why| SetupError::NotRun(why).to_string())
}

/// One case on an OPEN tunnel, with a DescribeTunnel after it; also whether the tunnel's
/// lifetime data moved (duration-static's rule).
async fn one<T: Transport>(shared: &mut Shared<T>, case: Case, out: &Out<'_>) -> (CaseResult, bool) {
    let h = shared.harness();
    let started = Instant::now();
    out.started(&case.id);
    let mut rec = h.recorder().labelled(format!("case {}", case.id));
    if let Some(why) = not_run(&h) {
        let facts = shared.facts(Vec::new(), None, None);
        return (
            case::judge(case, None, Some(why), &facts, rec.exchanges, &out.selected, started),
            false,
        );
    }
    let config = match &case.tunnel {
        TunnelState::Open { destination_config } => destination_config.clone(),
        _ => None,
    };
    let before = match shared.ensure_open(&mut rec, config.as_ref()).await {
        Ok(b) => b,
        Err(e) => {
            let why = setup_failed(&h, e);
            let facts = shared.facts(Vec::new(), None, None);
            return (
                case::judge(case, None, Some(why), &facts, rec.exchanges, &out.selected, started),
                false,
            );
        }
    };
    let earlier = shared.tokens();
    let sent = send(shared, &mut rec, &case).await;
    let after = shared.describe(&mut rec, VERIFY).await;
    let moved = lifetime_moved(before.as_ref(), after.as_ref());
    let facts = shared.facts(earlier, before, after);
    (
        case::judge(case, Some(sent), None, &facts, rec.exchanges, &out.selected, started),
        moved,
    )
}

/// Send a case on the shared tunnel and keep the tokens a success returned.
async fn send<T: Transport>(shared: &mut Shared<T>, rec: &mut Recorder<'_, T>, case: &Case) -> Sent {
    let h = shared.harness();
    let sent = case::send(&h, rec, case, Some(&shared.id())).await;
    if let Some(b) = sent.success_body() {
        shared.record_answer(&b);
    }
    // A request may have changed the tunnel: the next step reads it again.
    shared.last = None;
    sent
}

/// Whether createdAt, timeoutConfig or the OPEN status moved between `before` and `after`
/// (duration-static's own rule); unreadable reads are not a move.
fn lifetime_moved(before: Option<&Value>, after: Option<&Value>) -> bool {
    before.is_some() && after.is_some() && duration_static::check(before, after).status == Status::Fail
}

/// A case sent as part of a group, before the group's verification.
struct Pending {
    case: Case,
    sent: Sent,
    earlier: Vec<SecretString>,
    exchanges: Vec<Exchange>,
    started: Instant,
}

/// Cases on an OPEN tunnel with one DescribeTunnel after the last; sent again one at a time
/// when it shows the lifetime data moved.
async fn group<T: Transport>(shared: &mut Shared<T>, cases: Vec<Case>, out: &Out<'_>) {
    let h = shared.harness();
    let first_id = cases.first().map(|c| c.id.clone()).unwrap_or_default();
    let mut setup = h.recorder().labelled(format!("case {first_id}"));
    let prepared = match not_run(&h) {
        Some(why) => Err(why),
        None => shared
            .ensure_open(&mut setup, None)
            .await
            .map_err(|e| setup_failed(&h, e)),
    };
    let before = match prepared {
        Ok(b) => b,
        Err(why) => return not_prepared(shared, cases, setup.exchanges, &why, out),
    };
    // One at a time: the tunnel's state after the group (a destinationConfig a rotation may
    // set) must not depend on which answer came first, or reports and recordings of the same
    // seed would differ.
    let id = shared.id();
    let mut sends = Vec::new();
    for c in &cases {
        sends.push(send_in_group(&h, out, c, &id).await);
    }
    shared.last = None;
    let mut setup_exchanges = setup.exchanges;
    let mut pending: Vec<Pending> = Vec::new();
    for (case, sent, exchanges, started) in sends.into_iter().flatten() {
        let earlier = shared.tokens();
        if let Some(b) = sent.success_body() {
            shared.record_answer(&b);
        }
        let mut all = std::mem::take(&mut setup_exchanges);
        all.extend(exchanges);
        pending.push(Pending {
            case,
            sent,
            earlier,
            exchanges: all,
            started,
        });
    }
    let Some(last) = pending.last_mut() else { return };
    let mut rec = h.recorder().labelled(format!("case {}", last.case.id));
    let after = shared.describe(&mut rec, VERIFY).await;
    last.exchanges.extend(rec.exchanges);
    if !lifetime_moved(before.as_ref(), after.as_ref()) {
        for p in pending {
            let facts = shared.facts(p.earlier, before.clone(), after.clone());
            out.finished(case::judge(
                p.case,
                Some(p.sent),
                None,
                &facts,
                p.exchanges,
                &out.selected,
                p.started,
            ));
        }
        return;
    }
    tracing::info!("the tunnel's lifetime data moved during cases {first_id}..: sending them again one at a time");
    let sent_count = pending.len();
    resend_one_at_a_time(shared, cases, sent_count, (before, after), out).await;
}

/// The cases of a group whose tunnel could not be prepared: each judged with `why`, the setup's
/// exchanges on the first.
fn not_prepared<T: Transport>(
    shared: &Shared<T>,
    cases: Vec<Case>,
    mut setup_exchanges: Vec<Exchange>,
    why: &str,
    out: &Out<'_>,
) {
    for c in cases {
        out.started(&c.id);
        let facts = shared.facts(Vec::new(), None, None);
        let ex = std::mem::take(&mut setup_exchanges);
        out.finished(case::judge(
            c,
            None,
            Some(why.to_owned()),
            &facts,
            ex,
            &out.selected,
            Instant::now(),
        ));
    }
}

/// The first `sent_count` cases of a group whose lifetime data moved (`before`, `after`), sent
/// again one at a time to find the one that moves it; when none does, the group's first case
/// carries the move.
async fn resend_one_at_a_time<T: Transport>(
    shared: &mut Shared<T>,
    cases: Vec<Case>,
    sent_count: usize,
    (before, after): (Option<Value>, Option<Value>),
    out: &Out<'_>,
) {
    let mut results = Vec::new();
    let mut pinned = false;
    for c in cases.into_iter().take(sent_count) {
        let (r, moved) = one(shared, c, out).await;
        pinned |= moved;
        results.push(r);
    }
    if !pinned {
        // The move happened but did not happen again: it is real, yet no single case can be
        // named; the group's first case carries it, saying so.
        if let Some(first) = results.first_mut() {
            let what = duration_static::check(before.as_ref(), after.as_ref());
            first.outcomes.retain(|o| o.check != CheckId::DURATION_STATIC);
            let mut o = CheckOutcome::fail(
                CheckId::DURATION_STATIC,
                format!(
                    "the tunnel's lifetime data changed while this case and the {} after it ran; sent again one at a time, none changed it: the change cannot be pinned on one case",
                    sent_count.saturating_sub(1)
                ),
            );
            o.expected = what.expected;
            o.actual = what.actual;
            first.outcomes.push(o);
        }
    }
    for r in results {
        out.finished(r);
    }
}

/// One case of a group, sent; None when the run is stopping.
async fn send_in_group<T: Transport>(
    h: &Arc<Harness<T>>,
    out: &Out<'_>,
    c: &Case,
    id: &str,
) -> Option<(Case, Sent, Vec<Exchange>, Instant)> {
    if h.stop_reason().is_some() || out.stop.is_set() {
        return None;
    }
    out.started(&c.id);
    let started = Instant::now();
    let mut rec = h.recorder().labelled(format!("case {}", c.id));
    let sent = case::send(h, &mut rec, c, Some(id)).await;
    Some((c.clone(), sent, rec.exchanges, started))
}

/// One case on a CLOSED tunnel, with a DescribeTunnel after it (closed-tunnel reads it).
async fn on_closed<T: Transport>(closed: &mut Shared<T>, case: Case, out: &Out<'_>) -> CaseResult {
    let h = closed.harness();
    let started = Instant::now();
    out.started(&case.id);
    let mut rec = h.recorder().labelled(format!("case {}", case.id));
    let prepared = match not_run(&h) {
        Some(why) => Err(why),
        None => closed.ensure_closed(&mut rec).await.map_err(|e| setup_failed(&h, e)),
    };
    let before = match prepared {
        Ok(b) => b,
        Err(why) => {
            let facts = closed.facts(Vec::new(), None, None);
            return case::judge(case, None, Some(why), &facts, rec.exchanges, &out.selected, started);
        }
    };
    let earlier = closed.tokens();
    let sent = send(closed, &mut rec, &case).await;
    let after = closed.describe(&mut rec, VERIFY).await;
    let facts = closed.facts(earlier, before, after);
    case::judge(case, Some(sent), None, &facts, rec.exchanges, &out.selected, started)
}
