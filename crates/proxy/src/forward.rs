//! The data path: one client request in, one response out. Picks an
//! upstream from the current routing, rewrites headers, forwards over a
//! pooled keep-alive connection, retries when that is safe, and turns
//! failures into short 502/503/504 answers.
//!
//! Retry policy (nginx's `proxy_next_upstream error`, made explicit):
//! - connect failure (nothing was sent): tried again on another upstream, up
//!   to [`MAX_ATTEMPTS`] in all, for any method;
//! - the connection failed after the request was sent but before any
//!   response byte: tried again once, and only for idempotent methods (GET,
//!   HEAD, OPTIONS, PUT, DELETE, TRACE);
//! - a response timeout is never retried (the upstream may still act on it).
//!
//! Sending a request again needs its body: bodies up to
//! [`MAX_REPLAYABLE_BODY`] bytes with a known length are read before
//! forwarding; larger or chunked bodies are streamed and never retried.

use crate::access_log::{AccessLog, RequestRecord};
use crate::body::{ProxyBody, UpstreamBody};
use crate::headers;
use crate::routing::{EnvRoutes, Routing, UpstreamTarget};
use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::http::uri::{PathAndQuery, Scheme};
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Attempts per request when connections are refused (first try included).
pub const MAX_ATTEMPTS: u32 = 3;
/// Bodies up to this size are buffered so the request can be retried.
pub const MAX_REPLAYABLE_BODY: u64 = 64 * 1024;
/// How long an upstream that refused a connection gets no new requests
/// (unless it is the only one left).
pub const AVOID_AFTER_CONNECT_FAILURE: Duration = Duration::from_secs(1);
/// Idle pooled connections to an upstream are closed after this.
pub const UPSTREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Shared state of every listener's request handling.
#[derive(Debug)]
pub struct DataPlane {
    routing: Arc<ArcSwap<Routing>>,
    client: Client<HttpConnector, UpstreamBody>,
    access_log: Arc<AccessLog>,
    /// Set when this process hands its sockets over or shuts down: responses
    /// then carry `Connection: close` so keep-alive clients reconnect.
    draining: AtomicBool,
}

/// Why no upstream response could be obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    NoUpstream,
    ConnectRefused,
    ConnectTimeout,
    UpstreamFailed,
    ResponseTimeout(Duration),
    BadRequestBody,
}

impl Failure {
    fn status(self) -> StatusCode {
        match self {
            Self::NoUpstream => StatusCode::SERVICE_UNAVAILABLE,
            Self::ConnectRefused | Self::UpstreamFailed => StatusCode::BAD_GATEWAY,
            Self::ConnectTimeout | Self::ResponseTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::BadRequestBody => StatusCode::BAD_REQUEST,
        }
    }

    fn message(self, env: &str) -> String {
        match self {
            Self::NoUpstream => format!("503 no healthy replica for env `{env}`\n"),
            Self::ConnectRefused => format!("502 connect refused by the replicas of env `{env}`\n"),
            Self::ConnectTimeout => {
                format!("504 connect to the replicas of env `{env}` timed out\n")
            }
            Self::UpstreamFailed => {
                format!("502 the replica of env `{env}` closed the connection without a response\n")
            }
            Self::ResponseTimeout(after) => {
                format!("504 upstream timeout: no response from env `{env}` within {after:?}\n")
            }
            Self::BadRequestBody => "400 the request body could not be read\n".to_string(),
        }
    }
}

impl DataPlane {
    pub fn new(
        routing: Arc<ArcSwap<Routing>>,
        access_log: Arc<AccessLog>,
        connect_timeout: Duration,
    ) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(connect_timeout));
        connector.enforce_http(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(UPSTREAM_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector);
        Self {
            routing,
            client,
            access_log,
            draining: AtomicBool::new(false),
        }
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Serves one request that arrived on the listener bound to `listener`.
    pub async fn handle(
        self: Arc<Self>,
        listener: SocketAddr,
        peer: SocketAddr,
        mut request: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, Infallible> {
        let start = Instant::now();
        let request_id = headers::request_id(request.headers());
        let client_version = request.version();
        let routes = self.routing.load().by_addr.get(&listener).cloned();
        let mut record = RequestRecord {
            log: Arc::clone(&self.access_log),
            start,
            env: routes
                .as_ref()
                .map_or_else(|| "-".to_string(), |r| r.env.clone()),
            request_id: request_id.clone(),
            method: request.method().clone(),
            path: request.uri().path().to_string(),
            status: 0,
            attempts: 0,
            upstream: None,
            inflight: None,
        };
        let Some(routes) = routes else {
            return Ok(self.failure(Failure::NoUpstream, record, client_version, None));
        };

        let upgrade = client_version == Version::HTTP_11 && headers::is_upgrade(request.headers());
        let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut request));
        let (parts, body) = request.into_parts();
        let host = parts.headers.get(header::HOST).cloned().or_else(|| {
            parts
                .uri
                .authority()
                .and_then(|authority| HeaderValue::from_str(authority.as_str()).ok())
        });
        let mut upstream_headers = parts.headers;
        headers::remove_hop_by_hop(&mut upstream_headers, upgrade);
        headers::set_forwarded(&mut upstream_headers, peer.ip(), host.clone(), &request_id);
        if let Some(host) = host {
            upstream_headers.entry(header::HOST).or_insert(host);
        }
        let path_and_query = parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));

        let mut body = match read_body(body, routes.response_timeout).await {
            Ok(body) => Some(body),
            Err(failure) => {
                return Ok(self.failure(failure, record, client_version, Some(&routes)));
            }
        };
        let replayable = !matches!(body, Some(UpstreamBody::Streaming(_)));
        let idempotent = is_idempotent(&parts.method);

        let mut tried: Vec<Arc<UpstreamTarget>> = Vec::new();
        let mut resent_after_send = false;
        let mut last_failure = Failure::NoUpstream;
        loop {
            let Some(target) = routes.pick(&tried) else {
                return Ok(self.failure(last_failure, record, client_version, Some(&routes)));
            };
            if record.attempts > 0 {
                routes.stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            record.attempts += 1;
            let last_chance = !replayable || record.attempts >= MAX_ATTEMPTS;
            let attempt_headers = if last_chance {
                std::mem::take(&mut upstream_headers)
            } else {
                upstream_headers.clone()
            };
            let attempt_body = match &body {
                Some(UpstreamBody::Buffered(data)) => UpstreamBody::Buffered(data.clone()),
                Some(UpstreamBody::Empty) => UpstreamBody::Empty,
                _ => body.take().unwrap_or(UpstreamBody::Empty),
            };
            let upstream_request = build_request(
                &parts.method,
                &target,
                &path_and_query,
                attempt_headers,
                attempt_body,
            );
            let inflight = target.stats.start_request();
            let outcome = tokio::time::timeout(
                routes.response_timeout,
                self.client.request(upstream_request),
            )
            .await;
            match outcome {
                Ok(Ok(response)) => {
                    record.upstream = Some(target);
                    record.inflight = Some(inflight);
                    return Ok(self.respond(response, record, client_version, client_upgrade));
                }
                Ok(Err(error)) if error.is_connect() => {
                    drop(inflight);
                    target.stats.avoid_for(AVOID_AFTER_CONNECT_FAILURE);
                    last_failure = if is_timeout(&error) {
                        Failure::ConnectTimeout
                    } else {
                        Failure::ConnectRefused
                    };
                    if last_chance {
                        record.upstream = Some(target);
                        return Ok(self.failure(
                            last_failure,
                            record,
                            client_version,
                            Some(&routes),
                        ));
                    }
                    tried.push(target);
                }
                Ok(Err(_error)) => {
                    drop(inflight);
                    last_failure = Failure::UpstreamFailed;
                    if last_chance || !idempotent || resent_after_send {
                        record.upstream = Some(target);
                        return Ok(self.failure(
                            last_failure,
                            record,
                            client_version,
                            Some(&routes),
                        ));
                    }
                    resent_after_send = true;
                    tried.push(target);
                }
                Err(_elapsed) => {
                    drop(inflight);
                    record.upstream = Some(target);
                    let failure = Failure::ResponseTimeout(routes.response_timeout);
                    return Ok(self.failure(failure, record, client_version, Some(&routes)));
                }
            }
        }
    }

    fn respond(
        &self,
        mut response: Response<Incoming>,
        mut record: RequestRecord,
        client_version: Version,
        client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    ) -> Response<ProxyBody> {
        record.status = response.status().as_u16();
        let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
        headers::remove_hop_by_hop(response.headers_mut(), switching);
        response
            .headers_mut()
            .entry(headers::X_REQUEST_ID)
            .or_insert_with(|| record.request_id.clone());
        if switching {
            if let Some(client_upgrade) = client_upgrade {
                let upstream_upgrade = hyper::upgrade::on(&mut response);
                let tunnel_inflight = record
                    .upstream
                    .as_ref()
                    .map(|upstream| upstream.stats.start_request());
                tokio::spawn(async move {
                    let _inflight = tunnel_inflight;
                    if let (Ok(client), Ok(upstream)) =
                        tokio::join!(client_upgrade, upstream_upgrade)
                    {
                        let mut client = TokioIo::new(client);
                        let mut upstream = TokioIo::new(upstream);
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        } else if self.draining.load(Ordering::Relaxed) && client_version == Version::HTTP_11 {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response.map(|body| ProxyBody::upstream(body, record))
    }

    fn failure(
        &self,
        failure: Failure,
        mut record: RequestRecord,
        client_version: Version,
        routes: Option<&EnvRoutes>,
    ) -> Response<ProxyBody> {
        let status = failure.status();
        record.status = status.as_u16();
        if let Some(routes) = routes {
            count_failure(routes, failure);
        }
        let text = failure.message(&record.env);
        let request_id = record.request_id.clone();
        let mut response = Response::new(ProxyBody::text(Bytes::from(text), Some(record)));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(headers::X_REQUEST_ID, request_id);
        if self.draining.load(Ordering::Relaxed) && client_version == Version::HTTP_11 {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

fn count_failure(env: &EnvRoutes, failure: Failure) {
    let counter = match failure {
        Failure::NoUpstream => &env.stats.no_upstream,
        Failure::ConnectRefused | Failure::ConnectTimeout => &env.stats.connect_failed,
        Failure::UpstreamFailed => &env.stats.upstream_failed,
        Failure::ResponseTimeout(_) => &env.stats.timed_out,
        Failure::BadRequestBody => return,
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// Empty, buffered when small and of known length, streamed otherwise.
async fn read_body(body: Incoming, within: Duration) -> Result<UpstreamBody, Failure> {
    if body.is_end_stream() {
        return Ok(UpstreamBody::Empty);
    }
    match body.size_hint().exact() {
        Some(len) if len <= MAX_REPLAYABLE_BODY => {
            match tokio::time::timeout(within, body.collect()).await {
                Ok(Ok(collected)) => Ok(UpstreamBody::Buffered(Some(collected.to_bytes()))),
                _ => Err(Failure::BadRequestBody),
            }
        }
        _ => Ok(UpstreamBody::Streaming(body)),
    }
}

fn build_request(
    method: &Method,
    target: &UpstreamTarget,
    path_and_query: &PathAndQuery,
    headers: HeaderMap,
    body: UpstreamBody,
) -> Request<UpstreamBody> {
    let uri = Uri::builder()
        .scheme(Scheme::HTTP)
        .authority(target.authority.clone())
        .path_and_query(path_and_query.clone())
        .build()
        .expect("scheme, socket address and request path form a valid URI");
    let mut request = Request::new(body);
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri;
    *request.version_mut() = Version::HTTP_11;
    *request.headers_mut() = headers;
    request
}

/// Whether a connect error was a timeout rather than a refusal.
fn is_timeout(error: &hyper_util::client::legacy::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        source = error.source();
    }
    false
}
