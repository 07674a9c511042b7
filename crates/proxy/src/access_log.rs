//! The access log: one line per request on stdout, written when the response
//! is finished, with the request id, env, upstream, status and duration.
//! Lines are collected in a buffer that a background task flushes every
//! [`FLUSH_INTERVAL`] (or at once past [`FLUSH_THRESHOLD`] bytes), so a busy
//! proxy does not make one write system call per request. When the log is
//! disabled, no request copies the fields only its line needs.
//!
//! ```text
//! ts=1718000000.123 env=dev id=5f0c… method=GET path=/whoami status=200 upstream=dev/web.1 release=r1 attempts=1 duration_ms=0.412
//! ```

use crate::metrics::InflightGuard;
use crate::routing::{EnvRoutes, UpstreamTarget};
use hyper::Method;
use hyper::header::HeaderValue;
use hyper::http::uri::PathAndQuery;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const FLUSH_INTERVAL: Duration = Duration::from_millis(200);
pub const FLUSH_THRESHOLD: usize = 64 * 1024;

#[derive(Debug)]
pub struct AccessLog {
    enabled: bool,
    buffer: Mutex<String>,
}

impl AccessLog {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            buffer: Mutex::new(String::new()),
        }
    }

    fn append(&self, line: &str) {
        let full = {
            let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            buffer.push_str(line);
            if buffer.len() >= FLUSH_THRESHOLD {
                std::mem::take(&mut *buffer)
            } else {
                String::new()
            }
        };
        if !full.is_empty() {
            write_stdout(&full);
        }
    }

    /// Writes what is buffered to stdout.
    pub fn flush(&self) {
        let pending = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()));
        if !pending.is_empty() {
            write_stdout(&pending);
        }
    }

    /// Flushes every [`FLUSH_INTERVAL`] until `shutdown`, then once more.
    pub async fn run(self: Arc<Self>, shutdown: tokio_util::sync::CancellationToken) {
        let mut tick = tokio::time::interval(FLUSH_INTERVAL);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => self.flush(),
            }
        }
        self.flush();
    }
}

fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// What the proxy knows about one request; on Drop (the response is done)
/// it records metrics and writes the access-log line, then releases the
/// upstream's in-flight count.
#[derive(Debug)]
pub struct RequestRecord {
    pub start: Instant,
    /// The env's routes, set once the request is answered.
    pub routes: Option<Arc<EnvRoutes>>,
    pub request_id: HeaderValue,
    pub status: u16,
    pub attempts: u32,
    pub upstream: Option<Arc<UpstreamTarget>>,
    pub inflight: Option<InflightGuard>,
    /// What only the access log needs: `None` when it is disabled.
    pub line: Option<LineFields>,
}

/// The request's fields that appear only in its access-log line.
#[derive(Debug)]
pub struct LineFields {
    pub log: Arc<AccessLog>,
    pub method: Method,
    pub path: PathAndQuery,
}

impl RequestRecord {
    /// A record for a request that arrived at `start`; with a line in
    /// `log` if that is enabled.
    pub fn new(
        log: &Arc<AccessLog>,
        start: Instant,
        request_id: HeaderValue,
        method: &Method,
        path: &PathAndQuery,
    ) -> Self {
        Self {
            start,
            routes: None,
            request_id,
            status: 0,
            attempts: 0,
            upstream: None,
            inflight: None,
            line: log.enabled.then(|| LineFields {
                log: Arc::clone(log),
                method: method.clone(),
                path: path.clone(),
            }),
        }
    }

    /// The env's name, `-` if the listener has none.
    pub fn env(&self) -> &str {
        self.routes
            .as_ref()
            .map_or("-", |routes| routes.env.as_str())
    }
}

impl Drop for RequestRecord {
    fn drop(&mut self) {
        let elapsed = self.start.elapsed();
        if let Some(upstream) = &self.upstream {
            upstream.stats.record(self.status, elapsed);
        }
        let Some(fields) = &self.line else {
            return;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut line = String::with_capacity(200);
        let _ = write!(
            line,
            "ts={}.{:03} env={} id={} method={} path={} status={}",
            now.as_secs(),
            now.subsec_millis(),
            self.env(),
            self.request_id.to_str().unwrap_or("-"),
            fields.method,
            fields.path.path(),
            self.status,
        );
        match &self.upstream {
            Some(upstream) => {
                let _ = write!(
                    line,
                    " upstream={} release={}",
                    upstream.id, upstream.release
                );
            }
            None => line.push_str(" upstream=- release=-"),
        }
        let _ = writeln!(
            line,
            " attempts={} duration_ms={:.3}",
            self.attempts,
            elapsed.as_secs_f64() * 1000.0
        );
        fields.log.append(&line);
    }
}
