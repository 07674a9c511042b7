//! The `replicas` table: the last known status of each replica, as an opaque
//! JSON document (the engine's `ReplicaStatus`, serialized by the daemon),
//! keyed by `(env, process, replica)`. A restarted daemon reads these rows to
//! re-adopt live replicas (pid and process start time are in the document).
//!
//! Rows belong to an env row and vanish with it; a status reported for an env
//! that is no longer recorded (a late event after `down`) is ignored.

use crate::{Store, StoreError};
use daytwo_types::ReplicaKey;
use rusqlite::params;

#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaRecord {
    pub key: ReplicaKey,
    /// The status document as stored.
    pub status_json: String,
}

impl Store {
    /// Records the status of `key`. Returns `false` (and stores nothing) when
    /// the env has no row, i.e. it was taken down meanwhile.
    pub fn put_replica(&self, key: &ReplicaKey, status_json: &str) -> Result<bool, StoreError> {
        let written = self
            .conn
            .execute(
                "INSERT INTO replicas (env, process, replica, status)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM envs WHERE name = ?1)
                 ON CONFLICT (env, process, replica) DO UPDATE SET status = excluded.status",
                params![key.env, key.process, key.replica, status_json],
            )
            .map_err(StoreError::query("put replica"))?;
        Ok(written > 0)
    }

    /// Forgets one replica (e.g. scaled away). Returns whether it was recorded.
    pub fn delete_replica(&self, key: &ReplicaKey) -> Result<bool, StoreError> {
        let deleted = self
            .conn
            .execute(
                "DELETE FROM replicas WHERE env = ?1 AND process = ?2 AND replica = ?3",
                params![key.env, key.process, key.replica],
            )
            .map_err(StoreError::query("delete replica"))?;
        Ok(deleted > 0)
    }

    /// The recorded replicas of `env` (all envs when `None`), ordered by
    /// env, process and replica number.
    pub fn replicas(&self, env: Option<&str>) -> Result<Vec<ReplicaRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT env, process, replica, status FROM replicas
                 WHERE ?1 IS NULL OR env = ?1
                 ORDER BY env, process, replica",
            )
            .map_err(StoreError::query("list replicas"))?;
        let rows = stmt
            .query_map([env], |row| {
                Ok(ReplicaRecord {
                    key: ReplicaKey::new(
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get(2)?,
                    ),
                    status_json: row.get(3)?,
                })
            })
            .map_err(StoreError::query("list replicas"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::query("list replicas"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envs::tests::record;

    fn store_with_envs(names: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        for name in names {
            store.put_env(&record(name)).unwrap();
        }
        (dir, store)
    }

    #[test]
    fn put_replica_inserts_then_updates_the_status() {
        let (_dir, store) = store_with_envs(&["dev"]);
        let key = ReplicaKey::new("dev", "web", 1);
        assert!(store.put_replica(&key, r#"{"state":"starting"}"#).unwrap());
        assert!(store.put_replica(&key, r#"{"state":"healthy"}"#).unwrap());
        assert_eq!(
            store.replicas(Some("dev")).unwrap(),
            vec![ReplicaRecord {
                key,
                status_json: r#"{"state":"healthy"}"#.to_string()
            }]
        );
    }

    #[test]
    fn replicas_filter_by_env_and_sort_by_key() {
        let (_dir, store) = store_with_envs(&["dev", "qa"]);
        for key in [
            ReplicaKey::new("qa", "web", 1),
            ReplicaKey::new("dev", "worker", 1),
            ReplicaKey::new("dev", "web", 2),
            ReplicaKey::new("dev", "web", 1),
        ] {
            store.put_replica(&key, "{}").unwrap();
        }
        let keys = |env| -> Vec<String> {
            store
                .replicas(env)
                .unwrap()
                .into_iter()
                .map(|r| r.key.to_string())
                .collect()
        };
        assert_eq!(
            keys(Some("dev")),
            ["dev/web.1", "dev/web.2", "dev/worker.1"]
        );
        assert_eq!(
            keys(None),
            ["dev/web.1", "dev/web.2", "dev/worker.1", "qa/web.1"]
        );
        assert!(keys(Some("prod")).is_empty());
    }

    #[test]
    fn status_of_an_env_that_is_not_recorded_is_ignored() {
        let (_dir, store) = store_with_envs(&[]);
        let key = ReplicaKey::new("gone", "web", 1);
        assert!(!store.put_replica(&key, "{}").unwrap());
        assert!(store.replicas(None).unwrap().is_empty());
    }

    #[test]
    fn deleting_an_env_deletes_its_replicas() {
        let (_dir, store) = store_with_envs(&["dev", "qa"]);
        store
            .put_replica(&ReplicaKey::new("dev", "web", 1), "{}")
            .unwrap();
        store
            .put_replica(&ReplicaKey::new("qa", "web", 1), "{}")
            .unwrap();
        store.delete_env("dev").unwrap();
        let left: Vec<_> = store
            .replicas(None)
            .unwrap()
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(left, vec![ReplicaKey::new("qa", "web", 1)]);
    }

    #[test]
    fn delete_replica_forgets_one_replica() {
        let (_dir, store) = store_with_envs(&["dev"]);
        let one = ReplicaKey::new("dev", "web", 1);
        let two = ReplicaKey::new("dev", "web", 2);
        store.put_replica(&one, "{}").unwrap();
        store.put_replica(&two, "{}").unwrap();
        assert!(store.delete_replica(&two).unwrap());
        assert!(!store.delete_replica(&two).unwrap());
        let left: Vec<_> = store
            .replicas(None)
            .unwrap()
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(left, vec![one]);
    }
}
