//! The release's schema migrations: `daytwo build` bundles the spec's
//! `[migrations] dir`, lints it and records one [`MigrationEntry`] per
//! migration in the manifest, so a deploy knows before it starts whether
//! rolling back across the release stays possible.
//!
//! ```text
//! spec [migrations] dir ─inside the spec dir?─> artifact path ─lint_dir(dialect of the dev URL)─>
//!   MigrationEntry { version, name, file, checksum, class (worst statement), acknowledged }
//! ```

use crate::error::ReleaseError;
use daytwo_migrate::{Class, Dialect, LintReport, MigrationDir};
use daytwo_spec::{DEFAULT_ENV, Spec};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The dialect linted when the default env has no database URL.
pub const DEFAULT_LINT_DIALECT: Dialect = Dialect::Postgres;

/// One migration of a release, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationEntry {
    /// `NNNN` of `NNNN_name.sql`.
    pub version: u64,
    pub name: String,
    /// The file's path in the release, e.g. `migrations/0002_drop_email.sql`.
    pub file: String,
    /// Lowercase hex sha256 of the file (the runner's checksum).
    pub checksum: String,
    /// The worst class of its statements: `expand` < `contract` < `unknown`.
    pub class: Class,
    /// Every contract/unknown statement is acknowledged by a
    /// `-- daytwo:allow` annotation (always true for an expand migration).
    pub acknowledged: bool,
    /// Why the migration is not expand: `line N [rule]: message`, one per
    /// contract/unknown statement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl MigrationEntry {
    /// Contract or unknown, acknowledged or not: rolling back across it is unsafe.
    pub fn rollback_unsafe(&self) -> bool {
        self.class.blocks()
    }
}

/// The release's migrations, linted.
#[derive(Debug, Clone, Default)]
pub struct BundledMigrations {
    /// The migration directory relative to the spec's directory
    /// (`/`-separated), packed as an artifact; `None` without `[migrations]`.
    pub artifact: Option<String>,
    pub entries: Vec<MigrationEntry>,
    /// The full lint report (for warnings).
    pub report: LintReport,
    pub dialect: Option<Dialect>,
}

/// The dialect `daytwo build` and `daytwo check` lint with: the one of the
/// default env's database URL, else [`DEFAULT_LINT_DIALECT`].
pub fn lint_dialect(spec: &Spec) -> Dialect {
    spec.migrations_for(DEFAULT_ENV)
        .or(spec.migrations.as_ref())
        .and_then(|m| m.database.as_deref())
        .and_then(Dialect::of_url)
        .unwrap_or(DEFAULT_LINT_DIALECT)
}

/// Reads and lints the spec's migration directory. Fails when it lies
/// outside the spec's directory, or cannot be read, or two envs name
/// different directories.
pub fn bundle(spec: &Spec) -> Result<BundledMigrations, ReleaseError> {
    let mut dirs: Vec<&Path> = spec
        .migrations
        .iter()
        .chain(spec.env_migrations.values())
        .map(|m| m.dir.as_path())
        .collect();
    dirs.sort();
    dirs.dedup();
    let Some(dir) = dirs.first().copied() else {
        return Ok(BundledMigrations::default());
    };
    if dirs.len() > 1 {
        return Err(ReleaseError::Migrations {
            reason: format!(
                "the envs name different migration directories ({}); a release bundles one",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let relative = relative_dir(&spec.dir, dir)?;
    let migrations_error = |error: daytwo_migrate::MigrateError| ReleaseError::Migrations {
        reason: error.to_string(),
    };
    let loaded = MigrationDir::load(dir).map_err(migrations_error)?;
    let dialect = lint_dialect(spec);
    let report = daytwo_migrate::lint_dir(dir, dialect).map_err(migrations_error)?;
    let entries = loaded
        .migrations
        .iter()
        .map(|migration| {
            let label = migration.path.display().to_string();
            let findings: Vec<_> = report.findings.iter().filter(|f| f.file == label).collect();
            let class = findings
                .iter()
                .map(|f| f.class)
                .max()
                .unwrap_or(Class::Expand);
            MigrationEntry {
                version: migration.version,
                name: migration.name.clone(),
                file: format!("{relative}/{}", migration.file),
                checksum: migration.checksum.clone(),
                class,
                acknowledged: findings
                    .iter()
                    .all(|f| !f.class.blocks() || f.acknowledged.is_some()),
                reasons: findings
                    .iter()
                    .filter(|f| f.class.blocks())
                    .map(|f| format!("line {} [{}]: {}", f.line, f.rule, f.message))
                    .collect(),
            }
        })
        .collect();
    Ok(BundledMigrations {
        artifact: Some(relative),
        entries,
        report,
        dialect: Some(dialect),
    })
}

/// `dir` relative to `spec_dir`, `/`-separated; refused outside it.
fn relative_dir(spec_dir: &Path, dir: &Path) -> Result<String, ReleaseError> {
    let outside = || ReleaseError::MigrationsOutsideSpecDir {
        dir: dir.to_path_buf(),
        spec_dir: spec_dir.to_path_buf(),
    };
    let relative = dir.strip_prefix(spec_dir).map_err(|_| outside())?;
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            std::path::Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or_else(|| ReleaseError::NonUtf8Path {
                        path: dir.to_path_buf(),
                    })?
                    .to_string(),
            ),
            std::path::Component::CurDir => {}
            _ => return Err(outside()),
        }
    }
    if parts.is_empty() {
        return Err(outside());
    }
    Ok(parts.join("/"))
}
