//! The JSON error every endpoint answers with when something goes wrong:
//! `{"error": "<code>", "message": "<what happened and what to do>"}`.
//! The codes are stable; the messages are for people.

use crate::db::DbError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: bad JSON, a bad path parameter, a bad value.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::NotFound(_) => "not_found",
            Self::Db(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = match &self {
            Self::Db(error) => {
                tracing::error!(error = %error, "request failed");
                "internal error; the server log has the details".to_owned()
            }
            other => other.to_string(),
        };
        let body = json!({ "error": self.code(), "message": message });
        (self.status(), Json(body)).into_response()
    }
}
