//! `GET /v1/events?env=&limit=`: the newest events, oldest first.

use super::AppState;
use crate::api_error::ApiError;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use daytwo_api::Event;
use serde::Deserialize;

/// Events returned when the query gives no `limit`.
pub const DEFAULT_EVENTS_LIMIT: u32 = 100;

#[derive(Debug, Deserialize)]
pub(super) struct EventsQuery {
    env: Option<String>,
    limit: Option<u32>,
}

pub(super) async fn events(
    State(state): State<AppState>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Json<Vec<Event>>, ApiError> {
    let Query(EventsQuery { env, limit }) = query?;
    let limit = limit.unwrap_or(DEFAULT_EVENTS_LIMIT);
    let records = state
        .store
        .call(move |store| store.events(env.as_deref(), limit))
        .await?;
    Ok(Json(
        records
            .into_iter()
            .map(|record| Event {
                id: record.id,
                ts: record.ts.to_string(),
                time: record.ts.to_string(),
                env: record.env,
                replica: record.replica.map(|key| key.to_string()),
                kind: record.kind,
                message: record.message,
            })
            .collect(),
    ))
}
