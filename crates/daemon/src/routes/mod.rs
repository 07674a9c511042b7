//! The control-API router: the routes documented in `daytwo_api`, one module
//! per area, over the shared [`AppState`].

mod deploys;
mod envs;
mod events;
mod flags;
mod logs;
mod metrics;
mod releases;
mod status;

use crate::api_error::ApiError;
use crate::deployer::Deployer;
use crate::flag_servers::FlagServers;
use crate::persist::PersistHandle;
use crate::route_sync::RouteSync;
use crate::store_handle::StoreHandle;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use daytwo_engine::Engine;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// What every handler may use. Cheap to clone.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) engine: Engine,
    /// The proxy's route table.
    pub(crate) routes: RouteSync,
    pub(crate) store: StoreHandle,
    pub(crate) persist: PersistHandle,
    pub(crate) home: PathBuf,
    pub(crate) started_at: jiff::Timestamp,
    /// Deploys, promotes, rollbacks and their history.
    pub(crate) deployer: Deployer,
    /// Each env's OFREP server.
    pub(crate) flags: FlagServers,
    /// Cancelled by `POST /v1/shutdown`, or by the daemon's owner.
    pub(crate) shutdown: CancellationToken,
    /// Samples of every env; read by `GET /metrics`.
    pub(crate) telemetry: crate::telemetry::Telemetry,
    /// Where the metrics TCP listener serves, when it runs.
    pub(crate) metrics_url: Option<String>,
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/status", get(status::status))
        .route("/v1/ps", get(status::ps))
        .route("/v1/envs/{env}/up", post(envs::up))
        .route("/v1/envs/{env}/down", post(envs::down))
        .route("/v1/envs/{env}/deploy", post(deploys::deploy))
        .route("/v1/envs/{env}/promote", post(deploys::promote))
        .route("/v1/envs/{env}/rollback", post(deploys::rollback))
        .route("/v1/history", get(deploys::history))
        .route("/v1/flags", get(flags::list))
        .route("/v1/flags/history", get(flags::history))
        .route("/v1/envs/{env}/flags/{name}", post(flags::set))
        .route("/v1/releases", get(releases::list).post(releases::import))
        .route("/v1/logs", get(logs::logs))
        .route("/v1/events", get(events::events))
        .route("/metrics", get(metrics::metrics))
        .route("/v1/shutdown", post(shutdown))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Answers `{}` and stops the daemon (graceful: the answer is sent first).
/// Replicas keep running; the next daemon re-adopts them.
async fn shutdown(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<serde_json::Value> {
    tracing::info!("shutdown requested over the control API");
    state.shutdown.cancel();
    axum::Json(serde_json::json!({}))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no control-API route {}", uri.path()),
    )
    .with_hint("is the CLI newer than the daemon? `daytwo status` shows the daemon's version")
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
