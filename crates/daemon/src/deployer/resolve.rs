//! Finding stored releases (by name, the one deployed before, the ones a
//! rollback crosses) and re-verifying their bundles against an env's keys.

use super::Deployer;
use crate::api_error::ApiError;
use crate::deploy_record::{env_release, stored};
use crate::migration_guard;
use daytwo_store::{EnvRecord, ReleaseRecord};
use std::path::PathBuf;

impl Deployer {
    /// Refuses a rollback of `env` to `target` across a rollback-unsafe
    /// release unless `force`; a forced one gets a history note.
    pub(super) async fn check_rollback(
        &self,
        env: &str,
        target: &ReleaseRecord,
        force: bool,
    ) -> Result<Option<String>, ApiError> {
        let name = env.to_string();
        let history = self
            .store
            .call(move |store| store.deployments(Some(&name)))
            .await?;
        let mut crossed = Vec::new();
        for digest in migration_guard::releases_since(&history, &target.digest) {
            let release = self.resolve(&digest).await?;
            crossed.push(migration_guard::release_manifest(&release)?);
        }
        migration_guard::check_rollback(env, &target.version, &crossed, force)
    }

    /// The release deployed before the current one: the `from` of the last
    /// deploy that brought the env onto its current release.
    pub(super) async fn previous_release(
        &self,
        record: &EnvRecord,
    ) -> Result<ReleaseRecord, ApiError> {
        let env = record.name.clone();
        let current = env_release(record);
        let history = self
            .store
            .call(move |store| store.deployments(Some(&env)))
            .await?;
        let previous = history.into_iter().find_map(|row| {
            let arrived = matches!(row.outcome.as_str(), "succeeded" | "reconciled-new");
            (arrived && row.to == stored(&current))
                .then_some(row.from)
                .flatten()
        });
        let Some(digest) = previous.and_then(|from| from.digest) else {
            return Err(ApiError::conflict(
                "no_previous_release",
                format!(
                    "env `{}` has no earlier built release to roll back to",
                    record.name
                ),
            )
            .with_hint("name one with `--to VERSION` (`daytwo releases` lists them)"));
        };
        self.resolve(&digest).await
    }

    /// A stored release by version, digest or unique digest prefix.
    pub(crate) async fn resolve(&self, name: &str) -> Result<ReleaseRecord, ApiError> {
        let wanted = name.to_string();
        let mut found = self
            .store
            .call(move |store| store.find_releases(&wanted))
            .await?;
        match found.len() {
            0 => Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "release_not_found",
                format!("no stored release is `{name}`"),
            )
            .with_hint("`daytwo releases` lists them; `daytwo import FILE` adds one")),
            1 => Ok(found.remove(0)),
            _ => {
                let names: Vec<String> = found
                    .iter()
                    .map(|r| format!("{} ({})", r.version, r.digest))
                    .collect();
                Err(ApiError::conflict(
                    "ambiguous_release",
                    format!("`{name}` matches {}", names.join(", ")),
                )
                .with_hint("give the full digest"))
            }
        }
    }

    pub(super) async fn env_record(&self, env: &str) -> Result<Option<EnvRecord>, ApiError> {
        let name = env.to_string();
        Ok(self.store.call(move |store| store.env(&name)).await?)
    }

    /// Re-verifies the stored bundle against the keys `env` trusts.
    pub(super) async fn verify_for_env(
        &self,
        env: &str,
        release: &ReleaseRecord,
    ) -> Result<(), ApiError> {
        let keys = daytwo_release::trust::trusted_keys(&self.home, env)
            .map_err(|error| ApiError::release(&error))?;
        if keys.is_empty() {
            return Err(ApiError::no_trusted_keys(&format!("for env `{env}`")));
        }
        let bundle = PathBuf::from(&release.bundle_path);
        let app = release.app.clone();
        let verified =
            tokio::task::spawn_blocking(move || daytwo_release::verify(&bundle, &keys, &app))
                .await
                .map_err(|error| {
                    ApiError::new(
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        "engine_error",
                        format!("verifying the bundle failed: {error}"),
                    )
                })?
                .map_err(|error| ApiError::release(&error))?;
        if verified.digest.to_string() != release.digest {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "release::bundle_changed",
                format!(
                    "the stored bundle of {} now has digest {}",
                    release.digest, verified.digest
                ),
            )
            .with_hint("import the release again"));
        }
        Ok(())
    }
}
