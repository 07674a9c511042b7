//! The proxy process beside the daemon: `<exe> proxy` (the `daytwo proxy`
//! subcommand) runs [`run_proxy`] in the foreground; the daemon starts it in
//! the background with [`ensure_running`] when `proxy.sock` does not answer.
//!
//! The background proxy is detached like the daemon itself (own process
//! group, stdin closed, output appended to `$DAYTWO_HOME/proxy.log`) and is
//! never stopped by the daemon: it keeps serving when the daemon exits or is
//! SIGKILLed, and the next daemon adopts it by talking to the same socket.

use crate::background::log_tail;
use daytwo_proxy::{ProxyClient, ProxyConfig, ProxyError};
use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// File name of the background proxy's output (access log and errors).
pub const PROXY_LOG_FILE: &str = "proxy.log";
/// How long to wait for a freshly spawned proxy to answer.
pub const PROXY_START_TIMEOUT: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Runs the proxy for `home` in this process until `shutdown` (or until a
/// newer proxy process took its sockets over).
pub async fn run_proxy(home: PathBuf, shutdown: CancellationToken) -> Result<(), ProxyError> {
    daytwo_proxy::run(ProxyConfig::new(home), shutdown).await
}

/// Why the proxy could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ProxyStartError {
    #[error("cannot start the proxy `{exe} proxy`: {source}")]
    Spawn {
        exe: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", not_started_message(.log, .waited, .log_tail))]
    NotStarted {
        log: PathBuf,
        waited: Duration,
        log_tail: String,
    },
}

fn not_started_message(log: &Path, waited: &Duration, log_tail: &str) -> String {
    if log_tail.trim().is_empty() {
        format!(
            "the proxy did not answer within {waited:?} (its log {} is empty)",
            log.display()
        )
    } else {
        format!(
            "the proxy did not answer within {waited:?}; the end of {}:\n{log_tail}",
            log.display()
        )
    }
}

/// Makes sure a proxy serves `home`: uses the one that answers on
/// `proxy.sock`, else starts `<exe> proxy` detached and waits until it answers.
pub(crate) async fn ensure_running(
    home: &Path,
    exe: &Path,
    client: &ProxyClient,
) -> Result<(), ProxyStartError> {
    if client.status().await.is_ok() {
        return Ok(());
    }
    let log = home.join(PROXY_LOG_FILE);
    let spawn_err = |source| ProxyStartError::Spawn {
        exe: exe.to_path_buf(),
        source,
    };
    let mut child = spawn_proxy(home, exe, &log).map_err(spawn_err)?;
    tracing::info!("started the proxy (pid {})", child.id());
    let started = Instant::now();
    loop {
        if client.status().await.is_ok() {
            // Reap it when it exits, so it never lingers as our zombie.
            std::thread::spawn(move || child.wait());
            return Ok(());
        }
        let exited = matches!(child.try_wait(), Ok(Some(_)));
        if exited || started.elapsed() >= PROXY_START_TIMEOUT {
            if !exited {
                std::thread::spawn(move || child.wait());
            }
            return Err(ProxyStartError::NotStarted {
                log_tail: log_tail(&log),
                log,
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

fn spawn_proxy(home: &Path, exe: &Path, log: &Path) -> std::io::Result<std::process::Child> {
    let out = OpenOptions::new().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    Command::new(exe)
        .arg("proxy")
        .env("DAYTWO_HOME", home)
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        // Own process group: signals to the daemon's group do not reach it.
        .process_group(0)
        .spawn()
}
