//! `daytwo proxy`: the data plane in the foreground until SIGTERM or Ctrl-C.
//! The daemon starts it in the background (output in `proxy.log`) when no
//! proxy serves the state directory; starting a second one takes the
//! listening sockets over from the first without refusing a connection.

use crate::context::Context;
use crate::exit;
use miette::{IntoDiagnostic, Result, miette};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

pub async fn run(context: &Context) -> Result<u8> {
    let shutdown = CancellationToken::new();
    let mut terminate = signal(SignalKind::terminate()).into_diagnostic()?;
    let mut interrupt = signal(SignalKind::interrupt()).into_diagnostic()?;
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        on_signal.cancel();
    });
    daytwo_daemon::run_proxy(context.home.clone(), shutdown)
        .await
        .map_err(|error| miette!(help = "see proxy.log in the state directory", "{error}"))?;
    Ok(exit::SUCCESS)
}
