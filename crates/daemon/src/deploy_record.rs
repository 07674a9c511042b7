//! Conversions between the three views of a release and a deploy: the
//! rollout's [`ReleaseRef`] (`digest` is `working-tree` for `daytwo up`),
//! the store's rows and the control API's types (`digest: null` for a
//! working tree).

use daytwo_api::DeployRecord;
use daytwo_rollout::ReleaseRef;
use daytwo_store::{DeployedRelease, DeploymentRecord, EnvRecord};
use daytwo_types::WORKING_TREE_RELEASE;

/// The release an env record runs.
pub(crate) fn env_release(record: &EnvRecord) -> ReleaseRef {
    match &record.release_digest {
        Some(digest) => ReleaseRef::new(record.release.clone(), digest.clone()),
        None => ReleaseRef::new(record.release.clone(), WORKING_TREE_RELEASE),
    }
}

/// The engine's release string of an env record's replicas.
pub(crate) fn engine_release(record: &EnvRecord) -> String {
    record
        .release_digest
        .clone()
        .unwrap_or_else(|| record.release.clone())
}

pub(crate) fn digest_of(release: &ReleaseRef) -> Option<String> {
    (release.digest != WORKING_TREE_RELEASE).then(|| release.digest.clone())
}

pub(crate) fn stored(release: &ReleaseRef) -> DeployedRelease {
    DeployedRelease {
        version: release.version.clone(),
        digest: digest_of(release),
    }
}

pub(crate) fn api_release(release: &DeployedRelease) -> daytwo_api::ReleaseRef {
    daytwo_api::ReleaseRef {
        version: release.version.clone(),
        digest: release.digest.clone(),
    }
}

pub(crate) fn api_record(record: DeploymentRecord) -> DeployRecord {
    DeployRecord {
        id: record.id,
        env: record.env,
        kind: record.kind,
        from: record.from.as_ref().map(api_release),
        to: api_release(&record.to),
        strategy: record.strategy,
        user: record.user,
        started_at: record.started_at.to_string(),
        finished_at: record.finished_at.map(|ts| ts.to_string()),
        outcome: record.outcome,
        duration_ms: record.duration_ms,
        message: record.message,
        logs: record.logs,
        failed_guard: record.failed_guard,
    }
}
