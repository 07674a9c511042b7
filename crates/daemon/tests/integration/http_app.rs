//! A small real HTTP app (python3) for the proxy tests, a blocking HTTP
//! client, and a request loop that counts what clients would see.

use crate::support::{TestHome, env_spec, process};
use daytwo_api::UpRequest;
use daytwo_spec::{HealthCheck, HealthProbe};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// `/healthz` (503 while the file `sick.<DAYTWO_REPLICA>` exists in its
/// directory), `/whoami` (its `DAYTWO_REPLICA`), `/slow` (answers after
/// [`SLOW_SECONDS`]), anything else: 404. HTTP/1.1 with keep-alive.
const APP_PY: &str = r#"
import http.server, os, time

REPLICA = os.environ["DAYTWO_REPLICA"]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status, body = 200, REPLICA
        if self.path == "/healthz":
            if os.path.exists("sick." + REPLICA):
                status, body = 503, "sick"
        elif self.path == "/slow":
            time.sleep(float(os.environ["SLOW_SECONDS"]))
            body = "slow done by " + REPLICA
        elif self.path not in ("/", "/whoami"):
            status, body = 404, "not found"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
server.daemon_threads = True
server.serve_forever()
"#;

/// How long `/slow` takes.
pub const SLOW_SECONDS: &str = "1.5";
/// Timeout of one client request: no request may hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// An `up` request for env `dev` listening on `listen`, with `replicas`
/// replicas of the python app (HTTP health check every 100 ms).
pub fn web_up(home: &TestHome, listen: SocketAddr, replicas: u32) -> UpRequest {
    std::fs::write(home.path().join("app.py"), APP_PY).expect("write app.py");
    let mut web = process("web", "python3 app.py", replicas);
    web.http = true;
    web.stop_timeout = Duration::from_secs(5);
    web.health = Some(HealthCheck {
        probe: HealthProbe::Http {
            path: "/healthz".to_string(),
        },
        interval: Duration::from_millis(100),
        timeout: Duration::from_secs(1),
        healthy_threshold: 1,
        unhealthy_threshold: 1,
        start_period: Duration::from_secs(2),
    });
    web.environment = BTreeMap::from([("SLOW_SECONDS".to_string(), SLOW_SECONDS.to_string())]);
    let mut spec = env_spec("dev", home.path(), vec![web]);
    spec.listen = Some(listen);
    UpRequest {
        spec,
        release: "working-tree".to_string(),
        migrations: None,
    }
}

/// A listen address on 127.0.0.1 that was free a moment ago.
pub fn free_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], daytwo_testkit::free_port()))
}

/// `GET path` on `addr` over a fresh connection: `(status, body)`, or the
/// socket error.
pub fn get(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("read: {e}"))?;
    let response = String::from_utf8_lossy(&response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {response:?}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// [`get`] on a blocking thread, for async tests.
pub async fn get_async(addr: SocketAddr, path: &'static str) -> Result<(u16, String), String> {
    tokio::task::spawn_blocking(move || get(addr, path))
        .await
        .expect("request thread")
}

/// What a request loop saw.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub ok: u64,
    /// Status and body of every non-2xx answer.
    pub failed: Vec<(u16, String)>,
    /// Every socket error.
    pub errors: Vec<String>,
    /// 2xx answers per body (the replica that answered).
    pub by_body: BTreeMap<String, u64>,
}

/// Requests `GET /whoami` one after another on a thread until stopped.
pub struct LoadLoop {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<LoadReport>>,
}

/// Pause between two requests of the loop (keeps two shared cores usable).
const LOAD_PAUSE: Duration = Duration::from_millis(2);

impl LoadLoop {
    pub fn start(addr: SocketAddr) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut report = LoadReport::default();
            while !stopped.load(Ordering::Relaxed) {
                match get(addr, "/whoami") {
                    Ok((status, body)) if (200..300).contains(&status) => {
                        report.ok += 1;
                        *report.by_body.entry(body).or_default() += 1;
                    }
                    Ok(failed) => report.failed.push(failed),
                    Err(error) => report.errors.push(error),
                }
                std::thread::sleep(LOAD_PAUSE);
            }
            report
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the loop and returns what it saw.
    pub async fn finish(mut self) -> LoadReport {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().expect("running");
        tokio::task::spawn_blocking(move || thread.join().expect("load thread"))
            .await
            .expect("join")
    }
}

impl Drop for LoadLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
