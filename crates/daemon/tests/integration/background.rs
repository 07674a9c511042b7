//! `connect_or_start`: the CLI's way to reach a daemon, starting one in the
//! background when none answers.

use crate::support::{HARNESS, TestHome};
use daytwo_daemon::{DAEMON_LOG_FILE, DaemonError, connect_or_start};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Kills a background daemon by pid on Drop.
struct DaemonPid(u32);

impl Drop for DaemonPid {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.0 as i32), Signal::SIGKILL);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_a_daemon_in_the_background_when_none_answers() {
    let home = TestHome::new();
    let client = connect_or_start(home.path(), Path::new(HARNESS))
        .await
        .unwrap();
    let status = client.status().await.unwrap();
    let _daemon = DaemonPid(status.daemon.pid);
    assert_ne!(status.daemon.pid, std::process::id(), "a separate process");
    assert!(daytwo_testkit::pid_alive(status.daemon.pid));
    let pid_file = std::fs::read_to_string(home.pid_file()).unwrap();
    assert_eq!(pid_file.trim(), status.daemon.pid.to_string());
    // Its own process group: a Ctrl-C aimed at the CLI does not reach it.
    let group = nix::unistd::getpgid(Some(Pid::from_raw(status.daemon.pid as i32))).unwrap();
    assert_eq!(group.as_raw() as u32, status.daemon.pid);
    assert!(home.path().join(DAEMON_LOG_FILE).exists());

    let again = connect_or_start(home.path(), Path::new(HARNESS))
        .await
        .unwrap();
    assert_eq!(
        again.status().await.unwrap().daemon.pid,
        status.daemon.pid,
        "a running daemon is reused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_clis_end_with_one_daemon() {
    let home = TestHome::new();
    let starts = (0..4).map(|_| {
        let path = home.path().to_path_buf();
        tokio::spawn(async move { connect_or_start(&path, Path::new(HARNESS)).await })
    });
    let mut pids = Vec::new();
    for start in starts {
        let client = start.await.unwrap().expect("every CLI gets a daemon");
        pids.push(client.status().await.unwrap().daemon.pid);
    }
    let _daemon = DaemonPid(pids[0]);
    assert!(
        pids.iter().all(|pid| *pid == pids[0]),
        "one daemon: {pids:?}"
    );
    // The losers exit once they find the home locked.
    let expected = vec![pids[0]];
    crate::support::eventually("only the winner to be left", || {
        let daemons = harness_daemons(home.path());
        let expected = expected.clone();
        async move {
            if daemons == expected {
                Ok(())
            } else {
                Err(format!("{daemons:?}"))
            }
        }
    })
    .await;
}

/// Pids of live `daytwo-daemon-harness serve` processes for `home`.
fn harness_daemons(home: &Path) -> Vec<u32> {
    let wanted_env = format!("DAYTWO_HOME={}", home.display());
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse().ok())
        else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let serves = cmdline.ends_with(b"serve\0") && cmdline.starts_with(HARNESS.as_bytes());
        let ours = environ
            .split(|byte| *byte == 0)
            .any(|var| var == wanted_env.as_bytes());
        if serves && ours && daytwo_testkit::pid_alive(pid) {
            pids.push(pid);
        }
    }
    pids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_fails_to_start_is_reported_with_its_log() {
    let home = TestHome::new();
    let exe = home.path().join("broken-daytwo");
    std::fs::write(
        &exe,
        "#!/bin/sh\necho \"error: cannot open the state database: disk I/O error\" >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let error = connect_or_start(home.path(), &exe).await.unwrap_err();
    assert!(matches!(error, DaemonError::NotStarted { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("disk I/O error"), "{message}");
    assert!(message.contains(DAEMON_LOG_FILE), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_executable_is_a_spawn_error() {
    let home = TestHome::new();
    let exe = home.path().join("no-such-daytwo");
    let error = connect_or_start(home.path(), &exe).await.unwrap_err();
    assert!(
        matches!(error, DaemonError::SpawnDaemon { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("no-such-daytwo"), "{error}");
}
