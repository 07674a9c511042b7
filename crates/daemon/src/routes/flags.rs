//! `GET /v1/flags`, `POST /v1/envs/{env}/flags/{name}` and
//! `GET /v1/flags/history`: the operators' side of the flags each env
//! serves over OFREP (`crate::flag_servers`).

use super::AppState;
use crate::api_error::ApiError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use daytwo_api::{FlagChangeInfo, FlagInfo, SetFlagRequest};
use daytwo_spec::EnvFlag;
use daytwo_store::FlagChangeRecord;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub(super) struct FlagsQuery {
    env: Option<String>,
    name: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    query: Result<Query<FlagsQuery>, QueryRejection>,
) -> Result<Json<Vec<FlagInfo>>, ApiError> {
    let Query(query) = query?;
    let handles = state.flags.handles().await;
    if let Some(env) = &query.env
        && !handles.contains_key(env)
    {
        let name = env.clone();
        if state
            .store
            .call(move |store| store.env(&name))
            .await?
            .is_none()
        {
            let running: Vec<String> = state
                .store
                .call(|store| store.envs())
                .await?
                .into_iter()
                .map(|record| record.name)
                .collect();
            return Err(ApiError::env_not_found(env, &running));
        }
    }
    let env = query.env.clone();
    let changes = state
        .store
        .call(move |store| store.flag_changes(env.as_deref(), None))
        .await?;
    let mut flags = Vec::new();
    for (env, handle) in handles {
        if query.env.as_ref().is_some_and(|wanted| *wanted != env) {
            continue;
        }
        for flag in handle.snapshot().flags.values() {
            if query.name.as_ref().is_some_and(|name| *name != flag.name) {
                continue;
            }
            let last = changes
                .iter()
                .rev()
                .find(|change| change.env == env && change.flag == flag.name);
            flags.push(flag_info(&env, flag, last));
        }
    }
    Ok(Json(flags))
}

pub(super) async fn set(
    State(state): State<AppState>,
    Path((env, name)): Path<(String, String)>,
    request: Result<Json<SetFlagRequest>, JsonRejection>,
) -> Result<Json<FlagInfo>, ApiError> {
    let Json(request) = request?;
    let (flag, last) = state
        .flags
        .set_at_run_time(&env, &name, request.value, &request.user, &request.reason)
        .await?;
    Ok(Json(flag_info(&env, &flag, Some(&last))))
}

pub(super) async fn history(
    State(state): State<AppState>,
    query: Result<Query<FlagsQuery>, QueryRejection>,
) -> Result<Json<Vec<FlagChangeInfo>>, ApiError> {
    let Query(query) = query?;
    let changes = state
        .store
        .call(move |store| store.flag_changes(query.env.as_deref(), query.name.as_deref()))
        .await?;
    Ok(Json(changes.iter().map(change_info).collect()))
}

fn flag_info(env: &str, flag: &EnvFlag, last: Option<&FlagChangeRecord>) -> FlagInfo {
    FlagInfo {
        env: env.to_string(),
        name: flag.name.clone(),
        kind: flag.kind.as_str().to_string(),
        description: flag.description.clone(),
        owner: flag.owner.clone(),
        expires: flag.expires.clone(),
        value: flag.value.clone(),
        default: flag.default.clone(),
        enabled: flag.enabled,
        targeted: flag.targeting.as_ref().is_some_and(|t| !t.is_empty()),
        last_change: last.map(change_info),
    }
}

fn change_info(record: &FlagChangeRecord) -> FlagChangeInfo {
    let parse = |json: &str| serde_json::from_str(json).unwrap_or(Value::Null);
    FlagChangeInfo {
        id: record.id,
        env: record.env.clone(),
        name: record.flag.clone(),
        old: parse(&record.old_json),
        new: parse(&record.new_json),
        user: record.user.clone(),
        reason: record.reason.clone(),
        at: record.at.to_string(),
    }
}
