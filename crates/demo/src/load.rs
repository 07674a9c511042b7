//! The demo's built-in load generator: a few keep-alive HTTP/1.1
//! connections on loopback, paced to a request rate, stopped by its owner
//! or by its own time limit (it never outlives the demo). Every answer is
//! counted: a request failed when it got no response or a non-2xx status.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What the clients saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Requests answered 2xx.
    pub ok: u64,
    /// Requests answered with another status.
    pub non_2xx: u64,
    /// Requests without a response (refused, reset, timed out).
    pub errors: u64,
}

impl LoadReport {
    pub fn total(&self) -> u64 {
        self.ok + self.non_2xx + self.errors
    }

    pub fn failed(&self) -> u64 {
        self.non_2xx + self.errors
    }
}

#[derive(Debug, Default)]
struct Counters {
    ok: AtomicU64,
    non_2xx: AtomicU64,
    errors: AtomicU64,
}

impl Counters {
    fn report(&self) -> LoadReport {
        LoadReport {
            ok: self.ok.load(Ordering::Relaxed),
            non_2xx: self.non_2xx.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }
}

/// Where and how hard to send requests.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub addr: SocketAddr,
    /// Paths requested in turn.
    pub paths: Vec<String>,
    /// Requests per second over all connections.
    pub rate: u32,
    pub connections: u32,
    /// The generator stops by itself after this long.
    pub limit: Duration,
}

/// A running load generator.
#[derive(Debug)]
pub struct Load {
    counters: Arc<Counters>,
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

impl Load {
    /// Starts the connections; loopback addresses only.
    pub fn start(plan: LoadPlan) -> Result<Self, String> {
        if !plan.addr.ip().is_loopback() {
            return Err(format!(
                "the demo's load generator only targets loopback, not {}",
                plan.addr
            ));
        }
        if plan.paths.is_empty() || plan.rate == 0 || plan.connections == 0 {
            return Err("the load plan needs paths, a rate and connections".into());
        }
        let counters = Arc::new(Counters::default());
        let stop = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let interval = Duration::from_secs_f64(f64::from(plan.connections) / f64::from(plan.rate));
        for connection in 0..plan.connections {
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            // One pooled connection per loop: keep-alive like a browser.
            let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(1)
                .build(connector);
            let counters = Arc::clone(&counters);
            let stop = stop.clone();
            let plan = plan.clone();
            tasks.spawn(async move {
                let deadline = tokio::time::Instant::now() + plan.limit;
                let mut tick = tokio::time::interval(interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut index = connection as usize;
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep_until(deadline) => break,
                        _ = tick.tick() => {}
                    }
                    let path = &plan.paths[index % plan.paths.len()];
                    index += 1;
                    let uri = format!("http://{}{path}", plan.addr);
                    let request = tokio::time::timeout(Duration::from_secs(10), async {
                        let response = client.get(uri.parse()?).await?;
                        let status = response.status();
                        response.into_body().collect().await?;
                        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(status)
                    });
                    match request.await {
                        Ok(Ok(status)) if status.is_success() => {
                            counters.ok.fetch_add(1, Ordering::Relaxed)
                        }
                        Ok(Ok(_)) => counters.non_2xx.fetch_add(1, Ordering::Relaxed),
                        _ => counters.errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
        Ok(Self {
            counters,
            stop,
            tasks,
        })
    }

    /// What the clients saw so far.
    pub fn report(&self) -> LoadReport {
        self.counters.report()
    }

    /// Stops every connection (requests in flight finish) and reports.
    pub async fn stop(mut self) -> LoadReport {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
        self.counters.report()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A tiny HTTP/1.1 server: 200 for `/ok`, 500 otherwise, keep-alive.
    async fn server() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buffer = vec![0_u8; 4096];
                    loop {
                        let n = match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        let request = String::from_utf8_lossy(&buffer[..n]);
                        let status = if request.starts_with("GET /ok ") {
                            "200 OK"
                        } else {
                            "500 Internal Server Error"
                        };
                        let response = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nhi");
                        if socket.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn counts_successes_and_failures_at_the_planned_rate() {
        let addr = server().await;
        let load = Load::start(LoadPlan {
            addr,
            paths: vec!["/ok".into(), "/ok".into(), "/ok".into(), "/broken".into()],
            rate: 200,
            connections: 4,
            limit: Duration::from_secs(30),
        })
        .unwrap();
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let report = load.stop().await;
        assert!(report.total() >= 100 && report.total() <= 300, "{report:?}");
        assert_eq!(report.errors, 0, "{report:?}");
        // Each connection walks the paths in turn: a quarter hit /broken.
        let share = report.non_2xx as f64 / report.total() as f64;
        assert!((0.15..=0.35).contains(&share), "{report:?}");
        assert_eq!(report.failed(), report.non_2xx + report.errors);
    }

    #[tokio::test]
    async fn stops_by_itself_and_counts_refused_connections() {
        // A port nobody listens on.
        let addr = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let load = Load::start(LoadPlan {
            addr,
            paths: vec!["/".into()],
            rate: 50,
            connections: 1,
            limit: Duration::from_millis(300),
        })
        .unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let before = load.report();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            load.report(),
            before,
            "the generator kept running past its limit"
        );
        assert!(before.errors > 0 && before.ok == 0, "{before:?}");
    }

    #[test]
    fn refuses_addresses_off_loopback() {
        let error = Load::start(LoadPlan {
            addr: "10.0.0.1:80".parse().unwrap(),
            paths: vec!["/".into()],
            rate: 1,
            connections: 1,
            limit: Duration::from_secs(1),
        })
        .unwrap_err();
        assert!(error.contains("loopback"), "{error}");
    }
}
