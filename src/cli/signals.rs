//! Interruptions: Ctrl-C, SIGTERM (what CI runners send on cancel) and SIGHUP (a closed terminal)
//! stop the run, and its tunnels are still deleted. A second signal does not skip that cleanup
//! (an open tunnel costs the account a quota slot for up to 12 hours); only a third exits at
//! once, saying that tunnels may remain (`rotcheck cleanup` deletes them later).

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The next Ctrl-C, SIGTERM or SIGHUP; its name.
async fn next_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut term), Ok(mut hup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
                _ = hup.recv() => "SIGHUP",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// Listen for interruptions: the first sets `cancel`; the third exits with 130.
pub fn spawn_interrupt(cancel: watch::Sender<bool>) -> JoinHandle<()> {
    // Installed now, so that a signal arriving before the task first runs is not lost.
    #[cfg(unix)]
    let _early = {
        use tokio::signal::unix::{signal, SignalKind};
        (signal(SignalKind::terminate()), signal(SignalKind::hangup()))
    };
    tokio::spawn(async move {
        let first = next_signal().await;
        eprintln!("\ninterrupted ({first}): stopping the run and deleting its tunnels");
        let _ = cancel.send(true);
        let second = next_signal().await;
        eprintln!("interrupted again ({second}): still deleting the run's tunnels; a third interruption exits at once");
        let third = next_signal().await;
        eprintln!(
            "interrupted a third time ({third}): exiting without cleanup; tunnels the run opened may remain \
             (delete them with `rotcheck cleanup --endpoint URL`)"
        );
        std::process::exit(130);
    })
}
