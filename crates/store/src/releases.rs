//! The `releases` table: one row per imported bundle (the files are in
//! `$DAYTWO_HOME/releases/`, see `daytwo-release`), keyed by digest, with
//! what `daytwo releases` lists and the spec to run it (the manifest's whole
//! `Spec` rebased onto the release's directory, as JSON).

use crate::{Store, StoreError, parse_timestamp};
use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseRecord {
    /// `sha256:<64 hex>`.
    pub digest: String,
    pub app: String,
    pub version: String,
    /// Build time from the manifest.
    pub created: Timestamp,
    pub git_commit: Option<String>,
    pub git_dirty: bool,
    /// Key id of the signer.
    pub signer: String,
    /// The stored bundle file.
    pub bundle_path: String,
    /// The extracted payload: the release's working directory.
    pub app_dir: String,
    /// The whole `daytwo_spec::Spec` rebased onto `app_dir`, as JSON.
    pub spec_json: String,
    pub imported_at: Timestamp,
}

const COLUMNS: &str = "digest, app, version, created, git_commit, git_dirty, signer, \
                       bundle_path, app_dir, spec_json, imported_at";

impl ReleaseRecord {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<(ReleaseRecord, String, String)> {
        let record = ReleaseRecord {
            digest: row.get(0)?,
            app: row.get(1)?,
            version: row.get(2)?,
            created: Timestamp::UNIX_EPOCH,
            git_commit: row.get(4)?,
            git_dirty: row.get(5)?,
            signer: row.get(6)?,
            bundle_path: row.get(7)?,
            app_dir: row.get(8)?,
            spec_json: row.get(9)?,
            imported_at: Timestamp::UNIX_EPOCH,
        };
        Ok((record, row.get(3)?, row.get(10)?))
    }

    fn with_timestamps(
        (mut record, created, imported): (ReleaseRecord, String, String),
    ) -> Result<ReleaseRecord, StoreError> {
        record.created = parse_timestamp(created)?;
        record.imported_at = parse_timestamp(imported)?;
        Ok(record)
    }
}

impl Store {
    /// Records an imported release. A digest already recorded keeps its
    /// first record (the same content under another version label); returns
    /// whether a row was added.
    pub fn put_release(&self, record: &ReleaseRecord) -> Result<bool, StoreError> {
        let added = self
            .conn
            .execute(
                &format!(
                    "INSERT INTO releases ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (digest) DO NOTHING"
                ),
                params![
                    record.digest,
                    record.app,
                    record.version,
                    record.created.to_string(),
                    record.git_commit,
                    record.git_dirty,
                    record.signer,
                    record.bundle_path,
                    record.app_dir,
                    record.spec_json,
                    record.imported_at.to_string(),
                ],
            )
            .map_err(StoreError::query("put release"))?;
        Ok(added > 0)
    }

    /// The release with exactly this digest.
    pub fn release(&self, digest: &str) -> Result<Option<ReleaseRecord>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM releases WHERE digest = ?1"),
                [digest],
                ReleaseRecord::from_row,
            )
            .optional()
            .map_err(StoreError::query("read release"))?
            .map(ReleaseRecord::with_timestamps)
            .transpose()
    }

    /// All releases, newest import first.
    pub fn releases(&self) -> Result<Vec<ReleaseRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM releases ORDER BY imported_at DESC, digest"
            ))
            .map_err(StoreError::query("list releases"))?;
        let rows = stmt
            .query_map([], ReleaseRecord::from_row)
            .map_err(StoreError::query("list releases"))?;
        rows.map(|row| {
            ReleaseRecord::with_timestamps(row.map_err(StoreError::query("list releases"))?)
        })
        .collect()
    }

    /// The releases `name` may mean: the release whose version is `name`,
    /// else whose digest is `name`, else whose digest (with or without
    /// `sha256:`) starts with `name`. More than one match is ambiguous: the
    /// caller decides.
    pub fn find_releases(&self, name: &str) -> Result<Vec<ReleaseRecord>, StoreError> {
        let all = self.releases()?;
        let by_version: Vec<ReleaseRecord> =
            all.iter().filter(|r| r.version == name).cloned().collect();
        if !by_version.is_empty() {
            return Ok(by_version);
        }
        if let Some(exact) = all.iter().find(|r| r.digest == name) {
            return Ok(vec![exact.clone()]);
        }
        let prefix = name.strip_prefix("sha256:").unwrap_or(name);
        if prefix.is_empty() {
            return Ok(Vec::new());
        }
        Ok(all
            .into_iter()
            .filter(|r| {
                r.digest
                    .strip_prefix("sha256:")
                    .unwrap_or(&r.digest)
                    .starts_with(prefix)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(version: &str, hex: &str) -> ReleaseRecord {
        ReleaseRecord {
            digest: format!("sha256:{hex}"),
            app: "shop".into(),
            version: version.into(),
            created: "2025-01-02T03:04:05Z".parse().unwrap(),
            git_commit: Some("abc123".into()),
            git_dirty: false,
            signer: "0123456789abcdef".into(),
            bundle_path: format!("/home/releases/{hex}.tar.zst"),
            app_dir: format!("/home/releases/{hex}/app"),
            spec_json: "{}".into(),
            imported_at: "2025-01-02T03:04:06Z".parse().unwrap(),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_release_round_trips_and_keeps_its_first_record() {
        let (_dir, store) = store();
        let first = record("1.0.0", "aa11");
        assert!(store.put_release(&first).unwrap());
        assert!(!store.put_release(&record("1.0.0-again", "aa11")).unwrap());
        assert_eq!(store.release("sha256:aa11").unwrap(), Some(first));
        assert_eq!(store.release("sha256:bb").unwrap(), None);
    }

    #[test]
    fn releases_are_found_by_version_digest_or_unique_prefix() {
        let (_dir, store) = store();
        store.put_release(&record("1.0.0", "aa11")).unwrap();
        store.put_release(&record("2.0.0", "aa22")).unwrap();
        let versions = |name: &str| -> Vec<String> {
            store
                .find_releases(name)
                .unwrap()
                .into_iter()
                .map(|r| r.version)
                .collect()
        };
        assert_eq!(versions("2.0.0"), ["2.0.0"]);
        assert_eq!(versions("sha256:aa11"), ["1.0.0"]);
        assert_eq!(versions("aa2"), ["2.0.0"]);
        assert_eq!(versions("sha256:aa1"), ["1.0.0"]);
        assert_eq!(versions("aa").len(), 2, "ambiguous prefix");
        assert!(versions("zz").is_empty());
    }
}
