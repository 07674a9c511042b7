//! `ApiError`: every failed control-API request answers with an HTTP status
//! and an `ApiErrorBody { code, message, hint }`; the codes are stable and
//! documented here.
//!
//! | code | status | when |
//! |---|---|---|
//! | `bad_request` | 400 | unreadable body or query, env name mismatch |
//! | `not_found` | 404 | no such route |
//! | `method_not_allowed` | 405 | wrong method on a route |
//! | `env_not_found` | 404 | the env is not up |
//! | `spawn_failed` | 500 | a replica could not be started (shim, port) |
//! | `shutting_down` | 503 | the daemon is stopping |
//! | `engine_error` | 500 | another engine failure (directories, cgroups) |
//! | `store_error` | 500 | the state database failed |

use crate::DaemonError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use daytwo_api::ApiErrorBody;
use daytwo_engine::EngineError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ApiErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ApiErrorBody {
                code: code.to_string(),
                message: message.into(),
                hint: None,
            },
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.body.hint = Some(hint.into());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// `env` is not up; the hint names the envs that are.
    pub fn env_not_found(env: &str, running: &[String]) -> Self {
        let hint = if running.is_empty() {
            "no env is up; start one with `daytwo up --env ENV`".to_string()
        } else {
            format!("envs that are up: {}", running.join(", "))
        };
        Self::new(
            StatusCode::NOT_FOUND,
            "env_not_found",
            format!("env `{env}` is not up"),
        )
        .with_hint(hint)
    }

    /// The engine failed; the message carries the whole cause chain.
    pub fn engine(error: &EngineError) -> Self {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        match error {
            EngineError::ShutDown => Self::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", message)
                .with_hint("the daemon is stopping; run the command again to start a new one"),
            EngineError::Spawn { .. }
            | EngineError::ShimFailed { .. }
            | EngineError::ShimTimeout { .. }
            | EngineError::AllocatePort { .. } => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "spawn_failed", message).with_hint(
                    "check the process `command` in the spec; `daytwo logs` shows what replicas printed",
                )
            }
            _ => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "engine_error", message)
                .with_hint("see the daemon's log (daemon.log in DAYTWO_HOME)"),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        Self::bad_request(rejection.body_text()).with_hint(
            "the CLI and the daemon may be different versions; `daytwo status` shows the daemon's",
        )
    }
}

impl From<DaemonError> for ApiError {
    fn from(error: DaemonError) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "store_error",
            error.to_string(),
        )
        .with_hint("see the daemon's log (daemon.log in DAYTWO_HOME)")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
