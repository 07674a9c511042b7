//! The `envs` table: one row per env that is up, with the effective spec it
//! was started from (serialized `EnvSpec`) and its release. The daemon writes
//! the row *before* starting replicas, so a daemon that dies half-way still
//! re-adopts what it started. A deployed env also records its release's
//! digest and the routing the last deploy set (serialized
//! `daytwo_rollout::Routing`), so a restarted daemon routes as before.

use crate::{Store, StoreError, parse_timestamp};
use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

#[derive(Debug, Clone, PartialEq)]
pub struct EnvRecord {
    pub name: String,
    pub app: String,
    /// The env's effective spec as JSON (a serialized `daytwo_spec::EnvSpec`).
    pub spec_json: String,
    /// The release's version (`working-tree` for `daytwo up`).
    pub release: String,
    /// The release's digest (`sha256:…`); `None` for a working tree.
    pub release_digest: Option<String>,
    /// The routing a deploy set (JSON); `None`: every healthy replica serves.
    pub routing_json: Option<String>,
    pub listen: Option<String>,
    /// Absolute path of the spec file.
    pub spec_file: String,
    pub updated_at: Timestamp,
}

const COLUMNS: &str =
    "name, app, spec_json, release, listen, spec_file, updated_at, release_digest, routing_json";

impl EnvRecord {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<(EnvRecord, String)> {
        let record = EnvRecord {
            name: row.get(0)?,
            app: row.get(1)?,
            spec_json: row.get(2)?,
            release: row.get(3)?,
            listen: row.get(4)?,
            spec_file: row.get(5)?,
            updated_at: Timestamp::UNIX_EPOCH,
            release_digest: row.get(7)?,
            routing_json: row.get(8)?,
        };
        Ok((record, row.get(6)?))
    }

    fn with_timestamp((mut record, text): (EnvRecord, String)) -> Result<EnvRecord, StoreError> {
        record.updated_at = parse_timestamp(text)?;
        Ok(record)
    }
}

impl Store {
    /// Inserts or replaces the env named `record.name`; its replica rows stay.
    pub fn put_env(&self, record: &EnvRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO envs (name, app, spec_json, release, listen, spec_file, updated_at,
                                   release_digest, routing_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (name) DO UPDATE SET
                    app = excluded.app, spec_json = excluded.spec_json,
                    release = excluded.release, listen = excluded.listen,
                    spec_file = excluded.spec_file, updated_at = excluded.updated_at,
                    release_digest = excluded.release_digest,
                    routing_json = excluded.routing_json",
                params![
                    record.name,
                    record.app,
                    record.spec_json,
                    record.release,
                    record.listen,
                    record.spec_file,
                    record.updated_at.to_string(),
                    record.release_digest,
                    record.routing_json,
                ],
            )
            .map_err(StoreError::query("put env"))?;
        Ok(())
    }

    /// Records the routing of env `name` (JSON, or `None` for "every healthy
    /// replica"). Returns whether the env exists.
    pub fn set_env_routing(
        &self,
        name: &str,
        routing_json: Option<&str>,
    ) -> Result<bool, StoreError> {
        let updated = self
            .conn
            .execute(
                "UPDATE envs SET routing_json = ?2 WHERE name = ?1",
                params![name, routing_json],
            )
            .map_err(StoreError::query("set env routing"))?;
        Ok(updated > 0)
    }

    pub fn env(&self, name: &str) -> Result<Option<EnvRecord>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM envs WHERE name = ?1"),
                [name],
                EnvRecord::from_row,
            )
            .optional()
            .map_err(StoreError::query("read env"))?
            .map(EnvRecord::with_timestamp)
            .transpose()
    }

    /// All envs, by name.
    pub fn envs(&self) -> Result<Vec<EnvRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM envs ORDER BY name"))
            .map_err(StoreError::query("list envs"))?;
        let rows = stmt
            .query_map([], EnvRecord::from_row)
            .map_err(StoreError::query("list envs"))?;
        rows.map(|row| EnvRecord::with_timestamp(row.map_err(StoreError::query("list envs"))?))
            .collect()
    }

    /// Deletes the env and (by cascade) its replica rows. Returns whether it existed.
    pub fn delete_env(&self, name: &str) -> Result<bool, StoreError> {
        let deleted = self
            .conn
            .execute("DELETE FROM envs WHERE name = ?1", [name])
            .map_err(StoreError::query("delete env"))?;
        Ok(deleted > 0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn record(name: &str) -> EnvRecord {
        EnvRecord {
            name: name.to_string(),
            app: "hello".to_string(),
            spec_json: format!(r#"{{"env":"{name}"}}"#),
            release: "working-tree".to_string(),
            release_digest: None,
            routing_json: None,
            listen: Some("127.0.0.1:18080".to_string()),
            spec_file: "/srv/hello/daytwo.toml".to_string(),
            updated_at: "2025-01-02T03:04:05.678Z".parse().unwrap(),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn put_env_round_trips_every_field() {
        let (_dir, store) = store();
        let dev = record("dev");
        store.put_env(&dev).unwrap();
        assert_eq!(store.env("dev").unwrap(), Some(dev));
        assert_eq!(store.env("prod").unwrap(), None);
    }

    #[test]
    fn put_env_replaces_an_existing_env() {
        let (_dir, store) = store();
        store.put_env(&record("dev")).unwrap();
        let mut newer = record("dev");
        newer.release = "1.0.0".to_string();
        newer.release_digest = Some("sha256:abc".to_string());
        newer.routing_json = Some("{}".to_string());
        newer.listen = None;
        store.put_env(&newer).unwrap();
        assert_eq!(store.envs().unwrap(), vec![newer]);
    }

    #[test]
    fn envs_are_listed_by_name() {
        let (_dir, store) = store();
        for name in ["qa", "dev", "prod"] {
            store.put_env(&record(name)).unwrap();
        }
        let names: Vec<_> = store.envs().unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["dev", "prod", "qa"]);
    }

    #[test]
    fn delete_env_reports_whether_it_existed() {
        let (_dir, store) = store();
        store.put_env(&record("dev")).unwrap();
        assert!(store.delete_env("dev").unwrap());
        assert!(!store.delete_env("dev").unwrap());
        assert!(store.envs().unwrap().is_empty());
    }
}
