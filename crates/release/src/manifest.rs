//! The manifest (`manifest.json`, the bundle's first entry): what a release
//! is, where it came from and every file it holds. Also the content digest,
//! computed from the manifest's content fields only.

use crate::digest::ReleaseDigest;
use crate::error::ReleaseError;
use crate::migrations::MigrationEntry;
use daytwo_spec::Spec;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The bundle format this crate writes and reads.
pub const BUNDLE_FORMAT: u32 = 1;
/// Name of the manifest entry (always first in the tar).
pub const MANIFEST_ENTRY: &str = "manifest.json";
/// Name of the signature entry (second, when the bundle is signed).
pub const SIGNATURE_ENTRY: &str = "signature.json";
/// Every payload entry's path starts with this.
pub const PAYLOAD_PREFIX: &str = "files/";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub app: String,
    pub version: String,
    pub digest: ReleaseDigest,
    /// When the bundle was built (RFC 3339); `SOURCE_DATE_EPOCH` when set.
    pub created: jiff::Timestamp,
    /// The spec directory's git state at build time, when it is in a repo.
    pub git: Option<GitInfo>,
    /// The effective spec, with portable paths (see [`portable_spec`]).
    pub spec: Spec,
    /// Feature flags the release declares: `{name, type, description, default}`.
    pub flags: Vec<serde_json::Value>,
    /// The release's schema migrations, linted (docs/migrations.md).
    pub migrations: Vec<MigrationEntry>,
    /// Some migration is contract or unknown (acknowledged or not): rolling
    /// back across this release is unsafe, and deploying it needs
    /// `--allow-contract`. Derived from `migrations`, so the digest covers it.
    #[serde(default)]
    pub rollback_unsafe: bool,
    /// Every payload entry, sorted by path.
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    pub commit: String,
    /// Tracked files had uncommitted changes.
    pub dirty: bool,
}

/// One payload file or directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative to the release's app directory, `/`-separated, e.g. `static/app.css`.
    pub path: String,
    pub kind: EntryKind,
    /// `0644` or `0755`.
    #[serde(with = "crate::mode")]
    pub mode: u32,
    /// Bytes (0 for a directory).
    pub size: u64,
    /// Hex sha256 of the file's bytes; `None` for a directory.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
}

/// The fields the digest covers, in this order.
#[derive(Serialize)]
struct Content<'a> {
    format: u32,
    app: &'a str,
    spec: &'a Spec,
    flags: &'a [serde_json::Value],
    migrations: &'a [MigrationEntry],
    entries: &'a [Entry],
}

impl Manifest {
    /// sha256 of the compact JSON of `{format, app, spec, flags, migrations,
    /// entries}` (in that order, as serialized here). It leaves out
    /// `version`, `created`, `git`, `digest` and the signature, so the same
    /// content always has the same digest.
    pub fn content_digest(&self) -> ReleaseDigest {
        let content = Content {
            format: self.format,
            app: &self.app,
            spec: &self.spec,
            flags: &self.flags,
            migrations: &self.migrations,
            entries: &self.entries,
        };
        let json = serde_json::to_vec(&content).expect("the manifest serializes");
        ReleaseDigest::of(&json)
    }

    /// The manifest's bytes as stored in a bundle (pretty JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("the manifest serializes");
        bytes.push(b'\n');
        bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ReleaseError> {
        let manifest: Self =
            serde_json::from_slice(bytes).map_err(|e| ReleaseError::InvalidManifest {
                reason: e.to_string(),
            })?;
        if manifest.format != BUNDLE_FORMAT {
            return Err(ReleaseError::UnsupportedFormat {
                format: manifest.format,
                supported: BUNDLE_FORMAT,
            });
        }
        Ok(manifest)
    }

    /// The migrations that make rolling back across this release unsafe.
    pub fn contract_migrations(&self) -> impl Iterator<Item = &MigrationEntry> {
        self.migrations.iter().filter(|m| m.rollback_unsafe())
    }

    /// The release's spec with its directory set to `app_dir` (where the
    /// release is extracted), ready to run.
    pub fn spec_in(&self, app_dir: &Path) -> Spec {
        let mut spec = self.spec.clone();
        let file = app_dir.join(&spec.file);
        spec.dir = app_dir.to_path_buf();
        spec.file = file.clone();
        for migrations in spec
            .migrations
            .iter_mut()
            .chain(spec.env_migrations.values_mut())
        {
            migrations.dir = app_dir.join(&migrations.dir);
        }
        for env in spec
            .envs
            .values_mut()
            .chain(std::iter::once(&mut spec.base))
        {
            env.dir = app_dir.to_path_buf();
            env.file = file.clone();
        }
        spec
    }
}

/// `spec` with machine-specific paths made portable: `file` becomes the
/// spec's file name and `dir` becomes `.`, in the spec and in every env.
pub fn portable_spec(spec: &Spec) -> Spec {
    let name = PathBuf::from(spec.file.file_name().unwrap_or(spec.file.as_os_str()));
    let mut portable = spec.clone();
    portable.file = name.clone();
    portable.dir = PathBuf::from(".");
    for migrations in portable
        .migrations
        .iter_mut()
        .chain(portable.env_migrations.values_mut())
    {
        if let Ok(relative) = migrations.dir.strip_prefix(&spec.dir) {
            migrations.dir = relative.to_path_buf();
        }
    }
    for env in portable
        .envs
        .values_mut()
        .chain(std::iter::once(&mut portable.base))
    {
        env.file = name.clone();
        env.dir = PathBuf::from(".");
    }
    portable
}
