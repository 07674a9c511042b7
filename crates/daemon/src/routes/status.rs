//! `GET /v1/status` and `GET /v1/ps`.

use super::AppState;
use crate::api_error::ApiError;
use crate::replica_info::replica_infos;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use daytwo_api::{DaemonInfo, EnvStatus, ReplicaInfo, Status};
use daytwo_proxy::ProxyInfo;
use daytwo_spec::EnvSpec;
use daytwo_types::ReplicaState;
use serde::Deserialize;

pub(super) async fn status(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    let records = state.store.call(|store| store.envs()).await?;
    let metrics_url = ProxyInfo::load(&state.home)
        .ok()
        .map(|info| info.metrics_url);
    let flag_handles = state.flags.handles().await;
    let mut flag_urls = std::collections::BTreeMap::new();
    for env in flag_handles.keys() {
        if let Some(url) = state.flags.url(env).await {
            flag_urls.insert(env.clone(), url);
        }
    }
    let envs = records
        .into_iter()
        .map(|record| {
            let replicas_desired = match serde_json::from_str::<EnvSpec>(&record.spec_json) {
                Ok(spec) => spec.processes.values().map(|p| p.replicas).sum(),
                Err(error) => {
                    tracing::warn!(
                        "stored spec of env `{}` is unreadable: {error}",
                        record.name
                    );
                    0
                }
            };
            let replicas_healthy = state
                .engine
                .replicas(Some(&record.name))
                .iter()
                .filter(|replica| replica.state == ReplicaState::Healthy)
                .count() as u32;
            EnvStatus {
                metrics_url: record.listen.as_ref().and(metrics_url.clone()),
                flags_url: flag_urls.get(&record.name).cloned(),
                name: record.name,
                app: record.app,
                listen: record.listen,
                release: daytwo_api::ReleaseRef {
                    version: record.release,
                    digest: record.release_digest,
                },
                spec: record.spec_file,
                replicas_desired,
                replicas_healthy,
            }
        })
        .collect();
    Ok(Json(Status {
        daemon: DaemonInfo {
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            home: state.home.display().to_string(),
            started_at: state.started_at.to_string(),
            memory_enforcement: state.engine.memory_enforcement(),
            metrics_url: state.metrics_url.clone(),
        },
        envs,
    }))
}

#[derive(Debug, Deserialize)]
pub(super) struct PsQuery {
    env: Option<String>,
}

pub(super) async fn ps(
    State(state): State<AppState>,
    query: Result<Query<PsQuery>, QueryRejection>,
) -> Result<Json<Vec<ReplicaInfo>>, ApiError> {
    let Query(query) = query?;
    Ok(Json(replica_infos(
        state.engine.replicas(query.env.as_deref()),
    )))
}
