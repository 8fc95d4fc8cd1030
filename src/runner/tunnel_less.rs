//! Cases that need no tunnel of the run (a well-formed id no tunnel has, literal ids): nothing
//! they do can change the shared tunnel, so they run beside it, `lanes` at a time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::future::join_all;

use super::case::{self, TunnelFacts};
use super::error::SetupError;
use super::out::Out;
use super::state::{lock, Harness};
use super::transport::Transport;
use crate::cases::Case;

pub async fn run<T: Transport>(h: &Arc<Harness<T>>, cases: Vec<Case>, lanes: usize, out: &Out<'_>) {
    let queue = Mutex::new(VecDeque::from(cases));
    join_all((0..lanes.max(1)).map(|_| lane(h, &queue, out))).await;
}

/// Take cases from `queue` until it is empty (or the run stops).
async fn lane<T: Transport>(h: &Arc<Harness<T>>, queue: &Mutex<VecDeque<Case>>, out: &Out<'_>) {
    loop {
        if out.stop.is_set() {
            return;
        }
        let Some(c) = lock(queue).pop_front() else { return };
        out.started(&c.id);
        let started = Instant::now();
        let mut rec = h.recorder().labelled(format!("case {}", c.id));
        let facts = TunnelFacts::default();
        let r = match h.stop_reason() {
            Some(why) => {
                let why = SetupError::NotRun(why).to_string();
                case::judge(c, None, Some(why), &facts, rec.exchanges, &out.selected, started)
            }
            None => {
                let sent = case::send(h, &mut rec, &c, None).await;
                case::judge(c, Some(sent), None, &facts, rec.exchanges, &out.selected, started)
            }
        };
        out.finished(r);
    }
}
