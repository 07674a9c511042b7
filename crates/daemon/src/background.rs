//! Starting the daemon in the background for a CLI command that needs it.
//!
//! If the socket answers, that daemon is used. Otherwise `<exe> serve` is
//! spawned detached (own process group, stdin closed, output appended to
//! `$DAYTWO_HOME/daemon.log`) and polled until it answers. Two CLIs racing
//! both spawn a daemon; the home's lock lets exactly one of them serve, the
//! other exits with "already running", and both CLIs connect to the winner.

use crate::DaemonError;
use crate::home::{create_home, is_locked};
use daytwo_api::Client;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

/// File name of the background daemon's output inside `DAYTWO_HOME`.
pub const DAEMON_LOG_FILE: &str = "daemon.log";
/// How long to wait for a freshly spawned daemon to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How much of the end of `daemon.log` a start failure shows.
const LOG_TAIL_BYTES: u64 = 4096;

/// A client of the daemon serving `home`, starting `<exe> serve` if none does.
pub async fn connect_or_start(home: &Path, exe: &Path) -> Result<Client, DaemonError> {
    let client = Client::for_home(home);
    if client.status().await.is_ok() {
        return Ok(client);
    }
    create_home(home)?;
    let mut child = spawn_daemon(home, exe)?;
    let started = Instant::now();
    loop {
        if client.status().await.is_ok() {
            // Reap the daemon when it exits, so it never lingers as a zombie
            // of a long-running CLI (`daytwo up` streaming logs).
            std::thread::spawn(move || child.wait());
            return Ok(client);
        }
        let exited = matches!(child.try_wait(), Ok(Some(_)));
        // Ours exited and no other daemon holds the home: nothing will answer.
        let hopeless = exited && !is_locked(home);
        if hopeless || started.elapsed() >= START_TIMEOUT {
            if !exited {
                // Leave it running: it may still come up; the lock keeps it unique.
                std::thread::spawn(move || child.wait());
            }
            return Err(DaemonError::NotStarted {
                home: home.to_path_buf(),
                waited: started.elapsed(),
                log_tail: log_tail(&home.join(DAEMON_LOG_FILE)),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

fn spawn_daemon(home: &Path, exe: &Path) -> Result<std::process::Child, DaemonError> {
    let spawn_err = |source| DaemonError::SpawnDaemon {
        exe: exe.to_path_buf(),
        source,
    };
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(home.join(DAEMON_LOG_FILE))
        .map_err(spawn_err)?;
    let log_err = log.try_clone().map_err(spawn_err)?;
    Command::new(exe)
        .arg("serve")
        .env("DAYTWO_HOME", home)
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        // Own process group: the terminal's Ctrl-C for the CLI does not reach it.
        .process_group(0)
        .spawn()
        .map_err(spawn_err)
}

/// The last lines of `path` (at most [`LOG_TAIL_BYTES`]), empty if unreadable.
pub(crate) fn log_tail(path: &Path) -> String {
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    let start = len.saturating_sub(LOG_TAIL_BYTES);
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    // Drop a partial first line when the tail starts mid-file.
    let text = match (start > 0, text.find('\n')) {
        (true, Some(newline)) => &text[newline + 1..],
        _ => &text[..],
    };
    text.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_keeps_whole_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DAEMON_LOG_FILE);
        let mut text = String::new();
        for n in 0..1000 {
            text.push_str(&format!("line {n}\n"));
        }
        std::fs::write(&path, &text).unwrap();
        let tail = log_tail(&path);
        assert!(tail.ends_with("line 999"), "{tail}");
        assert!(tail.lines().all(|line| line.starts_with("line ")));
        assert!(tail.len() <= LOG_TAIL_BYTES as usize);
        assert_eq!(log_tail(&dir.path().join("missing")), "");
    }
}
