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
//! | `listen_failed` | 409 | the proxy cannot listen on the env's `listen` address |
//! | `proxy_error` | 502 | the proxy could not be started or refused the route table |
//! | `no_trusted_keys` | 403 | import or deploy while no env (or not the target env) trusts a key |
//! | `release::…` | 422 | the bundle failed verification (`daytwo_release::ReleaseError::code`) |
//! | `release_not_found` | 404 | no stored release has that version, digest or digest prefix |
//! | `ambiguous_release` | 409 | more than one stored release matches |
//! | `env_not_declared` | 404 | the release's spec does not declare the target env |
//! | `wrong_app` | 409 | the release is of another app than the env runs |
//! | `deploy_in_progress` | 409 | another deploy or rollback of the env is running (named) |
//! | `source_unhealthy` | 409 | promote from an env that is not fully healthy or runs no release |
//! | `no_previous_release` | 409 | rollback without an earlier release to go back to |

use crate::DaemonError;
use crate::route_sync::RouteSyncError;
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

impl ApiError {
    pub(crate) fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// A bundle that failed verification or import.
    pub(crate) fn release(error: &daytwo_release::ReleaseError) -> Self {
        let status = match error {
            daytwo_release::ReleaseError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut api = Self::new(status, error.code(), error.to_string());
        if let Some(hint) = error.hint() {
            api = api.with_hint(hint);
        }
        api
    }

    /// No key is trusted where one is needed.
    pub(crate) fn no_trusted_keys(where_: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "no_trusted_keys",
            format!("no release signing key is trusted {where_}"),
        )
        .with_hint(
            "`daytwo keys generate` makes a key and trusts it for `dev`; \
             `daytwo keys trust FILE --env ENV` trusts a builder's public key for ENV",
        )
    }

    /// The env's deploy lock is held by `running`.
    pub(crate) fn deploy_in_progress(
        env: &str,
        running: &crate::deploy_lock::RunningDeploy,
    ) -> Self {
        Self::conflict(
            "deploy_in_progress",
            format!("env `{env}` is busy: {running}"),
        )
        .with_hint("wait for it to finish (`daytwo history --env ENV` shows it), then try again")
    }
}

impl From<RouteSyncError> for ApiError {
    fn from(error: RouteSyncError) -> Self {
        match &error {
            RouteSyncError::Listen { env, addr, .. } => {
                Self::new(StatusCode::CONFLICT, "listen_failed", error.to_string()).with_hint(
                    format!(
                        "another process uses {addr}: stop it, or change `listen` in [env.{env}] of the spec"
                    ),
                )
            }
            RouteSyncError::Stopped => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                error.to_string(),
            )
            .with_hint("the daemon is stopping; run the command again to start a new one"),
            _ => Self::new(StatusCode::BAD_GATEWAY, "proxy_error", error.to_string())
                .with_hint("see the proxy's log (proxy.log in DAYTWO_HOME)"),
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

/// `message (hint)`: for the event log when the daemon itself made the
/// request (the steady-state watch's remediations).
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.body.message)?;
        match &self.body.hint {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}
