//! A test harness that behaves like the `daytwo` binary for the three
//! commands the daemon needs of it: `serve` (run the daemon for `DAYTWO_HOME`
//! until SIGTERM/SIGINT), `proxy` (the proxy process the daemon starts, same
//! signals) and `shim <args…>` (the engine's per-replica shim). The
//! daemon's integration tests use it to run a daemon as a real child process
//! (to SIGKILL it) and as the `exe` of `connect_or_start`. Not installed for
//! users: the real entry point is `daytwo serve`.

use std::process::ExitCode;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Exit code of `serve` when another daemon already serves the home.
const EXIT_ALREADY_RUNNING: u8 = 3;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    match args.next() {
        Some(word) if word == "shim" => daytwo_engine::shim::main(args.collect()),
        Some(word) if word == "serve" => serve(),
        Some(word) if word == "proxy" => proxy(),
        _ => {
            eprintln!("usage: daytwo-daemon-harness serve | proxy | shim <args…>");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    let shim_exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("error: cannot find the harness executable: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = daytwo_daemon::DaemonConfig {
        home: daytwo_daemon::default_home(),
        shim_exe,
    };
    let result = until_signal(|shutdown| daytwo_daemon::run(config, shutdown));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ daytwo_daemon::DaemonError::AlreadyRunning { .. }) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_ALREADY_RUNNING)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn proxy() -> ExitCode {
    let home = daytwo_daemon::default_home();
    match until_signal(|shutdown| daytwo_daemon::run_proxy(home, shutdown)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `work` on a runtime, cancelling its token on SIGTERM or SIGINT.
fn until_signal<F, Fut, T>(work: F) -> T
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build the tokio runtime");
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let mut terminate = signal(SignalKind::terminate()).expect("install SIGTERM handler");
        let mut interrupt = signal(SignalKind::interrupt()).expect("install SIGINT handler");
        let on_signal = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
            on_signal.cancel();
        });
        work(shutdown).await
    })
}
