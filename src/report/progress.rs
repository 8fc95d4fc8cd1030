//! Live progress on stderr while a run goes: an indicatif bar on a terminal, one plain line per
//! finished case otherwise (`[12/340] case-id ... ok`), nothing with `--no-progress`. With `-v`
//! each line also shows the HTTP status and error type, and on a terminal the lines scroll above
//! the bar. Safe to call from concurrent tasks.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::redact::Redactor;
use crate::runner::{CaseResult, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// An indicatif bar (stderr is a terminal).
    Bar,
    /// One line per finished case (stderr is a file or a pipe, e.g. in CI).
    Lines,
    /// Nothing (`--no-progress`).
    Quiet,
}

impl ProgressMode {
    pub fn detect(no_progress: bool) -> ProgressMode {
        if no_progress {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

pub struct Progress {
    mode: ProgressMode,
    verbose: bool,
    redactor: Redactor,
    total: AtomicUsize,
    done: AtomicUsize,
    bar: Option<ProgressBar>,
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Progress {
    /// Progress on stderr. `redactor` must be the run's, so error types echoing a token are
    /// scrubbed like everywhere else.
    pub fn new(mode: ProgressMode, verbose: bool, redactor: Redactor) -> Progress {
        Progress::with_writer(mode, verbose, redactor, Box::new(std::io::stderr()))
    }

    /// Progress lines written to `out` (the bar, when used, always draws on stderr).
    pub fn with_writer(mode: ProgressMode, verbose: bool, redactor: Redactor, out: Box<dyn Write + Send>) -> Progress {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            mode,
            verbose,
            redactor,
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            bar,
            out: Mutex::new(out),
        }
    }

    pub fn mode(&self) -> ProgressMode {
        self.mode
    }

    /// The number of cases the run will execute.
    pub fn start(&self, total: usize) {
        self.total.store(total, Ordering::SeqCst);
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
        }
    }

    pub fn case_started(&self, id: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(super::summary::terminal_safe(id));
        }
    }

    /// A case finished with `status` (its worst outcome). `detail`, when the caller has it, lets
    /// `-v` lines show the HTTP status, error type and failing checks.
    pub fn case_finished(&self, id: &str, status: Status, detail: Option<&CaseResult>) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let total = self.total.load(Ordering::SeqCst).max(done);
        let line = || match detail {
            Some(case) => case_line(done, total, case, self.verbose, &self.redactor),
            None => status_line(done, total, id, status),
        };
        match self.mode {
            ProgressMode::Quiet => {}
            ProgressMode::Bar => {
                if let Some(bar) = &self.bar {
                    if self.verbose || matches!(status, Status::Fail | Status::Error) {
                        bar.println(line());
                    }
                    bar.set_position(done as u64);
                }
            }
            ProgressMode::Lines => self.line(&line()),
        }
    }

    /// The run is closing the tunnels it opened.
    pub fn cleanup_started(&self, tunnels: usize) {
        if tunnels > 0 {
            self.message(&format!("cleaning up: deleting the {tunnels} tunnel(s) the run opened"));
        }
    }

    /// A note for the user (e.g. "running duration-live, ~70 s"), above the bar or as a line.
    pub fn message(&self, msg: &str) {
        let msg = super::summary::terminal_safe(&self.redactor.scrub(msg));
        match (&self.bar, self.mode) {
            (_, ProgressMode::Quiet) => {}
            (Some(bar), _) => bar.println(msg),
            (None, _) => self.line(&msg),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn line(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// `[12/340] case-id ... ok` from the status alone.
pub fn status_line(done: usize, total: usize, id: &str, status: Status) -> String {
    let word = match status {
        Status::Pass => "ok",
        Status::Fail => "FAIL",
        Status::Error => "ERROR",
        Status::Skip => "skipped",
        Status::Advisory => "ok (advisory)",
        Status::Known => "known failure",
    };
    super::summary::terminal_safe(&format!("[{done}/{total}] {id} ... {word}"))
}

/// `[12/340] case-id ... ok`; verbose adds the HTTP status and error type.
pub fn case_line(done: usize, total: usize, case: &CaseResult, verbose: bool, r: &Redactor) -> String {
    let failed: Vec<&str> = case
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Fail)
        .map(|o| o.check.as_str())
        .collect();
    let errored = || {
        case.outcomes
            .iter()
            .filter(|o| o.status == Status::Error)
            .map(|o| o.check.as_str())
            .collect::<Vec<_>>()
    };
    let mut status = match case.worst() {
        Status::Fail => format!("FAIL [{}]", failed.join(", ")),
        Status::Error => format!("ERROR [{}]", errored().join(", ")),
        _ if case.outcomes.iter().any(|o| o.status == Status::Advisory) => "ok (advisory)".to_owned(),
        _ => "ok".to_owned(),
    };
    if verbose {
        let http = match (&case.response, &case.transport_error) {
            (Some(resp), _) => format!("HTTP {}", resp.status),
            (None, Some(e)) => format!("no response: {}", r.scrub(e)),
            (None, None) => "not sent".to_owned(),
        };
        let ty = case
            .error_type
            .as_deref()
            .map(|t| format!(" {}", r.scrub(t)))
            .unwrap_or_default();
        status = format!("{status} ({http}{ty})");
    }
    super::summary::terminal_safe(&format!("[{done}/{total}] {} ... {status}", case.id))
}
