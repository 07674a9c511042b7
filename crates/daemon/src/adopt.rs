//! Re-adoption at start: every env recorded in the store is handed back to the
//! engine with the replica statuses last stored for it. The engine checks each
//! stored pid (and its process start time, against pid reuse): live replicas
//! are adopted as they are, dead ones are started again. An env that cannot be
//! re-adopted is reported as an event and skipped; the daemon still starts.
//! The routes of the re-adopted envs are returned for the proxy's table.
//!
//! An env that a deploy touched (it runs a built release, or replicas of
//! more than one release: a deploy was interrupted) is adopted replica by
//! replica, each with the spec of its own release (`Engine::adopt_replicas`,
//! no converge: a deploy's replica numbers are kept), and routed with the
//! routing the last deploy stored. `reconcile_at_start` then settles it.

use crate::DaemonError;
use crate::env_routes::EnvRoute;
use crate::store_handle::StoreHandle;
use daytwo_engine::{Engine, ReplicaStatus};
use daytwo_spec::EnvSpec;
use daytwo_store::{EnvRecord, NewEvent, ReleaseRecord, ReplicaRecord};

pub(crate) async fn readopt(
    engine: &Engine,
    store: &StoreHandle,
) -> Result<Vec<EnvRoute>, DaemonError> {
    let stored = store
        .call(|store| {
            let envs = store.envs()?;
            let replicas = store.replicas(None)?;
            let releases = store.releases()?;
            Ok((envs, replicas, releases))
        })
        .await?;
    let (envs, replicas, releases) = stored;
    let mut routes = Vec::new();
    for record in envs {
        let env = record.name.clone();
        let problem = match adopt_env(engine, record, &replicas, &releases).await {
            Ok((count, route)) => {
                tracing::info!("re-adopted env `{env}` ({count} replicas)");
                routes.extend(route);
                continue;
            }
            Err(problem) => problem,
        };
        tracing::error!("{problem}");
        let event = NewEvent {
            env: Some(env),
            ..NewEvent::new("env.readopt_failed", problem)
        };
        store.call(move |store| store.append_event(event)).await?;
    }
    Ok(routes)
}

async fn adopt_env(
    engine: &Engine,
    record: EnvRecord,
    replicas: &[ReplicaRecord],
    releases: &[ReleaseRecord],
) -> Result<(usize, Option<EnvRoute>), String> {
    let engine_release = crate::deploy_record::engine_release(&record);
    let routing = crate::deployer::parse_routing(record.routing_json.as_deref());
    let deployed = record.release_digest.is_some();
    let env = record.name;
    let spec: EnvSpec = serde_json::from_str(&record.spec_json).map_err(|error| {
        format!("cannot re-adopt env `{env}`: its stored spec is unreadable: {error}")
    })?;
    let mut statuses = Vec::new();
    for replica in replicas.iter().filter(|replica| replica.key.env == env) {
        match serde_json::from_str::<ReplicaStatus>(&replica.status_json) {
            Ok(status) => statuses.push(status),
            // Without its pid the replica cannot be adopted; the engine starts a new one.
            Err(error) => tracing::warn!(
                "stored status of {} is unreadable, not adopting it: {error}",
                replica.key
            ),
        }
    }
    let route = EnvRoute::of(&spec).map(|route| route.with_routing(routing));
    let mixed = statuses
        .iter()
        .any(|status| status.release != engine_release);
    if !deployed && !mixed {
        return engine
            .adopt(spec, record.release, statuses)
            .await
            .map(|adopted| (adopted.len(), route))
            .map_err(|error| format!("cannot re-adopt env `{env}`: {error}"));
    }
    let pairs = statuses
        .into_iter()
        .map(|status| {
            let own = if status.release == engine_release {
                None
            } else {
                release_spec(releases, &status.release, &env)
            };
            (own.unwrap_or_else(|| spec.clone()), status)
        })
        .collect();
    engine
        .adopt_replicas(pairs)
        .await
        .map(|adopted| (adopted.len(), route))
        .map_err(|error| format!("cannot re-adopt env `{env}`: {error}"))
}

/// The effective spec of the stored release `digest` in `env`.
pub(crate) fn release_spec(releases: &[ReleaseRecord], digest: &str, env: &str) -> Option<EnvSpec> {
    let release = releases.iter().find(|release| release.digest == digest)?;
    let spec: daytwo_spec::Spec = serde_json::from_str(&release.spec_json).ok()?;
    spec.env(env).ok()
}
