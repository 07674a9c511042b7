//! Canary fixtures: a python app whose release misbehaves on demand
//! (`LEAK_BYTES_PER_REQUEST`, `FAIL_PERCENT`), signed bundles of it with a
//! `[rollout]` canary, steady keep-alive traffic that counts what clients
//! see per release, and a `promtool check metrics` runner.

use crate::deploy_fixture::build_bundle;
use crate::http_app::free_listen;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Answers every path with its `DAYTWO_RELEASE` (the digest) except
/// `/healthz`. Per request (not health checks) it keeps
/// `LEAK_BYTES_PER_REQUEST` bytes forever (written, so they are resident)
/// and answers 500 to exactly `FAIL_PERCENT` % of requests, spread evenly.
const APP_PY: &str = r#"
import http.server, itertools, os

RELEASE = os.environ["DAYTWO_RELEASE"]
LEAK = int(os.environ.get("LEAK_BYTES_PER_REQUEST", "0"))
FAIL = int(os.environ.get("FAIL_PERCENT", "0"))
KEPT = []
COUNT = itertools.count(1)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: without this, Nagle's algorithm and
    # the proxy's delayed ACK hold the body ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self):
        status, body = 200, RELEASE
        if self.path != "/healthz":
            n = next(COUNT)
            if LEAK:
                KEPT.append(b"x" * LEAK)
            if FAIL and (n * FAIL) // 100 != ((n - 1) * FAIL) // 100:
                status, body = 500, "fail " + RELEASE
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

/// How a release of the app behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    pub leak_bytes_per_request: u64,
    pub fail_percent: u32,
}

/// The canary of the test releases: its steps, their duration and the
/// analysis interval.
#[derive(Debug, Clone)]
pub struct Canary {
    pub steps: Vec<u32>,
    pub step_duration: &'static str,
    pub analysis_interval: &'static str,
    pub max_extensions: u32,
}

/// An app directory whose spec declares env `prod` with a listener.
pub struct CanaryApp {
    dir: tempfile::TempDir,
    pub prod: SocketAddr,
}

impl CanaryApp {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("app dir");
        std::fs::write(dir.path().join("app.py"), APP_PY).unwrap();
        Self {
            dir,
            prod: free_listen(),
        }
    }

    /// Builds a signed bundle of `version` behaving as `behaviour`, whose
    /// deploys are canaries as `canary` says; returns its path.
    pub fn build(&self, version: &str, behaviour: Behaviour, canary: &Canary) -> PathBuf {
        let steps: Vec<String> = canary.steps.iter().map(ToString::to_string).collect();
        let spec = format!(
            r#"[app]
name = "shop"

[process.web]
command = "python3 app.py"
http = true
replicas = 2
stop_timeout = "3s"
health = {{ path = "/healthz", interval = "200ms", timeout = "500ms", start_period = "5s" }}
environment = {{ LEAK_BYTES_PER_REQUEST = "{leak}", FAIL_PERCENT = "{fail}" }}

[build]
artifacts = ["app.py", "version.txt"]

[rollout]
strategy = "canary"
steps = [{steps}]
step_duration = "{duration}"

[rollout.guards]
analysis_interval = "{interval}"
max_extensions = {extensions}

[env.prod]
listen = "{prod}"
"#,
            leak = behaviour.leak_bytes_per_request,
            fail = behaviour.fail_percent,
            steps = steps.join(", "),
            duration = canary.step_duration,
            interval = canary.analysis_interval,
            extensions = canary.max_extensions,
            prod = self.prod,
        );
        build_bundle(self.dir.path(), &spec, version)
    }
}

/// What the traffic's clients saw.
#[derive(Debug, Default)]
pub struct TrafficReport {
    /// Answers by `(status, release)` (the release from the body).
    pub answers: BTreeMap<(u16, String), u64>,
    /// Socket errors (connect, reset, timeout, malformed answer).
    pub errors: Vec<String>,
    /// When each release answered last (since the traffic started).
    pub last_seen: BTreeMap<String, Duration>,
}

impl TrafficReport {
    pub fn total(&self) -> u64 {
        self.answers.values().sum()
    }

    /// Answers of `release` with status `status`.
    pub fn count(&self, status: u16, release: &str) -> u64 {
        self.answers
            .get(&(status, release.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Non-2xx answers that did not come from `release`.
    pub fn failures_not_from(&self, release: &str) -> Vec<(u16, String, u64)> {
        self.answers
            .iter()
            .filter(|((status, from), _)| !(200..300).contains(status) && from != release)
            .map(|((status, from), count)| (*status, from.clone(), *count))
            .collect()
    }
}

/// Steady GET traffic over keep-alive connections at about `rate`
/// requests per second, from a few threads, until finished.
pub struct Traffic {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<TrafficReport>>,
}

const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

impl Traffic {
    pub fn start(addr: SocketAddr, rate: u32, threads: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let period = Duration::from_secs_f64(f64::from(threads) / f64::from(rate.max(1)));
        let threads = (0..threads)
            .map(|n| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    // Spread the threads' request times over one period.
                    let mut next = started + period.mul_f64(f64::from(n) / 4.0);
                    client(addr, &stop, started, period, &mut next)
                })
            })
            .collect();
        Self { stop, threads }
    }

    /// Stops the clients and adds up what they saw.
    pub async fn finish(mut self) -> TrafficReport {
        self.stop.store(true, Ordering::Relaxed);
        let threads = std::mem::take(&mut self.threads);
        tokio::task::spawn_blocking(move || {
            let mut total = TrafficReport::default();
            for thread in threads {
                let report = thread.join().expect("traffic thread");
                for (key, count) in report.answers {
                    *total.answers.entry(key).or_default() += count;
                }
                total.errors.extend(report.errors);
                for (release, at) in report.last_seen {
                    let seen = total.last_seen.entry(release).or_default();
                    *seen = (*seen).max(at);
                }
            }
            total
        })
        .await
        .expect("join the traffic")
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn client(
    addr: SocketAddr,
    stop: &AtomicBool,
    started: Instant,
    period: Duration,
    next: &mut Instant,
) -> TrafficReport {
    let mut report = TrafficReport::default();
    let mut connection: Option<BufReader<TcpStream>> = None;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if *next > now {
            std::thread::sleep(*next - now);
        }
        *next += period;
        if connection.is_none() {
            match connect(addr) {
                Ok(stream) => connection = Some(stream),
                Err(error) => {
                    report.errors.push(format!("connect: {error}"));
                    continue;
                }
            }
        }
        let stream = connection.as_mut().expect("connected");
        match request(stream) {
            Ok((status, body, keep)) => {
                let release = body.strip_prefix("fail ").unwrap_or(&body).to_string();
                report.last_seen.insert(release.clone(), started.elapsed());
                *report.answers.entry((status, release)).or_default() += 1;
                if !keep {
                    connection = None;
                }
            }
            Err(error) => {
                report.errors.push(error);
                connection = None;
            }
        }
    }
    report
}

fn connect(addr: SocketAddr) -> std::io::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect_timeout(&addr, CLIENT_TIMEOUT)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_nodelay(true)?;
    Ok(BufReader::new(stream))
}

/// One `GET /work` on a keep-alive connection: `(status, body, keep-alive)`.
fn request(stream: &mut BufReader<TcpStream>) -> Result<(u16, String, bool), String> {
    stream
        .get_mut()
        .write_all(b"GET /work HTTP/1.1\r\nHost: canary\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut line = String::new();
    stream
        .read_line(&mut line)
        .map_err(|e| format!("read status: {e}"))?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line: {line:?}"))?;
    let mut length = 0usize;
    let mut keep = true;
    loop {
        line.clear();
        stream
            .read_line(&mut line)
            .map_err(|e| format!("read headers: {e}"))?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        if name.eq_ignore_ascii_case("content-length") {
            length = value
                .trim()
                .parse()
                .map_err(|_| format!("bad length {value:?}"))?;
        } else if name.eq_ignore_ascii_case("connection")
            && value.trim().eq_ignore_ascii_case("close")
        {
            keep = false;
        }
    }
    let mut body = vec![0; length];
    stream
        .read_exact(&mut body)
        .map_err(|e| format!("read body: {e}"))?;
    Ok((
        status,
        String::from_utf8_lossy(&body).trim().to_string(),
        keep,
    ))
}

/// `GET url` (`http://127.0.0.1:PORT/path`) over a fresh connection: the body.
pub fn http_get_text(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).expect("connect to the metrics listener");
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the metrics");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// Runs `promtool check metrics` on `text` and asserts it is accepted.
/// Without promtool the check is skipped, except under `CI=true`, where
/// it fails (CI installs Debian's `prometheus` package).
pub fn promtool_accepts(text: &str) {
    let mut child = match std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "promtool is missing (Debian package `prometheus`); CI must install it"
            );
            eprintln!("promtool not found: the metrics format check is skipped");
            return;
        }
        Err(error) => panic!("cannot run promtool: {error}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool check metrics rejected the metrics:\n{}{}\n---\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
