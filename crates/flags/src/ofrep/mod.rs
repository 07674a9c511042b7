//! The OFREP server (OpenFeature Remote Evaluation Protocol,
//! open-feature/protocol `service/openapi.yaml`) over a [`FlagsHandle`].
//!
//! ```text
//! POST /ofrep/v1/evaluate/flags/{key}   single evaluation
//! POST /ofrep/v1/evaluate/flags         bulk evaluation, ETag / If-None-Match → 304, eventStreams
//! GET  /ofrep/v1/configuration          provider configuration (capabilities)
//! GET  /ofrep/v1/events                 SSE: refetchEvaluation on every change
//! ```
//!
//! One router serves one env. Auth, when configured, is a bearer token
//! (or the spec's `X-API-Key` header) on every route.

mod auth;
mod evaluation;
mod events;
mod wire;

use crate::error::FlagsError;
use crate::snapshot::FlagsHandle;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The SSE change-notification path, advertised in bulk responses.
pub const EVENTS_PATH: &str = "/ofrep/v1/events";
/// `inactivityDelaySec` advertised with the event stream.
pub const DEFAULT_INACTIVITY_DELAY_SECS: u64 = 120;

/// How the OFREP router behaves beyond its flags.
#[derive(Debug, Clone, Default)]
pub struct OfrepOptions {
    /// Required bearer token (`Authorization: Bearer …` or `X-API-Key`);
    /// `None` serves everyone.
    pub token: Option<String>,
    /// The base URL clients reach this router at (`http://127.0.0.1:7001`
    /// or with a path prefix when nested), used for the advertised event
    /// stream URL. `None`: `http://` + the request's `Host` header.
    pub base_url: Option<String>,
    /// `inactivityDelaySec` advertised with the event stream; `None` is
    /// [`DEFAULT_INACTIVITY_DELAY_SECS`].
    pub inactivity_delay_secs: Option<u64>,
}

#[derive(Debug)]
struct Shared {
    handle: FlagsHandle,
    token: Option<String>,
    base_url: Option<String>,
    inactivity_delay_secs: u64,
}

type State = Arc<Shared>;

/// The OFREP routes for `handle`'s env; `auth` is the required bearer
/// token (`None`: open).
pub fn router(handle: FlagsHandle, auth: Option<String>) -> Router {
    router_with(
        handle,
        OfrepOptions {
            token: auth,
            ..OfrepOptions::default()
        },
    )
}

/// [`router`] with every option.
pub fn router_with(handle: FlagsHandle, options: OfrepOptions) -> Router {
    let state = Arc::new(Shared {
        handle,
        token: options.token.filter(|token| !token.is_empty()),
        base_url: options
            .base_url
            .map(|url| url.trim_end_matches('/').to_string()),
        inactivity_delay_secs: options
            .inactivity_delay_secs
            .unwrap_or(DEFAULT_INACTIVITY_DELAY_SECS),
    });
    Router::new()
        .route("/ofrep/v1/evaluate/flags/{key}", post(evaluation::single))
        .route("/ofrep/v1/evaluate/flags", post(evaluation::bulk))
        .route("/ofrep/v1/configuration", get(evaluation::configuration))
        .route(EVENTS_PATH, get(events::stream))
        .with_state(state)
}

/// Serves [`router_with`] on `listener` until `shutdown` is cancelled, then
/// closes the event streams and finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    handle: FlagsHandle,
    options: OfrepOptions,
    shutdown: CancellationToken,
) -> Result<(), FlagsError> {
    let addr = listener
        .local_addr()
        .map(|addr| addr.to_string())
        .unwrap_or_else(|_| "?".to_string());
    let app = router_with(handle.clone(), options);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.cancelled().await;
            handle.close_event_streams();
        })
        .await
        .map_err(|source| FlagsError::Serve { addr, source })
}
