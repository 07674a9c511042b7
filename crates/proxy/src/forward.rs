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
//! The upstream connection is obtained (from this worker's pool, or
//! connected) before the request is handed to it, so after a connect
//! failure the request is intact. Sending it again after it went out needs
//! its body: bodies up to [`MAX_REPLAYABLE_BODY`] bytes with a known length
//! are read before forwarding; larger or chunked bodies are streamed and
//! never sent twice.

use crate::access_log::{AccessLog, RequestRecord};
use crate::body::{ProxyBody, UpstreamBody};
use crate::headers;
use crate::routing::{EnvRoutes, Routing, UpstreamTarget};
use crate::upstream_pool::{self, ConnectError, PooledConnection};
use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::http::uri::PathAndQuery;
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::TokioIo;
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

/// Shared state of every listener's request handling.
#[derive(Debug)]
pub struct DataPlane {
    routing: Arc<ArcSwap<Routing>>,
    connect_timeout: Duration,
    access_log: Arc<AccessLog>,
    /// Set when this process hands its sockets over or shuts down: responses
    /// then carry `Connection: close` so keep-alive clients reconnect.
    draining: AtomicBool,
}

/// A client connection: what its requests need, shared by them through
/// one `Arc` per connection (so no request touches a counter that other
/// cores write).
#[derive(Debug)]
pub struct ClientConnection {
    pub plane: Arc<DataPlane>,
    /// The env listener's address (selects the env's routes).
    pub listener: SocketAddr,
    /// The client's address, formatted once for `X-Forwarded-For`.
    pub forwarded_for: HeaderValue,
}

impl ClientConnection {
    /// Serves one request of this connection.
    pub async fn serve(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, Infallible> {
        self.plane.handle(&self, request).await
    }

    pub fn new(plane: Arc<DataPlane>, listener: SocketAddr, peer: SocketAddr) -> Self {
        Self {
            plane,
            listener,
            forwarded_for: headers::forwarded_for_value(peer.ip()),
        }
    }
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
        Self {
            routing,
            connect_timeout,
            access_log,
            draining: AtomicBool::new(false),
        }
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Serves one request that arrived on `client`'s connection.
    async fn handle(
        &self,
        client: &ClientConnection,
        mut request: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, Infallible> {
        let start = Instant::now();
        let client_version = request.version();
        let path_and_query = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let mut record = RequestRecord::new(
            &self.access_log,
            start,
            headers::request_id(request.headers()),
            request.method(),
            &path_and_query,
        );
        let Some(routes) = self.routing.load().by_addr.get(&client.listener).cloned() else {
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
        headers::set_forwarded(
            &mut upstream_headers,
            &client.forwarded_for,
            host.clone(),
            &record.request_id,
        );
        if let Some(host) = host {
            upstream_headers.entry(header::HOST).or_insert(host);
        }

        let body = match read_body(body, routes.response_timeout).await {
            Ok(body) => body,
            Err(failure) => {
                return Ok(self.failure(failure, record, client_version, Some(routes)));
            }
        };
        let replayable = !matches!(body, UpstreamBody::Streaming(_));
        let idempotent = is_idempotent(&parts.method);
        let mut upstream_request =
            build_request(parts.method, path_and_query, upstream_headers, body);

        let mut tried: Vec<Arc<UpstreamTarget>> = Vec::new();
        let mut resent_after_send = false;
        let mut last_failure = Failure::NoUpstream;
        loop {
            let Some(target) = routes.pick(&tried) else {
                return Ok(self.failure(last_failure, record, client_version, Some(routes)));
            };
            if record.attempts > 0 {
                routes.stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            record.attempts += 1;
            let last_chance = record.attempts >= MAX_ATTEMPTS;
            let inflight = target.stats.start_request();

            // A connect failure happens before anything is sent: the request
            // goes to another upstream, whatever its method and body.
            let mut connection =
                match upstream_pool::checkout(target.addr, self.connect_timeout).await {
                    Ok(connection) => connection,
                    Err(error) => {
                        drop(inflight);
                        target.stats.avoid_for(AVOID_AFTER_CONNECT_FAILURE);
                        last_failure = match error {
                            ConnectError::TimedOut => Failure::ConnectTimeout,
                            ConnectError::Refused => Failure::ConnectRefused,
                        };
                        if last_chance {
                            record.upstream = Some(target);
                            return Ok(self.failure(
                                last_failure,
                                record,
                                client_version,
                                Some(routes),
                            ));
                        }
                        tried.push(target);
                        continue;
                    }
                };

            let headers = upstream_request.headers_mut();
            if !headers.contains_key(header::HOST) {
                headers.insert(header::HOST, target.host.clone());
            }
            // A copy for one more try after the request went out, made only
            // when that try is allowed.
            let resend = (idempotent && replayable && !resent_after_send && !last_chance)
                .then(|| copy_request(&upstream_request));
            let sent = tokio::time::timeout(
                routes.response_timeout,
                connection.sender.try_send_request(upstream_request),
            )
            .await;
            match sent {
                Ok(Ok(response)) => {
                    record.upstream = Some(target);
                    record.inflight = Some(inflight);
                    return Ok(self.respond(
                        response,
                        connection,
                        record,
                        routes,
                        client_version,
                        client_upgrade,
                    ));
                }
                Ok(Err(mut error)) => {
                    drop(inflight);
                    last_failure = Failure::UpstreamFailed;
                    if let Some(unsent) = error.take_message()
                        && !last_chance
                    {
                        // The connection closed before the request went out
                        // (an idle one the upstream had just closed): nothing
                        // was sent, so it is sent again.
                        upstream_request = unsent;
                        if !connection.reused {
                            tried.push(target);
                        }
                        continue;
                    }
                    let Some(resend) = resend else {
                        record.upstream = Some(target);
                        return Ok(self.failure(
                            last_failure,
                            record,
                            client_version,
                            Some(routes),
                        ));
                    };
                    resent_after_send = true;
                    upstream_request = resend;
                    tried.push(target);
                }
                Err(_elapsed) => {
                    drop(inflight);
                    record.upstream = Some(target);
                    let failure = Failure::ResponseTimeout(routes.response_timeout);
                    return Ok(self.failure(failure, record, client_version, Some(routes)));
                }
            }
        }
    }

    fn respond(
        &self,
        mut response: Response<Incoming>,
        connection: PooledConnection,
        mut record: RequestRecord,
        routes: Arc<EnvRoutes>,
        client_version: Version,
        client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    ) -> Response<ProxyBody> {
        record.status = response.status().as_u16();
        record.routes = Some(routes);
        let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
        headers::remove_hop_by_hop(response.headers_mut(), switching);
        response
            .headers_mut()
            .entry(headers::X_REQUEST_ID)
            .or_insert_with(|| record.request_id.clone());
        // After an upgrade the upstream connection is the tunnel's.
        let mut reusable = Some(connection);
        if switching {
            reusable = None;
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
        response.map(|body| ProxyBody::upstream(body, reusable, record))
    }

    fn failure(
        &self,
        failure: Failure,
        mut record: RequestRecord,
        client_version: Version,
        routes: Option<Arc<EnvRoutes>>,
    ) -> Response<ProxyBody> {
        let status = failure.status();
        record.status = status.as_u16();
        if let Some(routes) = &routes {
            count_failure(routes, failure);
        }
        record.routes = routes;
        let text = failure.message(record.env());
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

/// An HTTP/1.1 request in origin form (`/path?query`), as upstreams expect.
fn build_request(
    method: Method,
    path_and_query: PathAndQuery,
    headers: HeaderMap,
    body: UpstreamBody,
) -> Request<UpstreamBody> {
    let mut request = Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = Uri::from(path_and_query);
    *request.version_mut() = Version::HTTP_11;
    *request.headers_mut() = headers;
    request
}

/// A copy of a request whose body is empty or buffered.
fn copy_request(request: &Request<UpstreamBody>) -> Request<UpstreamBody> {
    let body = match request.body() {
        UpstreamBody::Buffered(data) => UpstreamBody::Buffered(data.clone()),
        _ => UpstreamBody::Empty,
    };
    let mut copy = Request::new(body);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}
