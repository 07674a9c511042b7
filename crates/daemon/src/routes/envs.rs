//! `POST /v1/envs/{env}/up` and `POST /v1/envs/{env}/down`.
//!
//! `up` records the env (spec and release) in the store *before* the engine
//! spawns anything, and waits for the replicas' statuses to be stored before
//! it answers: a daemon killed at any point re-adopts what it started.

use super::AppState;
use crate::api_error::ApiError;
use crate::replica_info::replica_infos;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use daytwo_api::{EnvReplicas, UpRequest};
use daytwo_store::{EnvRecord, NewEvent};

pub(super) async fn up(
    State(state): State<AppState>,
    Path(env): Path<String>,
    request: Result<Json<UpRequest>, JsonRejection>,
) -> Result<Json<EnvReplicas>, ApiError> {
    let Json(UpRequest { spec, release }) = request?;
    if spec.env != env {
        return Err(ApiError::bad_request(format!(
            "the request is for env `{env}` but its spec is env `{}`",
            spec.env
        )));
    }
    let spec_json = serde_json::to_string(&spec)
        .map_err(|error| ApiError::bad_request(format!("the spec cannot be stored: {error}")))?;
    let record = EnvRecord {
        name: env.clone(),
        app: spec.app.clone(),
        spec_json,
        release: release.clone(),
        listen: spec.listen.map(|addr| addr.to_string()),
        spec_file: spec.file.display().to_string(),
        updated_at: jiff::Timestamp::now(),
    };
    state
        .store
        .call(move |store| store.put_env(&record))
        .await?;

    let started = state.engine.up(spec, release.clone()).await;
    // Whatever the engine reported while starting is stored before answering.
    state.persist.flush().await;
    let replicas = match started {
        Ok(replicas) => replicas,
        Err(error) => {
            if state.engine.replicas(Some(&env)).is_empty() {
                // Nothing runs: do not re-adopt a failed start next time.
                let name = env.clone();
                state
                    .store
                    .call(move |store| store.delete_env(&name))
                    .await?;
            }
            record_event(
                &state,
                &env,
                "env.up_failed",
                format!("env {env} failed to start: {error}"),
            )
            .await;
            return Err(ApiError::engine(&error));
        }
    };
    record_event(
        &state,
        &env,
        "env.up",
        format!(
            "env {env} up with {} replicas of release {release}",
            replicas.len()
        ),
    )
    .await;
    Ok(Json(EnvReplicas {
        env,
        replicas: replica_infos(replicas),
    }))
}

pub(super) async fn down(
    State(state): State<AppState>,
    Path(env): Path<String>,
) -> Result<Json<EnvReplicas>, ApiError> {
    let name = env.clone();
    let record = state.store.call(move |store| store.env(&name)).await?;
    if record.is_none() && state.engine.replicas(Some(&env)).is_empty() {
        let running = state
            .store
            .call(|store| store.envs())
            .await?
            .into_iter()
            .map(|record| record.name)
            .collect::<Vec<_>>();
        return Err(ApiError::env_not_found(&env, &running));
    }
    let stopped = state
        .engine
        .down(&env)
        .await
        .map_err(|error| ApiError::engine(&error))?;
    state.persist.flush().await;
    let name = env.clone();
    state
        .store
        .call(move |store| store.delete_env(&name))
        .await?;
    record_event(
        &state,
        &env,
        "env.down",
        format!("env {env} down, {} replicas stopped", stopped.len()),
    )
    .await;
    Ok(Json(EnvReplicas {
        env,
        replicas: replica_infos(stopped),
    }))
}

/// Appends an env-level event; a failure is logged, not returned: the
/// operation itself succeeded.
async fn record_event(state: &AppState, env: &str, kind: &str, message: String) {
    let event = NewEvent {
        env: Some(env.to_string()),
        ..NewEvent::new(kind, message)
    };
    if let Err(error) = state
        .store
        .call(move |store| store.append_event(event))
        .await
    {
        tracing::error!("cannot record event: {error}");
    }
}
