//! `GET /v1/logs`: captured lines as an NDJSON stream of `LogLine`s, one JSON
//! object per line, sent as the engine yields them. With `follow=true` the
//! response stays open until the client goes away or the daemon stops.

use super::AppState;
use crate::api_error::ApiError;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use daytwo_api::{LogLine, LogQuery};
use daytwo_engine::{LogFilter, LogRecord};
use futures_util::StreamExt;
use std::convert::Infallible;

/// Media type of the response body.
const NDJSON: &str = "application/x-ndjson";

pub(super) async fn logs(
    State(state): State<AppState>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let since = query.since_ms.map(|ms| {
        let ago = jiff::SignedDuration::from_millis(i64::try_from(ms).unwrap_or(i64::MAX));
        jiff::Timestamp::now()
            .checked_sub(ago)
            .unwrap_or(jiff::Timestamp::MIN)
    });
    let records = state.engine.logs(LogFilter {
        env: query.env,
        process: query.process,
        replica: query.replica,
        since,
        tail: query.tail,
        follow: query.follow,
    });
    let lines = futures_util::stream::unfold(records, |mut records| async move {
        let record = records.recv().await?;
        Some((Ok::<_, Infallible>(ndjson_line(record)), records))
    })
    // A following stream must not hold the daemon's graceful shutdown open.
    .take_until(state.shutdown.cancelled_owned());
    Ok(([(header::CONTENT_TYPE, NDJSON)], Body::from_stream(lines)).into_response())
}

fn ndjson_line(record: LogRecord) -> Bytes {
    let line = LogLine {
        ts: record.ts.to_string(),
        env: record.key.env,
        process: record.key.process,
        replica: record.key.replica,
        stream: record.stream.as_str().to_string(),
        line: record.line,
    };
    let mut bytes = serde_json::to_vec(&line).expect("a LogLine serializes");
    bytes.push(b'\n');
    Bytes::from(bytes)
}
