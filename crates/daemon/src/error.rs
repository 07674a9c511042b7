//! `DaemonError`: why the daemon could not start, serve, or be reached.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot create the state directory {path}: {source}")]
    CreateHome {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", already_running_message(.home, *.pid))]
    AlreadyRunning { home: PathBuf, pid: Option<u32> },
    #[error("cannot write the pid file {path}: {source}")]
    WritePidFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] daytwo_store::StoreError),
    #[error("a state database task failed: {0}")]
    StoreTask(String),
    #[error("cannot listen on the control socket {path}: {source}")]
    BindSocket {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("serving the control API failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot read or create the flags token {path}: {source}")]
    FlagsToken {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen for env `{env}`'s flags on 127.0.0.1: {source}")]
    BindFlags { env: String, source: std::io::Error },
    #[error("cannot start the daemon `{exe} serve`: {source}")]
    SpawnDaemon {
        exe: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", not_started_message(.home, .waited, .log_tail))]
    NotStarted {
        home: PathBuf,
        waited: Duration,
        log_tail: String,
    },
}

fn already_running_message(home: &std::path::Path, pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!(
            "a daytwo daemon (pid {pid}) is already running for {}",
            home.display()
        ),
        None => format!("a daytwo daemon is already running for {}", home.display()),
    }
}

fn not_started_message(home: &std::path::Path, waited: &Duration, log_tail: &str) -> String {
    let log = home.join(crate::DAEMON_LOG_FILE);
    if log_tail.trim().is_empty() {
        format!(
            "the daemon did not answer within {waited:?} (its log {} is empty)",
            log.display()
        )
    } else {
        format!(
            "the daemon did not answer within {waited:?}; the end of {}:\n{log_tail}",
            log.display()
        )
    }
}
