//! Rollback safety of migrations: a release whose manifest carries contract
//! or unknown migrations is rollback-unsafe. Deploying it needs
//! `allow_contract`; rolling an env back across it needs `force`.
//!
//! ```text
//! deploy R:   manifest(R).rollback_unsafe && !allow_contract ─> 409 contract_migration
//! rollback T: releases the env ran since it last ran T ─any rollback-unsafe?─> 409 rollback_crosses_contract (unless force)
//! ```

use crate::api_error::ApiError;
use daytwo_release::{MANIFEST_ENTRY, Manifest, MigrationEntry};
use daytwo_store::{DeploymentRecord, ReleaseRecord};
use std::path::Path;

/// The manifest of a stored release (`<releases>/<hex>/manifest.json`,
/// beside its `app/` directory).
pub(crate) fn release_manifest(release: &ReleaseRecord) -> Result<Manifest, ApiError> {
    let unreadable = |why: String| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "store_error",
            format!(
                "the stored manifest of {} is unreadable: {why}",
                release.digest
            ),
        )
        .with_hint("import the release again")
    };
    let dir = Path::new(&release.app_dir)
        .parent()
        .ok_or_else(|| unreadable("its release directory is unknown".to_string()))?;
    let bytes = std::fs::read(dir.join(MANIFEST_ENTRY)).map_err(|e| unreadable(e.to_string()))?;
    Manifest::from_bytes(&bytes).map_err(|e| unreadable(e.to_string()))
}

/// `file (class): reasons`, for messages.
fn describe(migration: &MigrationEntry) -> String {
    let acknowledged = if migration.acknowledged {
        ", acknowledged"
    } else {
        ""
    };
    let reasons = if migration.reasons.is_empty() {
        String::new()
    } else {
        format!(": {}", migration.reasons.join("; "))
    };
    format!(
        "{} ({}{acknowledged}){reasons}",
        migration.file, migration.class
    )
}

/// Refuses a rollback-unsafe release unless the deploy allows contract
/// migrations.
pub(crate) fn check_deploy(manifest: &Manifest, allow_contract: bool) -> Result<(), ApiError> {
    if !manifest.rollback_unsafe || allow_contract {
        return Ok(());
    }
    let migrations: Vec<String> = manifest.contract_migrations().map(describe).collect();
    Err(ApiError::conflict(
        "contract_migration",
        format!(
            "release {} carries contract migrations, so rolling back from it would break: {}",
            manifest.version,
            migrations.join(" | ")
        ),
    )
    .with_hint(
        "split the change into expand and contract releases (docs/migrations.md), \
         or deploy with --allow-contract once the running release no longer needs the old schema",
    ))
}

/// The digests the env ran since it last ran `target` (newest first),
/// from its history (newest first): every release a deploy, promote or
/// rollback brought it onto, up to the last time it arrived on `target`.
pub(crate) fn releases_since(history: &[DeploymentRecord], target: &str) -> Vec<String> {
    let mut since = Vec::new();
    for row in history {
        let arrived = matches!(row.outcome.as_str(), "succeeded" | "reconciled-new");
        if !arrived {
            continue;
        }
        let Some(digest) = &row.to.digest else {
            continue;
        };
        if digest == target {
            break;
        }
        if !since.contains(digest) {
            since.push(digest.clone());
        }
    }
    since
}

/// Refuses a rollback that crosses a rollback-unsafe release (`crossed`:
/// the manifests of the releases the env ran since the target) unless
/// forced; a forced one returns the note history records.
pub(crate) fn check_rollback(
    env: &str,
    target_version: &str,
    crossed: &[Manifest],
    force: bool,
) -> Result<Option<String>, ApiError> {
    let unsafe_releases: Vec<String> = crossed
        .iter()
        .filter(|manifest| manifest.rollback_unsafe)
        .map(|manifest| {
            let migrations: Vec<String> = manifest.contract_migrations().map(describe).collect();
            format!("release {}: {}", manifest.version, migrations.join(" | "))
        })
        .collect();
    if unsafe_releases.is_empty() {
        return Ok(None);
    }
    if force {
        return Ok(Some(format!(
            "forced rollback across contract migrations ({})",
            unsafe_releases.join("; ")
        )));
    }
    Err(ApiError::conflict(
        "rollback_crosses_contract",
        format!(
            "rolling env `{env}` back to {target_version} crosses contract migrations that \
             {target_version} cannot live with: {}",
            unsafe_releases.join("; ")
        ),
    )
    .with_hint(
        "fix forward with a new release, or restore the schema and pass --force \
         (recorded in history)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use daytwo_store::DeployedRelease;

    fn row(to: &str, outcome: &str) -> DeploymentRecord {
        DeploymentRecord {
            id: 0,
            env: "prod".into(),
            kind: "deploy".into(),
            from: None,
            to: DeployedRelease {
                version: to.into(),
                digest: Some(to.into()),
            },
            strategy: "rolling".into(),
            user: "tester".into(),
            started_at: jiff::Timestamp::UNIX_EPOCH,
            finished_at: None,
            outcome: outcome.into(),
            duration_ms: None,
            message: None,
            logs: Vec::new(),
            plan_json: None,
            failed_guard: None,
        }
    }

    #[test]
    fn releases_since_stop_at_the_last_arrival_on_the_target_and_skip_failed_deploys() {
        // Newest first: v1 → v2 → v3 (failed) → v4 → v1 again earlier.
        let history = [
            row("v4", "succeeded"),
            row("v3", "failed"),
            row("v2", "succeeded"),
            row("v1", "succeeded"),
            row("v0", "succeeded"),
        ];
        assert_eq!(releases_since(&history, "v1"), ["v4", "v2"]);
        assert_eq!(
            releases_since(&history, "never-deployed"),
            ["v4", "v2", "v1", "v0"]
        );
    }
}
