//! Release notes: what changed between two releases, from facts the
//! manifests already hold (flags, migrations, the effective spec) plus the
//! git commits between their source commits.
//!
//! ```text
//! $DAYTWO_HOME/releases/*/manifest.json ─resolve RELEASE / --since─> (new, old)
//!   + git log old..new ─> ReleaseNotes::between ─> to_markdown() | serde JSON
//! ```
//!
//! Measured behaviour (RSS growth, CPU, p99, error rate, per env, next to
//! the predecessor) comes from the daemon's stored telemetry periods, which
//! the caller reads and passes in ([`ReleaseNotes::with_measured`]).

mod commits;
mod error;
mod flags;
mod markdown;
mod measured;
mod resolve;

pub use commits::{Commit, CommitLog, commits_between};
pub use error::NotesError;
pub use flags::{FlagChange, FlagNote};
pub use measured::{Behaviour, MeasuredEnv, Period};
pub use resolve::{load_manifests, resolve, since_default};

use crate::manifest::Manifest;
use daytwo_migrate::Class;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A release as the notes name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRef {
    pub version: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// RFC 3339.
    pub created: String,
    /// The source commit, when the release was built in a git repository.
    pub commit: Option<String>,
    /// Tracked files had uncommitted changes at build time.
    pub dirty: bool,
}

impl ReleaseRef {
    fn of(manifest: &Manifest) -> Self {
        Self {
            version: manifest.version.clone(),
            digest: manifest.digest.to_string(),
            created: manifest.created.to_string(),
            commit: manifest.git.as_ref().map(|git| git.commit.clone()),
            dirty: manifest.git.as_ref().is_some_and(|git| git.dirty),
        }
    }
}

/// A migration the new release adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationNote {
    pub version: u64,
    pub name: String,
    pub file: String,
    pub class: Class,
    /// Rolling back across it is unsafe (contract or unknown).
    pub rollback_unsafe: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// One effective spec key whose value changed in an env.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecChange {
    pub key: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Flags added, changed and removed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlagChanges {
    pub added: Vec<FlagNote>,
    pub changed: Vec<FlagChange>,
    pub removed: Vec<FlagNote>,
}

impl FlagChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The notes of `release` relative to `since`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseNotes {
    pub app: String,
    pub release: ReleaseRef,
    /// The predecessor; `None` for the app's first release.
    pub since: Option<ReleaseRef>,
    /// Newest first; empty when unknown (see `commits_unknown`).
    pub commits: Vec<Commit>,
    /// Why the commits could not be listed, when they could not.
    pub commits_unknown: Option<String>,
    pub flags: FlagChanges,
    /// Migrations in the new release that the predecessor did not have.
    pub migrations: Vec<MigrationNote>,
    /// Rolling back from `release` to `since` stays possible.
    pub rollback_safe: bool,
    /// Per env declared in either release: the effective keys that changed.
    pub spec_changes: BTreeMap<String, Vec<SpecChange>>,
    /// Per env where the release ran: RSS growth, CPU, p99 latency and
    /// error rate next to the predecessor's in the same env. Empty until
    /// samples exist ("not measured yet"); see [`ReleaseNotes::with_measured`].
    pub measured: Vec<MeasuredEnv>,
}

impl ReleaseNotes {
    /// The notes of `new` since `old` (`None`: everything is new).
    pub fn between(new: &Manifest, old: Option<&Manifest>, log: CommitLog) -> Self {
        let migrations: Vec<MigrationNote> = new
            .migrations
            .iter()
            .filter(|entry| {
                old.is_none_or(|old| {
                    !old.migrations
                        .iter()
                        .any(|o| o.version == entry.version && o.checksum == entry.checksum)
                })
            })
            .map(|entry| MigrationNote {
                version: entry.version,
                name: entry.name.clone(),
                file: entry.file.clone(),
                class: entry.class,
                rollback_unsafe: entry.rollback_unsafe(),
                reasons: entry.reasons.clone(),
            })
            .collect();
        let rollback_safe = !migrations.iter().any(|m| m.rollback_unsafe);
        Self {
            app: new.app.clone(),
            release: ReleaseRef::of(new),
            since: old.map(ReleaseRef::of),
            commits: log.commits().to_vec(),
            commits_unknown: match log {
                CommitLog::Listed { .. } => None,
                CommitLog::Unknown { reason } => Some(reason),
            },
            flags: flags::changes(new, old),
            migrations,
            rollback_safe,
            spec_changes: spec_changes(new, old),
            measured: Vec::new(),
        }
    }

    /// Adds the measured behaviour (envs without periods are left out).
    pub fn with_measured(mut self, measured: Vec<MeasuredEnv>) -> Self {
        self.measured = measured;
        self
    }

    /// Markdown for a chat or a changelog.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }
}

/// For every env declared in either release, the effective differences
/// (the predecessor's value on the left). Envs without changes are left out.
fn spec_changes(new: &Manifest, old: Option<&Manifest>) -> BTreeMap<String, Vec<SpecChange>> {
    let mut names: Vec<String> = new.spec.env_names();
    if let Some(old) = old {
        names.extend(old.spec.env_names());
    }
    names.sort();
    names.dedup();
    let mut changes = BTreeMap::new();
    for name in names {
        let after = new.spec.env(&name).ok();
        let before = old.and_then(|old| old.spec.env(&name).ok());
        let list: Vec<SpecChange> = match (&before, &after) {
            (Some(before), Some(after)) => daytwo_spec::diff(before, after)
                .into_iter()
                .map(|d| SpecChange {
                    key: d.key,
                    old: d.left,
                    new: d.right,
                })
                .collect(),
            _ => Vec::new(),
        };
        if !list.is_empty() {
            changes.insert(name, list);
        }
    }
    changes
}
