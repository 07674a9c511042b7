//! The `flag_changes` table: every run-time flag change (`daytwo flags
//! set`), with who, why and old → new, so `daytwo flags history` can tell
//! the story and a restarted daemon (or a redeploy) re-applies the latest
//! value of each flag. And `flag_servers`: the port each env's OFREP server
//! listens on, so a restarted daemon serves the URL its replicas were given.

use crate::{Store, StoreError, parse_timestamp};
use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

/// A change to record. Values are JSON text (the store does not look inside).
#[derive(Debug, Clone, PartialEq)]
pub struct NewFlagChange {
    pub env: String,
    pub flag: String,
    pub old_json: String,
    pub new_json: String,
    pub user: String,
    pub reason: String,
    pub at: Timestamp,
}

/// A recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagChangeRecord {
    pub id: i64,
    pub env: String,
    pub flag: String,
    pub old_json: String,
    pub new_json: String,
    pub user: String,
    pub reason: String,
    pub at: Timestamp,
}

impl Store {
    pub fn append_flag_change(&self, change: &NewFlagChange) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO flag_changes (env, flag, old_json, new_json, user, reason, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    change.env,
                    change.flag,
                    change.old_json,
                    change.new_json,
                    change.user,
                    change.reason,
                    change.at.to_string(),
                ],
            )
            .map_err(StoreError::query("append flag change"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Changes of `env` (all envs when `None`) and flag `flag` (all when
    /// `None`), oldest first.
    pub fn flag_changes(
        &self,
        env: Option<&str>,
        flag: Option<&str>,
    ) -> Result<Vec<FlagChangeRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, env, flag, old_json, new_json, user, reason, at FROM flag_changes
                 WHERE (?1 IS NULL OR env = ?1) AND (?2 IS NULL OR flag = ?2)
                 ORDER BY id",
            )
            .map_err(StoreError::query("list flag changes"))?;
        let rows = stmt
            .query_map(params![env, flag], |row| {
                Ok((
                    FlagChangeRecord {
                        id: row.get(0)?,
                        env: row.get(1)?,
                        flag: row.get(2)?,
                        old_json: row.get(3)?,
                        new_json: row.get(4)?,
                        user: row.get(5)?,
                        reason: row.get(6)?,
                        at: Timestamp::UNIX_EPOCH,
                    },
                    row.get::<_, String>(7)?,
                ))
            })
            .map_err(StoreError::query("list flag changes"))?;
        let mut changes = Vec::new();
        for row in rows {
            let (mut record, at) = row.map_err(StoreError::query("list flag changes"))?;
            record.at = parse_timestamp(at)?;
            changes.push(record);
        }
        Ok(changes)
    }

    /// The port env `env`'s OFREP server last listened on.
    pub fn flag_port(&self, env: &str) -> Result<Option<u16>, StoreError> {
        self.conn
            .query_row(
                "SELECT port FROM flag_servers WHERE env = ?1",
                [env],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::query("read flag port"))
    }

    pub fn set_flag_port(&self, env: &str, port: u16) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO flag_servers (env, port) VALUES (?1, ?2)
                 ON CONFLICT (env) DO UPDATE SET port = excluded.port",
                params![env, port],
            )
            .map_err(StoreError::query("set flag port"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_changes_and_ports_are_kept_per_env() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        let change = |env: &str, flag: &str, new: &str| NewFlagChange {
            env: env.into(),
            flag: flag.into(),
            old_json: "false".into(),
            new_json: new.into(),
            user: "ada".into(),
            reason: "incident".into(),
            at: Timestamp::UNIX_EPOCH,
        };
        store
            .append_flag_change(&change("prod", "analytics", "true"))
            .unwrap();
        store
            .append_flag_change(&change("qa", "analytics", "true"))
            .unwrap();
        store
            .append_flag_change(&change("prod", "analytics", "false"))
            .unwrap();
        let prod = store.flag_changes(Some("prod"), Some("analytics")).unwrap();
        assert_eq!(
            prod.iter().map(|c| c.new_json.as_str()).collect::<Vec<_>>(),
            ["true", "false"]
        );
        assert_eq!(prod[0].reason, "incident");
        assert_eq!(store.flag_changes(None, None).unwrap().len(), 3);
        assert_eq!(store.flag_port("prod").unwrap(), None);
        store.set_flag_port("prod", 41000).unwrap();
        store.set_flag_port("prod", 41001).unwrap();
        assert_eq!(store.flag_port("prod").unwrap(), Some(41001));
    }
}
