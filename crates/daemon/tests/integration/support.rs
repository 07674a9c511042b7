//! Shared fixtures: a temp home that kills every replica recorded in it on
//! Drop, an in-process daemon, a daemon in a child process, and env specs.

use daytwo_api::Client;
use daytwo_daemon::{DaemonConfig, DaemonError};
use daytwo_spec::{EnvSpec, ProcessSpec, RestartPolicy};
use daytwo_testkit::ChildGuard;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// `serve` runs a daemon, `shim` is the engine's replica shim.
pub const HARNESS: &str = env!("CARGO_BIN_EXE_daytwo-daemon-harness");
/// Upper bound for anything asynchronous to happen in these tests.
pub const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// A temporary `DAYTWO_HOME`. On Drop, every replica (and shim) recorded in
/// its state database and the proxy (pid in `proxy.json`) are killed by pid,
/// also when the test failed.
pub struct TestHome {
    dir: tempfile::TempDir,
}

impl TestHome {
    pub fn new() -> Self {
        // Short: unix socket paths are limited to 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("d2d-")
            .tempdir_in("/tmp")
            .expect("create temp home");
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn socket(&self) -> PathBuf {
        self.path().join(daytwo_api::SOCKET_FILE)
    }

    pub fn pid_file(&self) -> PathBuf {
        self.path().join(daytwo_api::PID_FILE)
    }

    pub fn client(&self) -> Client {
        Client::for_home(self.path())
    }

    pub fn config(&self) -> DaemonConfig {
        DaemonConfig {
            home: self.path().to_path_buf(),
            shim_exe: PathBuf::from(HARNESS),
        }
    }

    /// Pids (replica process groups and shims) recorded in the store.
    fn recorded_pids(&self) -> (Vec<u32>, Vec<u32>) {
        let Ok(store) = daytwo_store::Store::open(self.path().join(daytwo_daemon::STORE_FILE))
        else {
            return (Vec::new(), Vec::new());
        };
        let mut groups = Vec::new();
        let mut shims = Vec::new();
        for record in store.replicas(None).unwrap_or_default() {
            let status: serde_json::Value =
                serde_json::from_str(&record.status_json).unwrap_or_default();
            groups.extend(status["pid"].as_u64().map(|pid| pid as u32));
            shims.extend(status["shim_pid"].as_u64().map(|pid| pid as u32));
        }
        (groups, shims)
    }
}

impl Drop for TestHome {
    fn drop(&mut self) {
        let (groups, shims) = self.recorded_pids();
        for pid in groups {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
        for pid in shims {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
        // Replicas never recorded in the store (a test that failed early).
        daytwo_testkit::kill_replicas_in(self.path());
        if let Ok(proxy) = daytwo_proxy::ProxyInfo::load(self.path()) {
            daytwo_testkit::kill_proxy(proxy.pid);
        }
    }
}

/// The daemon's `run` on the test's runtime.
pub struct InProcessDaemon {
    shutdown: CancellationToken,
    task: Option<JoinHandle<Result<(), DaemonError>>>,
}

impl InProcessDaemon {
    /// Starts the daemon and waits until it answers.
    pub async fn start(home: &TestHome) -> Self {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(daytwo_daemon::run(home.config(), shutdown.clone()));
        let mut daemon = Self {
            shutdown,
            task: Some(task),
        };
        let client = home.client();
        let deadline = Instant::now() + WAIT;
        while client.status().await.is_err() {
            if daemon.task.as_ref().is_some_and(|task| task.is_finished()) {
                let result = daemon.task.take().unwrap().await.unwrap();
                panic!("the daemon stopped while starting: {result:?}");
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not answer within {WAIT:?}"
            );
            tokio::time::sleep(POLL).await;
        }
        daemon
    }

    /// Waits for the daemon to end (after a shutdown request) and returns its result.
    pub async fn finished(mut self) -> Result<(), DaemonError> {
        let task = self.task.take().expect("daemon task");
        tokio::time::timeout(WAIT, task)
            .await
            .expect("the daemon stops within the wait")
            .expect("the daemon task does not panic")
    }

    /// Cancels the daemon's token and waits for it to end.
    pub async fn stop(self) -> Result<(), DaemonError> {
        self.shutdown.cancel();
        self.finished().await
    }
}

impl Drop for InProcessDaemon {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// `daytwo-daemon-harness serve` in a child process, killed on Drop.
pub struct ChildDaemon {
    guard: Option<ChildGuard>,
}

impl ChildDaemon {
    pub async fn start(home: &TestHome) -> Self {
        Self::start_with(home, &[]).await
    }

    /// Starts the daemon with extra environment variables.
    pub async fn start_with(home: &TestHome, vars: &[(&str, &str)]) -> Self {
        let child = Command::new(HARNESS)
            .arg("serve")
            .env("DAYTWO_HOME", home.path())
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the harness daemon");
        let mut daemon = Self {
            guard: Some(ChildGuard::new(child)),
        };
        let client = home.client();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(status) = client.status().await {
                assert_eq!(status.daemon.pid, daemon.pid(), "the child daemon answers");
                break;
            }
            if let Ok(Some(exit)) = daemon.guard.as_mut().unwrap().child().try_wait() {
                panic!("the child daemon exited while starting: {exit}");
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not answer within {WAIT:?}"
            );
            tokio::time::sleep(POLL).await;
        }
        daemon
    }

    pub fn pid(&self) -> u32 {
        self.guard.as_ref().expect("running").pid()
    }

    /// SIGKILL, as a crash or the OOM killer would; waits until it is gone.
    pub fn kill(mut self) {
        // Dropping the guard sends SIGKILL and reaps the child.
        drop(self.guard.take());
    }
}

/// A process of an env: `command` run by `sh -c`, no health check (healthy
/// while running), a short stop timeout and quick restarts.
pub fn process(name: &str, command: &str, replicas: u32) -> ProcessSpec {
    ProcessSpec {
        name: name.to_string(),
        command: command.to_string(),
        http: false,
        replicas,
        health: None,
        memory_limit: None,
        stop_signal: "SIGTERM".to_string(),
        stop_timeout: Duration::from_secs(2),
        environment: BTreeMap::new(),
        restart: RestartPolicy {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..RestartPolicy::default()
        },
    }
}

pub fn env_spec(env: &str, dir: &Path, processes: Vec<ProcessSpec>) -> EnvSpec {
    EnvSpec {
        app: "hello".to_string(),
        env: env.to_string(),
        file: dir.join("daytwo.toml"),
        dir: dir.to_path_buf(),
        listen: None,
        processes: processes
            .into_iter()
            .map(|process| (process.name.clone(), process))
            .collect(),
        flags: Default::default(),
        rollout: Default::default(),
        alerts: Default::default(),
    }
}

/// An argument for `sleep` no other process on the machine has, so a test
/// can count the processes of its replicas in `/proc`.
pub fn unique_sleep() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!(
        "{}.{}",
        100_000 + std::process::id() % 100_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Pids of the processes whose command line is exactly `sleep <seconds>`.
pub fn sleep_pids(seconds: &str) -> Vec<u32> {
    let wanted = format!("sleep\0{seconds}\0");
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
        if cmdline == wanted.as_bytes() && daytwo_testkit::pid_alive(pid) {
            pids.push(pid);
        }
    }
    pids.sort_unstable();
    pids
}

/// Waits until the processes running `sleep <seconds>` are exactly `pids`
/// (a replica's `sh -c "exec sleep …"` shows as `sleep` once it has exec'd).
pub async fn expect_sleep_pids(seconds: &str, pids: &[u32], what: &str) {
    let mut expected = pids.to_vec();
    expected.sort_unstable();
    eventually(what, || {
        let found = sleep_pids(seconds);
        let expected = expected.clone();
        async move {
            if found == expected {
                Ok(())
            } else {
                Err(format!("found {found:?}, expected {expected:?}"))
            }
        }
    })
    .await;
}

/// Polls `probe` until it yields `Some`, at most [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {WAIT:?} waiting for {what}; last: {last}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// A raw HTTP/1.1 request over the socket: `(status, body)`.
pub async fn raw_request(socket: &Path, method: &str, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: daytwo\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}
