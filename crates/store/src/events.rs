//! The `events` table: an append-only log of what happened (replica started,
//! crashed, restarted; env up and down; daemon start), read by `daytwo events`.
//!
//! Retention is bounded by count: after each append only the newest
//! [`DEFAULT_EVENT_RETENTION`] events are kept (ids keep growing, they are
//! never reused), so the file cannot grow without limit under a crash loop.

use crate::{Store, StoreError, parse_timestamp};
use daytwo_types::ReplicaKey;
use jiff::Timestamp;
use rusqlite::params;

/// How many events the store keeps (the newest).
pub const DEFAULT_EVENT_RETENTION: u32 = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub ts: Timestamp,
    pub env: Option<String>,
    pub replica: Option<ReplicaKey>,
    /// Machine-readable kind, e.g. `replica.crashed`, `env.up`.
    pub kind: String,
    pub message: String,
}

impl NewEvent {
    /// An event of no particular env, happening now.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            ts: Timestamp::now(),
            env: None,
            replica: None,
            kind: kind.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub ts: Timestamp,
    pub env: Option<String>,
    pub replica: Option<ReplicaKey>,
    pub kind: String,
    pub message: String,
}

impl Store {
    /// Appends an event and returns its id. An event about a replica belongs
    /// to the replica's env even when `env` is not given.
    pub fn append_event(&self, event: NewEvent) -> Result<i64, StoreError> {
        let env = event
            .env
            .or_else(|| event.replica.as_ref().map(|key| key.env.clone()));
        let (process, replica) = match &event.replica {
            Some(key) => (Some(key.process.as_str()), Some(key.replica)),
            None => (None, None),
        };
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StoreError::query("append event"))?;
        tx.execute(
            "INSERT INTO events (ts, env, process, replica, kind, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                event.ts.to_string(),
                env,
                process,
                replica,
                event.kind,
                event.message
            ],
        )
        .map_err(StoreError::query("append event"))?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "DELETE FROM events WHERE id <= ?1",
            [id - i64::from(self.event_retention)],
        )
        .map_err(StoreError::query("trim events"))?;
        tx.commit().map_err(StoreError::query("append event"))?;
        Ok(id)
    }

    /// The newest `limit` events of `env` (all when `None`), oldest first.
    pub fn events(&self, env: Option<&str>, limit: u32) -> Result<Vec<EventRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, ts, env, process, replica, kind, message FROM events
                 WHERE ?1 IS NULL OR env = ?1
                 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(StoreError::query("list events"))?;
        let rows = stmt
            .query_map(params![env, limit], |row| {
                let env: Option<String> = row.get(2)?;
                let process: Option<String> = row.get(3)?;
                let replica: Option<u32> = row.get(4)?;
                let key = match (&env, process, replica) {
                    (Some(env), Some(process), Some(replica)) => {
                        Some(ReplicaKey::new(env.clone(), process, replica))
                    }
                    _ => None,
                };
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    env,
                    key,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                ))
            })
            .map_err(StoreError::query("list events"))?;
        let mut events = Vec::new();
        for row in rows {
            let (id, ts, env, replica, kind, message) =
                row.map_err(StoreError::query("list events"))?;
            events.push(EventRecord {
                id,
                ts: parse_timestamp(ts)?,
                env,
                replica,
                kind,
                message,
            });
        }
        events.reverse();
        Ok(events)
    }

    /// The events of `env` (all when `None`) whose time is within
    /// `from..=to`, oldest first, at most `limit` (the newest of them).
    /// Timestamps are compared as times, not as text.
    pub fn events_between(
        &self,
        env: Option<&str>,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let mut events = self.events(env, self.event_retention)?;
        events.retain(|event| from <= event.ts && event.ts <= to);
        let skip = events.len().saturating_sub(limit as usize);
        Ok(events.split_off(skip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    fn event(env: Option<&str>, kind: &str) -> NewEvent {
        NewEvent {
            env: env.map(str::to_string),
            ..NewEvent::new(kind, format!("{kind} happened"))
        }
    }

    #[test]
    fn events_round_trip_with_their_replica() {
        let (_dir, store) = store();
        let ts: Timestamp = "2025-06-01T12:00:00.5Z".parse().unwrap();
        let id = store
            .append_event(NewEvent {
                ts,
                env: None,
                replica: Some(ReplicaKey::new("dev", "web", 2)),
                kind: "replica.crashed".to_string(),
                message: "exited with status 1".to_string(),
            })
            .unwrap();
        assert_eq!(
            store.events(None, 10).unwrap(),
            vec![EventRecord {
                id,
                ts,
                env: Some("dev".to_string()),
                replica: Some(ReplicaKey::new("dev", "web", 2)),
                kind: "replica.crashed".to_string(),
                message: "exited with status 1".to_string(),
            }]
        );
    }

    #[test]
    fn events_are_the_newest_of_the_env_oldest_first() {
        let (_dir, store) = store();
        for (env, kind) in [
            (Some("dev"), "a"),
            (Some("qa"), "b"),
            (None, "c"),
            (Some("dev"), "d"),
            (Some("dev"), "e"),
        ] {
            store.append_event(event(env, kind)).unwrap();
        }
        let kinds = |env, limit| -> Vec<String> {
            store
                .events(env, limit)
                .unwrap()
                .into_iter()
                .map(|e| e.kind)
                .collect()
        };
        assert_eq!(kinds(Some("dev"), 2), ["d", "e"]);
        assert_eq!(kinds(Some("dev"), 10), ["a", "d", "e"]);
        assert_eq!(kinds(None, 3), ["c", "d", "e"]);
    }

    #[test]
    fn only_the_newest_events_are_retained() {
        let (_dir, store) = store();
        let store = store.with_event_retention(3);
        let ids: Vec<i64> = (0..5)
            .map(|n| store.append_event(event(None, &n.to_string())).unwrap())
            .collect();
        let kept: Vec<i64> = store
            .events(None, 100)
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(kept, ids[2..]);
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids grow");
    }
}
