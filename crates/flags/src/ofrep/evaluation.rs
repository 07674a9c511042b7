//! The evaluation endpoints: single, bulk (with ETag) and configuration.

use super::wire::{
    BulkEvaluationFailure, BulkEvaluationSuccess, BulkItem, EvaluationFailure, EvaluationSuccess,
    EventStream, json,
};
use super::{EVENTS_PATH, State, auth};
use crate::context::EvaluationContext;
use crate::evaluate::{ErrorCode, evaluate};
use crate::snapshot::{canonical_json, quoted_hex};
use axum::extract::{self, Path};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use daytwo_spec::FlagType;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The shortest polling interval the configuration endpoint advertises.
const MIN_POLLING_INTERVAL_MS: u64 = 100;

/// `POST /ofrep/v1/evaluate/flags/{key}`.
pub(super) async fn single(
    extract::State(state): extract::State<State>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(denied) = auth::denied(&headers, state.token.as_deref()) {
        return denied;
    }
    let context = match parse_request(&body) {
        Ok(context) => context,
        Err((code, details)) => {
            return json(
                StatusCode::BAD_REQUEST,
                &EvaluationFailure::new(&key, code, details),
            );
        }
    };
    let snapshot = state.handle.load();
    let Some(flag) = snapshot.flags.get(&key) else {
        let details = format!("env `{}` has no flag `{key}`", snapshot.env);
        return json(
            StatusCode::NOT_FOUND,
            &EvaluationFailure::new(&key, ErrorCode::FlagNotFound, details),
        );
    };
    match evaluate(flag, &context) {
        Ok(evaluation) => json(StatusCode::OK, &EvaluationSuccess::new(&key, &evaluation)),
        Err(error) => json(
            StatusCode::BAD_REQUEST,
            &EvaluationFailure::new(&key, error.code(), error.to_string()),
        ),
    }
}

/// `POST /ofrep/v1/evaluate/flags`. The `sseEtag` / `sseLastModified`
/// query parameters of SSE-triggered re-fetches need no handling: every
/// request is answered from the current snapshot.
pub(super) async fn bulk(
    extract::State(state): extract::State<State>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(denied) = auth::denied(&headers, state.token.as_deref()) {
        return denied;
    }
    let context = match parse_request(&body) {
        Ok(context) => context,
        Err((code, details)) => {
            return json(
                StatusCode::BAD_REQUEST,
                &BulkEvaluationFailure {
                    error_code: code.as_str(),
                    error_details: details,
                },
            );
        }
    };
    let snapshot = state.handle.load();
    let etag = bulk_etag(&snapshot.etag, &context);
    let etag_header = HeaderValue::from_str(&etag).expect("hex digits in quotes");
    if not_modified(&headers, &etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_header)]).into_response();
    }
    let evaluations: Vec<_> = snapshot
        .flags
        .iter()
        .map(|(key, flag)| (key.as_str(), evaluate(flag, &context)))
        .collect();
    let flags = evaluations
        .iter()
        .map(|(key, result)| match result {
            Ok(evaluation) => BulkItem::Success(EvaluationSuccess::new(key, evaluation)),
            Err(error) => {
                BulkItem::Failure(EvaluationFailure::new(key, error.code(), error.to_string()))
            }
        })
        .collect();
    let body = BulkEvaluationSuccess {
        flags,
        event_streams: [EventStream {
            kind: "sse",
            url: events_url(state.base_url.as_deref(), &headers),
            inactivity_delay_sec: state.inactivity_delay_secs,
        }],
    };
    let mut response = json(StatusCode::OK, &body);
    response.headers_mut().insert(header::ETAG, etag_header);
    response
}

/// `GET /ofrep/v1/configuration`.
pub(super) async fn configuration(
    extract::State(state): extract::State<State>,
    headers: HeaderMap,
) -> Response {
    if let Some(denied) = auth::denied(&headers, state.token.as_deref()) {
        return denied;
    }
    let supported: Vec<&str> = FlagType::ALL
        .into_iter()
        .map(|kind| match kind {
            FlagType::Integer => "int",
            other => other.as_str(),
        })
        .collect();
    json(
        StatusCode::OK,
        &json!({
            "name": "daytwo",
            "capabilities": {
                "cacheInvalidation": {
                    "polling": { "enabled": true, "minPollingIntervalMs": MIN_POLLING_INTERVAL_MS }
                },
                "flagEvaluation": { "supportedTypes": supported }
            }
        }),
    )
}

/// The request's context, or the error code and details for a 400.
fn parse_request(body: &Bytes) -> Result<EvaluationContext, (ErrorCode, String)> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(EvaluationContext::default());
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        (
            ErrorCode::ParseError,
            format!("the request body is not valid JSON: {error}"),
        )
    })?;
    let Value::Object(mut request) = value else {
        return Err((
            ErrorCode::ParseError,
            "the request body must be a JSON object like {\"context\": {\"targetingKey\": \"…\"}}"
                .to_string(),
        ));
    };
    EvaluationContext::from_json(request.remove("context"))
        .map_err(|error| (error.code(), error.to_string()))
}

/// The bulk ETag: the flags' content tag combined with the context, since
/// the same flags evaluate differently for another context.
fn bulk_etag(snapshot_etag: &str, context: &EvaluationContext) -> String {
    let mut hasher = Sha256::new();
    hasher.update(snapshot_etag.as_bytes());
    hasher.update([0]);
    hasher.update(canonical_json(&Value::Object(context.attributes.clone())).as_bytes());
    quoted_hex(&hasher.finalize()[..16])
}

/// True when `If-None-Match` lists `etag` (weak or strong) or is `*`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

fn events_url(base_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(base) = base_url {
        return format!("{base}{EVENTS_PATH}");
    }
    match headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
    {
        Some(host) => format!("http://{host}{EVENTS_PATH}"),
        None => EVENTS_PATH.to_string(),
    }
}
