//! `POST /v1/envs/{env}/up` and `POST /v1/envs/{env}/down`.
//!
//! `up` first applies the env's pending migrations when the request carries
//! a `[migrations] database` (like a deploy's `migrate` step: a failure
//! fails `up` with the migration's error and nothing starts), then gives
//! the env its listener in the proxy (so an address that cannot be bound
//! fails before anything starts), records the env (spec and release) in the
//! store *before* the engine spawns anything, and waits for the replicas'
//! statuses to be stored before it answers: a daemon killed at any point
//! re-adopts what it started.
//!
//! `down` drains before it stops (docs/architecture.md, "Drain sequence"):
//! the env's upstreams become unroutable in the proxy, in-flight requests
//! finish (up to the process's `stop_timeout`), then the engine stops the
//! replicas, and finally the env's listener leaves the route table.

use super::AppState;
use crate::api_error::ApiError;
use crate::env_routes::EnvRoute;
use crate::migrate_phase::{self, MigrationPhase};
use crate::replica_info::replica_infos;
use crate::route_sync::DrainTarget;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use daytwo_api::{AppliedMigration, EnvReplicas, UpRequest};
use daytwo_proxy::ProxyClient;
use daytwo_store::{EnvRecord, NewEvent};

pub(super) async fn up(
    State(state): State<AppState>,
    Path(env): Path<String>,
    request: Result<Json<UpRequest>, JsonRejection>,
) -> Result<Json<EnvReplicas>, ApiError> {
    let Json(UpRequest {
        mut spec,
        release,
        migrations,
    }) = request?;
    if spec.env != env {
        return Err(ApiError::bad_request(format!(
            "the request is for env `{env}` but its spec is env `{}`",
            spec.env
        )));
    }
    // Before anything starts: a failed migration leaves the env as it was.
    let phase = migrations
        .as_ref()
        .and_then(|migrations| MigrationPhase::for_up(migrations, &env, &state.home));
    let applied = match &phase {
        Some(phase) => migrate(&state, &env, phase).await?,
        None => Vec::new(),
    };
    // Flags are served before replicas start: they get the URL and values.
    state.flags.serve(&mut spec).await?;
    let spec_json = serde_json::to_string(&spec)
        .map_err(|error| ApiError::bad_request(format!("the spec cannot be stored: {error}")))?;
    let route = EnvRoute::of(&spec);
    if let Some(route) = route.clone()
        && let Err(error) = state.routes.set_env(route).await
    {
        record_event(
            &state,
            &env,
            "env.up_failed",
            format!("env {env} failed to start: {error}"),
        )
        .await;
        return Err(error.into());
    }
    let record = EnvRecord {
        name: env.clone(),
        app: spec.app.clone(),
        spec_json,
        release: release.clone(),
        release_digest: None,
        routing_json: None,
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
    let nothing_runs = started.is_err() && state.engine.replicas(Some(&env)).is_empty();
    if (route.is_none() || nothing_runs)
        && let Err(error) = state.routes.remove_env(&env).await
    {
        tracing::error!("cannot remove the listener of env `{env}`: {error}");
    }
    let replicas = match started {
        Ok(replicas) => replicas,
        Err(error) => {
            if nothing_runs {
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
        migrations: applied,
    }))
}

/// Applies `env`'s pending migrations for `up`, recording `env.migrated`
/// (something applied) or `env.up_failed`.
async fn migrate(
    state: &AppState,
    env: &str,
    phase: &MigrationPhase,
) -> Result<Vec<AppliedMigration>, ApiError> {
    match phase.apply().await {
        Ok(applied) => {
            if !applied.is_empty() {
                record_event(
                    state,
                    env,
                    "env.migrated",
                    format!(
                        "env {env}: applied {} to {}",
                        migrate_phase::files(&applied),
                        phase.target()
                    ),
                )
                .await;
            }
            Ok(applied
                .into_iter()
                .map(|applied| AppliedMigration {
                    file: applied.file,
                    duration_ms: applied.duration_ms,
                })
                .collect())
        }
        Err(error) => {
            record_event(
                state,
                env,
                "env.up_failed",
                format!("env {env} failed to start: {error}"),
            )
            .await;
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "migration_failed",
                format!("env `{env}` was not started: {error}"),
            )
            .with_hint(format!(
                "fix the migration (or the database), then run `daytwo up` again; \
                 `daytwo migrate status --env {env}` shows what is applied"
            )))
        }
    }
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
    // Out of routing before the stop signal; in-flight requests finish first.
    match state.routes.drain(&env).await {
        Ok(targets) => wait_drained(&state, &env, targets).await,
        Err(error) => tracing::warn!("env `{env}` stops without draining: {error}"),
    }
    let stopped = state
        .engine
        .down(&env)
        .await
        .map_err(|error| ApiError::engine(&error))?;
    state.persist.flush().await;
    if let Err(error) = state.routes.remove_env(&env).await {
        tracing::error!("cannot remove the listener of env `{env}`: {error}");
    }
    state.flags.stop(&env).await;
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
        migrations: Vec::new(),
    }))
}

/// Waits until no request is in flight to any of `targets` (each at most
/// its stop timeout, all at once). Requests still running then are cut
/// by the stop; that is recorded.
async fn wait_drained(state: &AppState, env: &str, targets: Vec<DrainTarget>) {
    let client = ProxyClient::for_home(&state.home);
    let waits = targets.into_iter().map(|target| {
        let client = client.clone();
        async move {
            let left = client.wait_drained(&target.upstream, target.timeout).await;
            (target, left)
        }
    });
    for (target, left) in futures_util::future::join_all(waits).await {
        match left {
            Ok(0) => {}
            Ok(inflight) => {
                record_event(
                    state,
                    env,
                    "replica.drain_timeout",
                    format!(
                        "{} still had {inflight} requests in flight after {:?}; stopping it anyway",
                        target.upstream, target.timeout
                    ),
                )
                .await
            }
            Err(error) => tracing::warn!("cannot wait for {} to drain: {error}", target.upstream),
        }
    }
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
