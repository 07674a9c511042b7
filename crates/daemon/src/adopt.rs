//! Re-adoption at start: every env recorded in the store is handed back to the
//! engine with the replica statuses last stored for it. The engine checks each
//! stored pid (and its process start time, against pid reuse): live replicas
//! are adopted as they are, dead ones are started again. An env that cannot be
//! re-adopted is reported as an event and skipped; the daemon still starts.

use crate::DaemonError;
use crate::store_handle::StoreHandle;
use daytwo_engine::{Engine, ReplicaStatus};
use daytwo_spec::EnvSpec;
use daytwo_store::{EnvRecord, NewEvent, ReplicaRecord};

pub(crate) async fn readopt(engine: &Engine, store: &StoreHandle) -> Result<(), DaemonError> {
    let stored = store
        .call(|store| {
            let envs = store.envs()?;
            let replicas = store.replicas(None)?;
            Ok((envs, replicas))
        })
        .await?;
    let (envs, replicas) = stored;
    for record in envs {
        let env = record.name.clone();
        let problem = match adopt_env(engine, record, &replicas).await {
            Ok(count) => {
                tracing::info!("re-adopted env `{env}` ({count} replicas)");
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
    Ok(())
}

async fn adopt_env(
    engine: &Engine,
    record: EnvRecord,
    replicas: &[ReplicaRecord],
) -> Result<usize, String> {
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
    engine
        .adopt(spec, record.release, statuses)
        .await
        .map(|adopted| adopted.len())
        .map_err(|error| format!("cannot re-adopt env `{env}`: {error}"))
}
