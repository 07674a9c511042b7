//! The stop signals: SIGTERM (what daytwo sends by default) and SIGINT
//! (Ctrl-C). Handlers are installed at start, before any work, so a signal
//! that arrives early is not lost and never kills the process mid-write.

use tokio::signal::unix::{Signal, SignalKind, signal};

pub struct StopSignals {
    term: Signal,
    int: Signal,
}

impl StopSignals {
    pub fn install() -> std::io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the first stop signal, logs "shutting down" and returns its name.
    pub async fn recv(mut self) -> &'static str {
        let name = tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "shutting down");
        name
    }
}
