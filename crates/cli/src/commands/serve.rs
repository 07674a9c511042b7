//! `daytwo serve`: the daemon in the foreground until SIGTERM or Ctrl-C.
//! Replicas keep running when it stops; the next daemon re-adopts them.

use crate::context::Context;
use crate::exit;
use miette::{IntoDiagnostic, Result, miette};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

pub async fn run(context: &Context) -> Result<u8> {
    init_tracing();
    let shim_exe = std::env::current_exe().into_diagnostic()?;
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
    let config = daytwo_daemon::DaemonConfig {
        home: context.home.clone(),
        shim_exe,
    };
    daytwo_daemon::run(config, shutdown)
        .await
        .map_err(|error| miette!("{error}"))?;
    Ok(exit::SUCCESS)
}

/// Diagnostics of long-running processes go to stderr (`daemon.log` when
/// started in the background); `DAYTWO_LOG` filters them (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DAYTWO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
