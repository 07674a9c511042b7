//! The proxy as a standalone process, for tests and benchmarks; the
//! `daytwo proxy` subcommand calls the same [`daytwo_proxy::run`].

use clap::Parser;
use daytwo_proxy::{ProxyConfig, run};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(about = "daytwo's data plane (normally started as `daytwo proxy`)")]
struct Args {
    /// State directory: proxy.sock, proxy-handover.sock, proxy.json.
    #[arg(long, env = "DAYTWO_HOME")]
    home: PathBuf,
    #[arg(long, default_value_t = daytwo_proxy::DEFAULT_CONNECT_TIMEOUT.as_millis() as u64)]
    connect_timeout_ms: u64,
    #[arg(long, default_value_t = daytwo_proxy::DEFAULT_RESPONSE_TIMEOUT.as_millis() as u64)]
    response_timeout_ms: u64,
    #[arg(long, default_value_t = daytwo_proxy::DEFAULT_DRAIN_TIMEOUT.as_millis() as u64)]
    drain_timeout_ms: u64,
    #[arg(long, default_value_t = daytwo_proxy::DEFAULT_METRICS_ADDR)]
    metrics_addr: SocketAddr,
    /// Do not write an access-log line per request.
    #[arg(long)]
    no_access_log: bool,
    /// Data-plane worker threads (default: one per CPU).
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // The control plane: requests are served by the data-plane workers
    // that `run` starts.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("daytwo-proxy: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let config = ProxyConfig {
        connect_timeout: Duration::from_millis(args.connect_timeout_ms),
        response_timeout: Duration::from_millis(args.response_timeout_ms),
        drain_timeout: Duration::from_millis(args.drain_timeout_ms),
        metrics_addr: args.metrics_addr,
        access_log: !args.no_access_log,
        workers: args.threads.unwrap_or(ProxyConfig::new(&args.home).workers),
        ..ProxyConfig::new(args.home)
    };
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            trigger.cancel();
        });
        match run(config, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("daytwo-proxy: {err}");
                ExitCode::FAILURE
            }
        }
    })
}
