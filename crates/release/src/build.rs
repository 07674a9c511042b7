//! `daytwo build`: index the sources for `daytwo why`, run `[build]
//! command`, collect the artifacts (plus the index), write the manifest,
//! sign it and pack the bundle `<app>-<version>.tar.zst`.
//!
//! Reproducible: the digest depends only on the content (see
//! [`Manifest::content_digest`]); with `SOURCE_DATE_EPOCH` set and the same
//! key, the bundle file itself is byte-identical.

use crate::archive;
use crate::artifacts;
use crate::build_command;
use crate::digest::ReleaseDigest;
use crate::error::ReleaseError;
use crate::git;
use crate::keys::{KeyId, SigningKey};
use crate::manifest::{BUNDLE_FORMAT, Manifest, portable_spec};
use crate::migrations::{self, MigrationEntry};
use crate::signature::SignatureEntry;
use crate::why_index;
use daytwo_migrate::LintReport;
use daytwo_spec::Spec;
use std::path::PathBuf;

/// The longest release version.
const MAX_VERSION_LEN: usize = 128;
/// The environment variable that fixes build times (reproducible-builds.org).
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

#[derive(Debug, Default)]
pub struct BuildOptions {
    /// Where the bundle file is written (created if missing).
    pub output_dir: PathBuf,
    /// Signs the bundle; `None` writes an unsigned bundle (which no env
    /// accepts; useful for inspection only).
    pub signing_key: Option<SigningKey>,
    /// Seconds since the epoch for `created` and tar mtimes; `None` reads
    /// `SOURCE_DATE_EPOCH` (then `created` is now and mtimes are 0).
    pub source_date_epoch: Option<i64>,
}

/// A bundle just built.
#[derive(Debug, Clone)]
pub struct BuiltBundle {
    pub version: String,
    pub digest: ReleaseDigest,
    /// The bundle file.
    pub path: PathBuf,
    pub manifest: Manifest,
    /// Combined stdout and stderr of the build command (empty without one).
    pub build_output: String,
    pub signer: Option<KeyId>,
    /// The lint of the release's migrations (empty without `[migrations]`):
    /// a report that does not pass does not fail the build, the release is
    /// marked rollback-unsafe instead.
    pub migrations_lint: LintReport,
    /// How many log-message templates the release's `daytwo why` index
    /// holds (the payload file `.daytwo/why-index.json`).
    pub why_templates: usize,
}

/// The bundle's file name: `<app>-<version>.tar.zst`.
pub fn bundle_file_name(app: &str, version: &str) -> String {
    format!("{app}-{version}.tar.zst")
}

/// Builds a bundle from `spec`'s `[build]`. `version` defaults to `git
/// describe --tags --always --dirty` in the spec's directory, else
/// `0.0.0+<first 12 hex digits of the digest>`.
pub fn build(
    spec: &Spec,
    version: Option<String>,
    options: &BuildOptions,
) -> Result<BuiltBundle, ReleaseError> {
    let build = spec
        .build
        .as_ref()
        .ok_or_else(|| ReleaseError::BuildNotConfigured {
            file: spec.file.clone(),
        })?;
    if let Some(version) = &version {
        check_version(version)?;
    }
    // Before the command runs: its outputs must not make the tree "dirty".
    let git_info = git::info(&spec.dir);
    let described = git::describe(&spec.dir).filter(|v| check_version(v).is_ok());
    // The sources as committed and edited, not the command's outputs.
    let why_index = why_index::index_sources(spec)?;
    let build_output = match &build.command {
        Some(command) => build_command::run(command, &spec.dir)?,
        None => String::new(),
    };
    let migrations = migrations::bundle(spec)?;
    let mut artifact_paths = build.artifacts.clone();
    artifact_paths.extend(migrations.artifact.clone());
    let mut artifacts = artifacts::collect(&spec.dir, &artifact_paths, &spec.file)?;
    let why_index = why_index::entries(&why_index, &artifacts)?;
    artifacts.extend(why_index.artifacts.iter().cloned());
    artifacts.sort_by(|a, b| a.entry.path.cmp(&b.entry.path));

    let epoch = match options.source_date_epoch {
        Some(epoch) => Some(epoch),
        None => std::env::var(SOURCE_DATE_EPOCH)
            .ok()
            .and_then(|v| v.trim().parse().ok()),
    };
    let created = epoch
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    let mtime = epoch.and_then(|s| u64::try_from(s).ok()).unwrap_or(0);

    let mut manifest = Manifest {
        format: BUNDLE_FORMAT,
        app: spec.app.clone(),
        version: String::new(),
        digest: ReleaseDigest::of(b""),
        created,
        git: git_info,
        spec: portable_spec(spec),
        flags: spec
            .flags
            .values()
            .map(|flag| {
                serde_json::json!({
                    "name": flag.name,
                    "type": flag.kind,
                    "description": flag.description,
                    "default": flag.default,
                })
            })
            .collect(),
        rollback_unsafe: migrations
            .entries
            .iter()
            .any(MigrationEntry::rollback_unsafe),
        migrations: migrations.entries,
        entries: artifacts.iter().map(|a| a.entry.clone()).collect(),
    };
    manifest.digest = manifest.content_digest();
    manifest.version = version
        .or(described)
        .unwrap_or_else(|| format!("0.0.0+{}", manifest.digest.short()));
    let manifest_bytes = manifest.to_bytes();
    let signature = options
        .signing_key
        .as_ref()
        .map(|key| SignatureEntry::sign(key, &manifest.digest, &manifest_bytes));
    let path = options
        .output_dir
        .join(bundle_file_name(&manifest.app, &manifest.version));
    archive::write(
        &path,
        &manifest_bytes,
        signature.as_ref().map(SignatureEntry::to_bytes).as_deref(),
        &artifacts,
        mtime,
    )?;
    Ok(BuiltBundle {
        version: manifest.version.clone(),
        digest: manifest.digest.clone(),
        path,
        manifest,
        build_output,
        signer: signature.map(|s| s.key_id),
        migrations_lint: migrations.report,
        why_templates: why_index.templates,
    })
}

fn check_version(version: &str) -> Result<(), ReleaseError> {
    let valid = !version.is_empty()
        && version.len() <= MAX_VERSION_LEN
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
    if valid {
        Ok(())
    } else {
        Err(ReleaseError::InvalidVersion {
            version: version.to_string(),
        })
    }
}
