//! `POST /v1/envs/{env}/deploy|promote|rollback` (NDJSON stream of
//! `DeployProgress`: steps, then one `result`) and `GET /v1/history?env=`.
//! A refusal (busy env, unknown release, untrusted bundle, …) is a plain
//! error answer before the stream starts; see `deployer` for the rest.

use super::AppState;
use crate::api_error::ApiError;
use crate::deployer::ProgressStream;
use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use daytwo_api::{DeployRecord, DeployRequest, PromoteRequest, RollbackRequest};
use serde::Deserialize;

pub(super) async fn deploy(
    State(state): State<AppState>,
    Path(env): Path<String>,
    request: Result<Json<DeployRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = request?;
    let stream = state
        .deployer
        .deploy(
            &env,
            &request.release,
            request.strategy.as_deref(),
            &request.user,
            request.allow_contract,
        )
        .await?;
    Ok(ndjson(stream))
}

pub(super) async fn promote(
    State(state): State<AppState>,
    Path(env): Path<String>,
    request: Result<Json<PromoteRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = request?;
    let stream = state
        .deployer
        .promote(
            &env,
            &request.from,
            request.strategy.as_deref(),
            &request.user,
        )
        .await?;
    Ok(ndjson(stream))
}

pub(super) async fn rollback(
    State(state): State<AppState>,
    Path(env): Path<String>,
    request: Result<Json<RollbackRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = request?;
    let stream = state
        .deployer
        .rollback(&env, request.to.as_deref(), &request.user, request.force)
        .await?;
    Ok(ndjson(stream))
}

#[derive(Debug, Deserialize)]
pub(super) struct HistoryQuery {
    env: Option<String>,
}

pub(super) async fn history(
    State(state): State<AppState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<Vec<DeployRecord>>, ApiError> {
    let Query(query) = query?;
    Ok(Json(state.deployer.history(query.env).await?))
}

/// One JSON document per line, as the deploy produces them.
fn ndjson(stream: ProgressStream) -> Response {
    let lines = futures_util::stream::unfold(stream, |mut stream| async move {
        let item = stream.recv().await?;
        let mut line = serde_json::to_vec(&item).expect("progress serializes");
        line.push(b'\n');
        Some((Ok::<_, std::convert::Infallible>(line), stream))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(lines),
    )
        .into_response()
}
