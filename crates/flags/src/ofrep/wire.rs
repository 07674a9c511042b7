//! OFREP JSON bodies, named as in the OpenAPI document's schemas.

use crate::evaluate::{ErrorCode, Evaluation};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// `evaluationSuccess`.
#[derive(Debug, Serialize)]
pub(super) struct EvaluationSuccess<'a> {
    pub key: &'a str,
    pub value: &'a Value,
    pub reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: &'a BTreeMap<String, Value>,
}

impl<'a> EvaluationSuccess<'a> {
    pub fn new(key: &'a str, evaluation: &'a Evaluation) -> Self {
        Self {
            key,
            value: &evaluation.value,
            reason: evaluation.reason.as_str(),
            variant: evaluation.variant.as_deref(),
            metadata: &evaluation.metadata,
        }
    }
}

/// `evaluationFailure` and `flagNotFound`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EvaluationFailure<'a> {
    pub key: &'a str,
    pub error_code: &'static str,
    pub error_details: String,
}

impl<'a> EvaluationFailure<'a> {
    pub fn new(key: &'a str, code: ErrorCode, details: impl Into<String>) -> Self {
        Self {
            key,
            error_code: code.as_str(),
            error_details: details.into(),
        }
    }
}

/// One item of `bulkEvaluationSuccess.flags`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(super) enum BulkItem<'a> {
    Success(EvaluationSuccess<'a>),
    Failure(EvaluationFailure<'a>),
}

/// `bulkEvaluationSuccess`, with the SSE `eventStreams` extension.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BulkEvaluationSuccess<'a> {
    pub flags: Vec<BulkItem<'a>>,
    pub event_streams: [EventStream; 1],
}

/// One entry of `eventStreams`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventStream {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
    pub inactivity_delay_sec: u64,
}

/// `bulkEvaluationFailure`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BulkEvaluationFailure {
    pub error_code: &'static str,
    pub error_details: String,
}

/// `generalErrorResponse` as a body (the caller picks the status).
pub(super) fn general_error(details: &str) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({ "errorDetails": details }),
    )
    .into_response()
}

/// A JSON response; serialising our own types cannot fail, but if it did
/// the client gets a 500 `generalErrorResponse` rather than a panic.
pub(super) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            format!(r#"{{"errorDetails":"cannot encode the response: {error}"}}"#),
        )
            .into_response(),
    }
}
