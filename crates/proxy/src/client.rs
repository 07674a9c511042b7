//! A typed client of the proxy's control socket, for the daemon. One
//! connection per request; `put_routes` retries while the proxy process is
//! handing its sockets to a new one.

use crate::control_api::{
    CONTROL_SOCKET_FILE, ControlErrorBody, InflightCount, ProxyInfo, PutRoutesResponse, error_code,
};
use crate::metrics::MetricsSnapshot;
use crate::route_table::RouteTable;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::net::UnixStream;

/// How long `put_routes` keeps retrying during a handover.
pub const HANDOVER_RETRY_TIMEOUT: Duration = Duration::from_secs(10);
const HANDOVER_RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Interval of [`ProxyClient::wait_drained`]'s polling.
pub const DRAIN_POLL_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum ProxyClientError {
    #[error("cannot connect to the proxy at {socket}: {source}")]
    Connect {
        socket: PathBuf,
        source: std::io::Error,
    },
    #[error("proxy control request {path} failed: {source}")]
    Http { path: String, source: hyper::Error },
    #[error("the proxy refused {path}: {}", .body.message)]
    Api {
        path: String,
        status: u16,
        body: ControlErrorBody,
    },
    #[error("the proxy's answer to {path} is not the expected JSON: {source}")]
    Decode {
        path: String,
        source: serde_json::Error,
    },
}

#[derive(Debug, Clone)]
pub struct ProxyClient {
    socket: PathBuf,
}

impl ProxyClient {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            socket: socket.into(),
        }
    }

    /// The client of the proxy serving `home` (`$home/proxy.sock`).
    pub fn for_home(home: &Path) -> Self {
        Self::new(home.join(CONTROL_SOCKET_FILE))
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Sends the complete table. Stale generations come back with
    /// `applied: false`.
    pub async fn put_routes(
        &self,
        table: &RouteTable,
    ) -> Result<PutRoutesResponse, ProxyClientError> {
        let body = serde_json::to_vec(table).expect("a route table serializes");
        let deadline = Instant::now() + HANDOVER_RETRY_TIMEOUT;
        loop {
            match self
                .call(Method::PUT, "/v1/routes", Some(body.clone()))
                .await
            {
                Err(ProxyClientError::Api { body, .. })
                    if body.code == error_code::HANDOVER && Instant::now() < deadline =>
                {
                    tokio::time::sleep(HANDOVER_RETRY_PAUSE).await;
                }
                result => return result,
            }
        }
    }

    pub async fn routes(&self) -> Result<RouteTable, ProxyClientError> {
        self.call(Method::GET, "/v1/routes", None).await
    }

    pub async fn metrics(&self) -> Result<MetricsSnapshot, ProxyClientError> {
        self.call(Method::GET, "/v1/metrics", None).await
    }

    pub async fn status(&self) -> Result<ProxyInfo, ProxyClientError> {
        self.call(Method::GET, "/v1/status", None).await
    }

    /// Requests in flight to upstream `id` (0 for an unknown id).
    pub async fn inflight(&self, id: &str) -> Result<u64, ProxyClientError> {
        let path = format!("/v1/inflight?upstream={}", encode(id));
        let count: InflightCount = self.call(Method::GET, &path, None).await?;
        Ok(count.inflight)
    }

    pub async fn inflight_all(&self) -> Result<Vec<InflightCount>, ProxyClientError> {
        self.call(Method::GET, "/v1/inflight", None).await
    }

    /// Polls until nothing is in flight to `id` or `timeout` passed; returns
    /// the last count (0 when drained).
    pub async fn wait_drained(&self, id: &str, timeout: Duration) -> Result<u64, ProxyClientError> {
        let deadline = Instant::now() + timeout;
        loop {
            let inflight = self.inflight(id).await?;
            if inflight == 0 || Instant::now() >= deadline {
                return Ok(inflight);
            }
            tokio::time::sleep(DRAIN_POLL_INTERVAL).await;
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, ProxyClientError> {
        let stream = UnixStream::connect(&self.socket).await.map_err(|source| {
            ProxyClientError::Connect {
                socket: self.socket.clone(),
                source,
            }
        })?;
        let http = |source| ProxyClientError::Http {
            path: path.to_string(),
            source,
        };
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(http)?;
        tokio::spawn(connection);
        let mut request = Request::new(Full::new(Bytes::from(body.unwrap_or_default())));
        *request.method_mut() = method;
        *request.uri_mut() = path.parse().expect("control paths are valid URIs");
        let headers = request.headers_mut();
        headers.insert(header::HOST, HeaderValue::from_static("proxy"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let response = sender.send_request(request).await.map_err(http)?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(http)?
            .to_bytes();
        let decode = |source| ProxyClientError::Decode {
            path: path.to_string(),
            source,
        };
        if !status.is_success() {
            let body: ControlErrorBody = serde_json::from_slice(&bytes).map_err(decode)?;
            return Err(ProxyClientError::Api {
                path: path.to_string(),
                status: status.as_u16(),
                body,
            });
        }
        serde_json::from_slice(&bytes).map_err(decode)
    }
}

/// Characters kept as they are in a path segment or query value: RFC 3986's
/// unreserved set.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a path segment or query value.
fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, COMPONENT).to_string()
}
