//! The test harness: an engine in a temp `DAYTWO_HOME`, a recorder of its
//! events, spec builders, and a guard that SIGKILLs every replica process
//! group the engine reported (checked by pid and start time) on drop.

use daytwo_engine::{Engine, EngineConfig, EngineEvent, LogFilter, LogRecord, ReplicaStatus};
use daytwo_spec::{EnvSpec, HealthCheck, HealthProbe, ProcessSpec, RestartPolicy};
use daytwo_types::{ReplicaKey, ReplicaState};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

pub const RELEASE: &str = "r1";
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Every process group any engine of a test reported, with its start time.
#[derive(Clone, Default)]
pub struct ProcessGuard {
    groups: Arc<Mutex<BTreeSet<(u32, u64)>>>,
}

impl ProcessGuard {
    fn record(&self, status: &ReplicaStatus) {
        if let (Some(pid), Some(ticks)) = (status.pid, status.start_ticks) {
            self.groups.lock().unwrap().insert((pid, ticks));
        }
    }
}

impl ProcessGuard {
    /// SIGKILLs every recorded group that is still the same process.
    fn kill_all(&self) {
        for (pid, ticks) in self.groups.lock().unwrap().iter() {
            if start_ticks(*pid) == Some(*ticks) {
                let _ = killpg(Pid::from_raw(*pid as i32), Signal::SIGKILL);
            }
        }
    }
}

/// An event as recorded, with the moment it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub event: EngineEvent,
}

pub struct Harness {
    pub engine: Engine,
    pub shutdown: CancellationToken,
    pub events: Arc<Mutex<Vec<Seen>>>,
    pub guard: ProcessGuard,
    pub config: EngineConfig,
    pub app_dir: PathBuf,
    pub home: Arc<tempfile::TempDir>,
    /// False for an engine replaced by `restart_engine`: its successor
    /// owns the processes now.
    owns_processes: bool,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if self.owns_processes {
            self.guard.kill_all();
        }
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(|_| {})
    }

    pub fn with_config(adjust: impl FnOnce(&mut EngineConfig)) -> Self {
        let home = Arc::new(tempfile::tempdir().unwrap());
        let mut config = EngineConfig::new(
            home.path().join("home"),
            PathBuf::from(env!("CARGO_BIN_EXE_daytwo-engine-shim")),
        );
        config.sample_interval = Duration::from_millis(100);
        adjust(&mut config);
        let app_dir = home.path().join("app");
        std::fs::create_dir_all(&app_dir).unwrap();
        Self::start(config, home, app_dir, ProcessGuard::default())
    }

    fn start(
        config: EngineConfig,
        home: Arc<tempfile::TempDir>,
        app_dir: PathBuf,
        guard: ProcessGuard,
    ) -> Self {
        let shutdown = CancellationToken::new();
        let (engine, mut rx) = Engine::start(config.clone(), shutdown.clone());
        let events = Arc::new(Mutex::new(Vec::new()));
        let recorder = events.clone();
        let recorder_guard = guard.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                if let EngineEvent::ReplicaChanged(status) = &event {
                    recorder_guard.record(status);
                }
                recorder.lock().unwrap().push(Seen {
                    at: Instant::now(),
                    event,
                });
            }
        });
        Self {
            engine,
            shutdown,
            events,
            guard,
            config,
            app_dir,
            home,
            owns_processes: true,
        }
    }

    /// Stops this engine (its replicas keep running) and starts a new one on
    /// the same home, as a daemon restart does.
    pub async fn restart_engine(mut self) -> Self {
        self.shutdown.cancel();
        self.owns_processes = false;
        tokio::time::sleep(Duration::from_millis(100)).await;
        Self::start(
            self.config.clone(),
            self.home.clone(),
            self.app_dir.clone(),
            self.guard.clone(),
        )
    }

    /// Writes a file into the app directory (the spec's `dir`).
    pub fn write_app_file(&self, name: &str, contents: &str) {
        std::fs::write(self.app_dir.join(name), contents).unwrap();
    }

    pub fn spec(&self, processes: Vec<ProcessSpec>) -> EnvSpec {
        env_spec(&self.app_dir, processes)
    }

    pub fn replica(&self, key: &ReplicaKey) -> Option<ReplicaStatus> {
        self.engine
            .replicas(Some(&key.env))
            .into_iter()
            .find(|status| &status.key == key)
    }

    /// Waits until `key` is in `state`, returning its status.
    pub async fn wait_state(&self, key: &ReplicaKey, state: ReplicaState) -> ReplicaStatus {
        eventually(&format!("{key} to be {state}"), TIMEOUT, || async {
            let status = self.replica(key);
            match status {
                Some(status) if status.state == state => Ok(status),
                other => Err(format!("{other:?}")),
            }
        })
        .await
    }

    /// The `(kind, message)` of every human event about `key` so far.
    pub fn event_kinds(&self, key: &ReplicaKey) -> Vec<(String, String)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|seen| match &seen.event {
                EngineEvent::Event {
                    replica: Some(replica),
                    kind,
                    message,
                    ..
                } if replica == key => Some((kind.clone(), message.clone())),
                _ => None,
            })
            .collect()
    }

    /// Arrival times of events of `kind` about `key`.
    pub fn event_times(&self, key: &ReplicaKey, wanted: &str) -> Vec<Instant> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|seen| match &seen.event {
                EngineEvent::Event {
                    replica: Some(replica),
                    kind,
                    ..
                } if replica == key && kind == wanted => Some(seen.at),
                _ => None,
            })
            .collect()
    }

    pub async fn wait_event(&self, key: &ReplicaKey, kind: &str) -> String {
        eventually(&format!("a {kind} event of {key}"), TIMEOUT, || async {
            self.event_kinds(key)
                .into_iter()
                .find(|(k, _)| k == kind)
                .map(|(_, message)| message)
                .ok_or_else(|| format!("{:?}", self.event_kinds(key)))
        })
        .await
    }

    /// All log records currently in the files (no follow).
    pub async fn log_records(&self, filter: LogFilter) -> Vec<LogRecord> {
        let mut rx = self.engine.logs(filter);
        let mut records = Vec::new();
        while let Some(record) = rx.recv().await {
            records.push(record);
        }
        records
    }

    pub async fn wait_log_line(&self, key: &ReplicaKey, needle: &str) -> Vec<LogRecord> {
        let filter = LogFilter {
            env: Some(key.env.clone()),
            process: Some(key.process.clone()),
            replica: Some(key.replica),
            ..LogFilter::default()
        };
        eventually(
            &format!("`{needle}` in the log of {key}"),
            TIMEOUT,
            || async {
                let records = self.log_records(filter.clone()).await;
                if records.iter().any(|r| r.line.contains(needle)) {
                    Ok(records)
                } else {
                    Err(format!("{records:?}"))
                }
            },
        )
        .await
    }

    /// Stops the env; every test ends with this.
    pub async fn down(&self, env: &str) -> Vec<ReplicaStatus> {
        self.engine.down(env).await.unwrap()
    }
}

pub fn env_spec(dir: &Path, processes: Vec<ProcessSpec>) -> EnvSpec {
    EnvSpec {
        app: "testapp".to_owned(),
        env: "test".to_owned(),
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

/// A worker process with fast restarts and a short stop timeout.
pub fn process(name: &str, command: &str) -> ProcessSpec {
    ProcessSpec {
        name: name.to_owned(),
        command: command.to_owned(),
        http: false,
        replicas: 1,
        health: None,
        memory_limit: None,
        stop_signal: "SIGTERM".to_owned(),
        stop_timeout: Duration::from_secs(3),
        environment: BTreeMap::new(),
        restart: RestartPolicy {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            crashloop_threshold: 50,
            crashloop_window: Duration::from_secs(60),
            reset_after: Duration::from_secs(30),
        },
    }
}

/// An HTTP process running `http_app.py` (see [`HTTP_APP`]).
pub fn http_process(name: &str, replicas: u32, probe: Option<HealthProbe>) -> ProcessSpec {
    ProcessSpec {
        http: true,
        replicas,
        health: probe.map(fast_check),
        ..process(name, "exec python3 -u http_app.py")
    }
}

pub fn fast_check(probe: HealthProbe) -> HealthCheck {
    HealthCheck {
        probe,
        interval: Duration::from_millis(100),
        timeout: Duration::from_millis(500),
        healthy_threshold: 1,
        unhealthy_threshold: 2,
        start_period: Duration::from_secs(5),
    }
}

/// A small HTTP app: `/healthz` answers 200 unless the file `unhealthy`
/// exists in its directory; `/env` answers its DAYTWO_*, PORT and GREETING
/// variables as `NAME=value` lines.
pub const HTTP_APP: &str = r#"
import http.server, os
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            code, body = (503, "sick") if os.path.exists("unhealthy") else (200, "ok")
        elif self.path == "/env":
            names = ["PORT", "DAYTWO_APP", "DAYTWO_ENV", "DAYTWO_PROCESS", "DAYTWO_REPLICA", "DAYTWO_RELEASE", "DAYTWO_DATA_DIR", "GREETING"]
            code, body = 200, "".join(f"{n}={os.environ.get(n, '')}\n" for n in names)
        else:
            code, body = 404, "no"
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
print("listening on", os.environ["PORT"], flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"#;

/// Polls `probe` until it returns `Ok`, panicking after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// `GET path` on 127.0.0.1:port → (status code, body).
pub async fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let code = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (code, body)
}

/// `starttime` of a live (non-zombie) pid.
pub fn start_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = text.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

pub fn is_alive(pid: u32) -> bool {
    start_ticks(pid).is_some()
}

pub fn key(process: &str, replica: u32) -> ReplicaKey {
    ReplicaKey::new("test", process, replica)
}
