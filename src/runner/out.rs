//! Where the run's tracks hand their results (progress, strict mode, compaction), and the stop
//! signal they obey between steps.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::watch;

use super::gating::RunMode;
use super::result::CaseResult;
use super::state::lock;
use super::watchdog::Watchdog;
use super::{compact, strict, ProgressSink};
use crate::checks::CheckId;
use crate::redact::Redactor;

/// A stop asked of the tracks (Ctrl-C, a fuzz deadline): each ends after the step it is in, so
/// that what it holds (a tunnel kept for the next batch) is handed back in order.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    pub fn new(rx: watch::Receiver<bool>) -> Stop {
        Stop(rx)
    }

    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Sleep until `t` (a wait the run schedules: the watchdog is told); false when stopped
    /// first.
    pub async fn sleep_until(&self, t: Instant, dog: &Watchdog) -> bool {
        dog.scheduled(t.saturating_duration_since(Instant::now()));
        let mut rx = self.0.clone();
        tokio::select! {
            () = tokio::time::sleep_until(t.into()) => {
                dog.progress();
                true
            }
            _ = rx.wait_for(|s| *s) => false,
        }
    }
}

/// The results of a run as its tracks finish them.
pub struct Out<'a> {
    results: Mutex<Vec<CaseResult>>,
    progress: &'a dyn ProgressSink,
    mode: RunMode,
    redactor: &'a Redactor,
    pub selected: BTreeSet<CheckId>,
    pub stop: Stop,
}

impl<'a> Out<'a> {
    pub fn new(
        progress: &'a dyn ProgressSink,
        mode: RunMode,
        redactor: &'a Redactor,
        selected: BTreeSet<CheckId>,
        stop: Stop,
    ) -> Out<'a> {
        Out {
            results: Mutex::new(Vec::new()),
            progress,
            mode,
            redactor,
            selected,
            stop,
        }
    }

    pub fn started(&self, id: &str) {
        self.progress.case_started(id);
    }

    pub fn finished(&self, mut r: CaseResult) {
        strict::apply(self.mode, &mut r);
        self.progress.case_finished(&r.id, r.worst());
        compact::compact(&mut r, self.redactor);
        lock(&self.results).push(r);
    }

    pub fn into_results(self) -> Vec<CaseResult> {
        self.results.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}
