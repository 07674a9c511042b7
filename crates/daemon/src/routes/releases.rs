//! `POST /v1/releases` (import a bundle) and `GET /v1/releases`.
//!
//! An import verifies the bundle against every key trusted by any env
//! (`$DAYTWO_HOME/trusted/*/`): the store holds releases for all envs, and
//! each deploy verifies again against the target env's own keys. The
//! request names no app, so the bundle's signed manifest says which app it
//! is; a deploy refuses a release of another app than the env runs.

use super::AppState;
use crate::api_error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use daytwo_api::{ImportRequest, ReleaseInfo};
use daytwo_release::{PublicKey, ReleaseError, StoredRelease};
use daytwo_store::{EnvRecord, ReleaseRecord};
use std::path::{Path, PathBuf};

/// Where imported bundles live, under `DAYTWO_HOME`.
pub(crate) const RELEASES_DIR: &str = "releases";

pub(super) async fn import(
    State(state): State<AppState>,
    request: Result<Json<ImportRequest>, JsonRejection>,
) -> Result<Json<ReleaseInfo>, ApiError> {
    let Json(ImportRequest { path }) = request?;
    let bundle = PathBuf::from(&path);
    if !bundle.is_absolute() {
        return Err(ApiError::bad_request(format!(
            "the bundle path `{path}` is not absolute"
        )));
    }
    let keys = all_trusted_keys(&state.home).map_err(|error| ApiError::release(&error))?;
    if keys.is_empty() {
        return Err(ApiError::no_trusted_keys("for any env"));
    }
    let releases_dir = state.home.join(RELEASES_DIR);
    let stored = tokio::task::spawn_blocking(move || import_bundle(&bundle, &releases_dir, &keys))
        .await
        .map_err(|error| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "engine_error",
                format!("the import task failed: {error}"),
            )
        })?
        .map_err(|error| ApiError::release(&error))?;
    let spec_json = serde_json::to_string(&stored.manifest.spec_in(&stored.app_dir))
        .expect("a spec serializes");
    let record = ReleaseRecord {
        digest: stored.digest.to_string(),
        app: stored.manifest.app.clone(),
        version: stored.version.clone(),
        created: stored.manifest.created,
        git_commit: stored.manifest.git.as_ref().map(|git| git.commit.clone()),
        git_dirty: stored.manifest.git.as_ref().is_some_and(|git| git.dirty),
        signer: stored.signer.to_string(),
        bundle_path: stored.bundle.display().to_string(),
        app_dir: stored.app_dir.display().to_string(),
        spec_json,
        imported_at: jiff::Timestamp::now(),
    };
    let digest = record.digest.clone();
    let (added, kept, envs) = state
        .store
        .call(move |store| {
            let added = store.put_release(&record)?;
            let kept = store.release(&record.digest)?.unwrap_or(record);
            Ok((added, kept, store.envs()?))
        })
        .await?;
    tracing::info!("imported release {} ({digest})", kept.version);
    let mut info = release_info(kept, &envs);
    info.already_present = stored.already_present || !added;
    Ok(Json(info))
}

pub(super) async fn list(
    State(state): State<AppState>,
) -> Result<Json<Vec<ReleaseInfo>>, ApiError> {
    let (releases, envs) = state
        .store
        .call(|store| Ok((store.releases()?, store.envs()?)))
        .await?;
    Ok(Json(
        releases
            .into_iter()
            .map(|release| release_info(release, &envs))
            .collect(),
    ))
}

/// Imports with the signed manifest's own app name (the request names none).
fn import_bundle(
    bundle: &Path,
    releases_dir: &Path,
    keys: &[PublicKey],
) -> Result<StoredRelease, ReleaseError> {
    // The first pass only learns the app: it fails at the app check, after
    // the signature was verified, and writes nothing.
    let app = match daytwo_release::verify(bundle, keys, "") {
        Err(ReleaseError::WrongApp { found, .. }) => found,
        Err(error) => return Err(error),
        Ok(verified) => verified.manifest.app,
    };
    daytwo_release::import(bundle, releases_dir, keys, &app)
}

/// Every key any env trusts (`$DAYTWO_HOME/trusted/*/*.pub`).
fn all_trusted_keys(home: &Path) -> Result<Vec<PublicKey>, ReleaseError> {
    let dir = home.join(daytwo_release::trust::TRUSTED_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ReleaseError::Io {
                action: "read",
                path: dir,
                source,
            });
        }
    };
    let mut envs: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
        .collect();
    envs.sort();
    let mut keys: Vec<PublicKey> = Vec::new();
    for env in envs {
        for key in daytwo_release::trust::trusted_keys(home, &env)? {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}

fn release_info(release: ReleaseRecord, envs: &[EnvRecord]) -> ReleaseInfo {
    let deployed_to = envs
        .iter()
        .filter(|env| env.release_digest.as_deref() == Some(release.digest.as_str()))
        .map(|env| env.name.clone())
        .collect();
    ReleaseInfo {
        app: release.app,
        version: release.version,
        digest: release.digest,
        created: release.created.to_string(),
        git_commit: release.git_commit,
        git_dirty: release.git_dirty,
        signer: release.signer,
        imported_at: release.imported_at.to_string(),
        path: release.bundle_path,
        deployed_to,
        already_present: false,
    }
}
