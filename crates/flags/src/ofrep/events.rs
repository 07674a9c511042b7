//! `GET /ofrep/v1/events`: the Server-Sent Events stream that tells
//! clients to re-fetch (OFREP ADR-0008, `service/event-streams.yaml`).
//!
//! Each change sends `id: <version>`, `event: message` and
//! `data: {"type":"refetchEvaluation","etag":"\"…\"","lastModified":<unix s>}`.
//! A client reconnecting with a `Last-Event-ID` other than the current
//! version gets one event at once, so a change made while it was away is
//! not missed.

use super::{State, auth};
use crate::snapshot::FlagSnapshot;
use axum::extract;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;

pub(super) async fn stream(
    extract::State(state): extract::State<State>,
    headers: HeaderMap,
) -> Response {
    if let Some(denied) = auth::denied(&headers, state.token.as_deref()) {
        return denied;
    }
    let mut changes = state.handle.subscribe();
    let current = changes.borrow_and_update().clone();
    let last_seen = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let missed = last_seen
        .filter(|version| *version != current.version)
        .map(|_| current);
    let closed = state.handle.streams_closed();
    let events = stream::unfold(
        (changes, missed, closed),
        |(mut changes, missed, closed)| async move {
            if let Some(snapshot) = missed {
                return Some((refetch(&snapshot), (changes, None, closed)));
            }
            tokio::select! {
                _ = closed.cancelled() => None,
                changed = changes.changed() => {
                    changed.ok()?;
                    let snapshot = changes.borrow_and_update().clone();
                    Some((refetch(&snapshot), (changes, None, closed)))
                }
            }
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn refetch(snapshot: &Arc<FlagSnapshot>) -> Result<Event, Infallible> {
    let data = json!({
        "type": "refetchEvaluation",
        "etag": snapshot.etag,
        "lastModified": snapshot.updated_at,
    });
    Ok(Event::default()
        .id(snapshot.version.to_string())
        .event("message")
        .data(data.to_string()))
}
