//! The control server: HTTP/1.1 + JSON on the unix socket
//! `$DAYTWO_HOME/proxy.sock` (mode 0600). The daemon sends complete route
//! tables and reads metrics and in-flight counts here; the request and
//! answer types are in [`crate::control_api`].

use crate::control_api::{ControlErrorBody, InflightCount, PutRoutesResponse, error_code};
use crate::listener_set::{ApplyError, ApplyOutcome};
use crate::proxy::Shared;
use crate::route_table::RouteTable;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;

/// The largest route table accepted, in bytes of JSON.
pub const MAX_TABLE_BYTES: usize = 16 * 1024 * 1024;

/// Accepts control connections until `stop`.
pub async fn accept_loop(
    listener: Arc<UnixListener>,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&shared), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let response = match (request.method().clone(), path.as_str()) {
        (Method::PUT, "/v1/routes") => put_routes(&shared, request).await,
        (Method::GET, "/v1/routes") => json(StatusCode::OK, &shared.routing.load().table),
        (Method::GET, "/v1/metrics") => {
            let generation = shared.routing.load().table.generation;
            json(StatusCode::OK, &shared.metrics.snapshot(generation))
        }
        (Method::GET, "/v1/inflight") => match query_param(&query, "upstream") {
            Some(upstream) => json(
                StatusCode::OK,
                &InflightCount {
                    inflight: shared.metrics.inflight(&upstream),
                    upstream,
                },
            ),
            None => json(StatusCode::OK, &shared.metrics.inflight_all()),
        },
        (Method::GET, "/v1/status") => json(StatusCode::OK, &shared.status()),
        _ => error(
            StatusCode::NOT_FOUND,
            error_code::NOT_FOUND,
            format!("no such control endpoint: {path}"),
        ),
    };
    Ok(response)
}

async fn put_routes(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let body = match Limited::new(request.into_body(), MAX_TABLE_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(err) => {
            return error(
                StatusCode::BAD_REQUEST,
                error_code::BAD_REQUEST,
                format!("cannot read the route table: {err}"),
            );
        }
    };
    let table: RouteTable = match serde_json::from_slice(&body) {
        Ok(table) => table,
        Err(err) => {
            return error(
                StatusCode::BAD_REQUEST,
                error_code::INVALID_TABLE,
                format!("the route table is not valid JSON: {err}"),
            );
        }
    };
    let mut listeners = shared.listeners.lock().await;
    match listeners.apply(table).await {
        Ok(outcome) => json(
            StatusCode::OK,
            &PutRoutesResponse {
                applied: outcome == ApplyOutcome::Applied,
                generation: listeners.generation(),
            },
        ),
        Err(err @ ApplyError::Invalid(_)) => error(
            StatusCode::BAD_REQUEST,
            error_code::INVALID_TABLE,
            err.to_string(),
        ),
        Err(err @ ApplyError::Bind { .. }) => error(
            StatusCode::CONFLICT,
            error_code::BIND_FAILED,
            err.to_string(),
        ),
        Err(err @ ApplyError::HandingOver) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::HANDOVER,
            err.to_string(),
        ),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_decode(value))
    })
}

/// Decodes `%XX` escapes (upstream ids contain `/`, which clients escape).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json(status: StatusCode, value: &impl Serialize) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: StatusCode, code: &str, message: String) -> Response<Full<Bytes>> {
    json(
        status,
        &ControlErrorBody {
            code: code.to_string(),
            message,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escaped_upstream_ids() {
        assert_eq!(
            query_param("upstream=dev%2Fweb.1", "upstream").as_deref(),
            Some("dev/web.1")
        );
        assert_eq!(
            query_param("a=1&upstream=x", "upstream").as_deref(),
            Some("x")
        );
        assert_eq!(query_param("a=1", "upstream"), None);
        assert_eq!(percent_decode("100%"), "100%");
    }
}
