//! Real loopback servers and a real proxy for the integration tests.

use bytes::Bytes;
use daytwo_proxy::{
    Listener, ProxyClient, ProxyConfig, ProxyInfo, RouteTable, Upstream, UpstreamGroup,
};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A test upstream on 127.0.0.1:0. Paths:
/// `/whoami` → its name; `/slow?ms=N` → its name after N ms;
/// `/headers` → the request headers as JSON; `/drop` → closes the connection
/// without answering; `/ws` (with Upgrade) → 101, then echoes raw bytes.
pub struct TestUpstream {
    pub addr: SocketAddr,
    pub name: String,
    pub hits: Arc<AtomicU64>,
    /// TCP connections accepted.
    pub connections: Arc<AtomicU64>,
    stop: CancellationToken,
}

impl TestUpstream {
    pub async fn start(name: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicU64::new(0));
        let stop = CancellationToken::new();
        let connections = Arc::new(AtomicU64::new(0));
        let (name_owned, hits_task, stop_task) = (name.to_string(), hits.clone(), stop.clone());
        let connections_task = connections.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    _ = stop_task.cancelled() => return,
                    accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => continue },
                };
                connections_task.fetch_add(1, Ordering::SeqCst);
                let name = name_owned.clone();
                let hits = hits_task.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        hits.fetch_add(1, Ordering::SeqCst);
                        upstream_answer(name.clone(), request)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Self {
            addr,
            name: name.to_string(),
            hits,
            connections,
            stop,
        }
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn upstream(&self, release: &str, routable: bool) -> Upstream {
        Upstream {
            id: self.name.clone(),
            addr: self.addr,
            release: release.into(),
            routable,
        }
    }
}

impl Drop for TestUpstream {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn upstream_answer(
    name: String,
    mut request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    match path.as_str() {
        "/slow" => {
            let ms: u64 = query.trim_start_matches("ms=").parse().unwrap_or(500);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(Response::new(Full::new(Bytes::from(name))))
        }
        "/headers" => {
            let headers: BTreeMap<String, String> = request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            Ok(Response::new(Full::new(Bytes::from(
                serde_json::to_vec(&headers).unwrap(),
            ))))
        }
        "/drop" => Err(std::io::Error::other("dropping the connection on purpose")),
        "/ws" => {
            let upgrade = hyper::upgrade::on(&mut request);
            tokio::spawn(async move {
                if let Ok(upgraded) = upgrade.await {
                    let mut io = TokioIo::new(upgraded);
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = io.read(&mut buf).await {
                        if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            });
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            response
                .headers_mut()
                .insert("connection", "upgrade".parse().unwrap());
            response
                .headers_mut()
                .insert("upgrade", "websocket".parse().unwrap());
            Ok(response)
        }
        _ => {
            let _ = request.into_body().collect().await;
            Ok(Response::new(Full::new(Bytes::from(name))))
        }
    }
}

/// A port that refuses connections (bound a moment ago, then closed).
pub fn closed_port_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

pub fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], daytwo_testkit::free_port()))
}

/// The proxy's `run` in this test's runtime, with its own temp home.
pub struct TestProxy {
    pub home: tempfile::TempDir,
    pub client: ProxyClient,
    pub info: ProxyInfo,
    shutdown: CancellationToken,
}

impl TestProxy {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut ProxyConfig)) -> Self {
        let home = tempfile::Builder::new()
            .prefix("d2p-")
            .tempdir_in("/tmp")
            .unwrap();
        let mut config = ProxyConfig::new(home.path());
        config.access_log = false;
        config.drain_timeout = Duration::from_secs(2);
        configure(&mut config);
        let shutdown = CancellationToken::new();
        tokio::spawn(daytwo_proxy::run(config, shutdown.clone()));
        let info = wait_for_info(home.path(), None).await;
        Self {
            client: ProxyClient::for_home(home.path()),
            home,
            info,
            shutdown,
        }
    }

    pub async fn put(&self, table: &RouteTable) {
        let answer = self.client.put_routes(table).await.unwrap();
        assert!(answer.applied, "table not applied: {answer:?}");
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Waits for `proxy.json` (written by a pid other than `not_pid`).
pub async fn wait_for_info(home: &std::path::Path, not_pid: Option<u32>) -> ProxyInfo {
    for _ in 0..200 {
        if let Ok(info) = ProxyInfo::load(home)
            && Some(info.pid) != not_pid
        {
            return info;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("proxy.json did not appear in {}", home.display());
}

/// A table with one env listener on `addr` and the given groups.
pub fn table(
    generation: u64,
    addr: SocketAddr,
    groups: Vec<(&str, u32, Vec<Upstream>)>,
) -> RouteTable {
    RouteTable {
        generation,
        listeners: vec![Listener {
            env: "dev".into(),
            addr,
            groups: groups
                .into_iter()
                .map(|(name, weight, upstreams)| UpstreamGroup {
                    name: name.into(),
                    weight_percent: weight,
                    upstreams,
                })
                .collect(),
            response_timeout_ms: None,
        }],
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// One request on a fresh connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Reply, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("app.test:{}", addr.port()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    send(addr, "GET", path, &[], "").await.unwrap()
}
