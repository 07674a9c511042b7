//! The `incidents` table: something went wrong in an env and daytwo (or a
//! person) acted on it — a canary rolled back by a guard, later the
//! steady-state watch's remediations. One row per incident: when it opened,
//! when it closed (`None` while open), the guard that raised it, a one-line
//! summary, the release it is about and the deployment it belongs to.
//!
//! The timeline of an incident is read from the event log
//! ([`Store::incident_timeline`]): the env's events from the start of its
//! deployment (or its opening) to its close (or now).
//!
//! ```text
//! open_incident(NewIncident) -> id ─> close_incident(id, at) ─> incidents(env, limit) / incident(id) / incident_timeline(id)
//! ```

use crate::{DeployedRelease, EventRecord, Store, StoreError, parse_timestamp};
use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

/// An incident as it opens.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub env: String,
    /// The release the incident is about (the canary's candidate).
    pub release: Option<DeployedRelease>,
    /// The deployment it happened in, when it happened in one.
    pub deployment_id: Option<i64>,
    pub opened_at: Timestamp,
    /// The guard that raised it (`memory_growth`, `error_rate`, …).
    pub guard: Option<String>,
    /// One line for people: what was seen and what was done.
    pub summary: String,
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub id: i64,
    pub env: String,
    pub release: Option<DeployedRelease>,
    pub deployment_id: Option<i64>,
    pub opened_at: Timestamp,
    /// `None` while the incident is open.
    pub closed_at: Option<Timestamp>,
    pub guard: Option<String>,
    pub summary: String,
}

const COLUMNS: &str =
    "id, env, release, release_digest, deployment_id, opened_at, closed_at, guard, summary";

type RawIncident = (IncidentRecord, String, Option<String>);

fn from_row(row: &Row<'_>) -> rusqlite::Result<RawIncident> {
    let release: Option<String> = row.get(2)?;
    let digest: Option<String> = row.get(3)?;
    Ok((
        IncidentRecord {
            id: row.get(0)?,
            env: row.get(1)?,
            release: release.map(|version| DeployedRelease { version, digest }),
            deployment_id: row.get(4)?,
            opened_at: Timestamp::UNIX_EPOCH,
            closed_at: None,
            guard: row.get(7)?,
            summary: row.get(8)?,
        },
        row.get(5)?,
        row.get(6)?,
    ))
}

fn finish((mut record, opened, closed): RawIncident) -> Result<IncidentRecord, StoreError> {
    record.opened_at = parse_timestamp(opened)?;
    record.closed_at = closed.map(parse_timestamp).transpose()?;
    Ok(record)
}

impl Store {
    /// Records an incident that opened at `incident.opened_at`; returns its id.
    pub fn open_incident(&self, incident: &NewIncident) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO incidents (env, release, release_digest, deployment_id, opened_at,
                    closed_at, guard, summary)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)",
                params![
                    incident.env,
                    incident.release.as_ref().map(|r| &r.version),
                    incident.release.as_ref().and_then(|r| r.digest.as_ref()),
                    incident.deployment_id,
                    incident.opened_at.to_string(),
                    incident.guard,
                    incident.summary,
                ],
            )
            .map_err(StoreError::query("open incident"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Closes incident `id` at `at` (a no-op when it is closed already);
    /// `summary`, when given, replaces its summary (e.g. with what the
    /// remediation did). Returns the record, `None` for an unknown id.
    pub fn close_incident(
        &self,
        id: i64,
        at: Timestamp,
        summary: Option<&str>,
    ) -> Result<Option<IncidentRecord>, StoreError> {
        self.conn
            .execute(
                "UPDATE incidents SET closed_at = COALESCE(closed_at, ?2),
                    summary = COALESCE(?3, summary)
                 WHERE id = ?1",
                params![id, at.to_string(), summary],
            )
            .map_err(StoreError::query("close incident"))?;
        self.incident(id)
    }

    pub fn incident(&self, id: i64) -> Result<Option<IncidentRecord>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM incidents WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()
            .map_err(StoreError::query("read incident"))?
            .map(finish)
            .transpose()
    }

    /// The newest `limit` incidents of `env` (all envs when `None`), newest first.
    pub fn incidents(
        &self,
        env: Option<&str>,
        limit: u32,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM incidents WHERE ?1 IS NULL OR env = ?1
                 ORDER BY id DESC LIMIT ?2"
            ))
            .map_err(StoreError::query("list incidents"))?;
        let rows = stmt
            .query_map(params![env, limit], from_row)
            .map_err(StoreError::query("list incidents"))?;
        rows.map(|row| finish(row.map_err(StoreError::query("list incidents"))?))
            .collect()
    }

    /// Open incidents per env: `(env, count)`, sorted.
    pub fn open_incident_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT env, COUNT(*) FROM incidents WHERE closed_at IS NULL
                 GROUP BY env ORDER BY env",
            )
            .map_err(StoreError::query("count incidents"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get(0)?, row.get::<_, i64>(1)?.max(0) as u64))
            })
            .map_err(StoreError::query("count incidents"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::query("count incidents"))
    }

    /// Incident `id` with its timeline: the env's events from the start of
    /// its deployment (its opening when it has none) to its close (now
    /// while open), oldest first, at most `limit` (the newest).
    pub fn incident_timeline(
        &self,
        id: i64,
        limit: u32,
    ) -> Result<Option<(IncidentRecord, Vec<EventRecord>)>, StoreError> {
        let Some(incident) = self.incident(id)? else {
            return Ok(None);
        };
        let from = match incident.deployment_id {
            Some(deployment) => self
                .deployment(deployment)?
                .map_or(incident.opened_at, |d| d.started_at.min(incident.opened_at)),
            None => incident.opened_at,
        };
        let to = incident.closed_at.unwrap_or_else(Timestamp::now);
        let events = self.events_between(Some(&incident.env), from, to, limit)?;
        Ok(Some((incident, events)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DeploymentRecord, NewEvent, RUNNING};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn event(at: &str, env: &str, kind: &str) -> NewEvent {
        NewEvent {
            ts: ts(at),
            env: Some(env.to_string()),
            ..NewEvent::new(kind, kind)
        }
    }

    #[test]
    fn an_incident_opens_closes_and_reads_its_timeline_from_the_event_log() {
        let (_dir, store) = store();
        let deployment = store
            .start_deployment(&DeploymentRecord {
                id: 0,
                env: "prod".into(),
                kind: "deploy".into(),
                from: None,
                to: DeployedRelease {
                    version: "2.0.0".into(),
                    digest: Some("sha256:22".into()),
                },
                strategy: "canary".into(),
                user: "ana".into(),
                started_at: ts("2025-01-02T03:00:00Z"),
                finished_at: None,
                outcome: RUNNING.into(),
                duration_ms: None,
                message: None,
                logs: Vec::new(),
                plan_json: None,
                failed_guard: None,
            })
            .unwrap();
        for (at, env, kind) in [
            ("2025-01-02T02:59:59Z", "prod", "before"),
            ("2025-01-02T03:00:01Z", "prod", "canary.step"),
            ("2025-01-02T03:00:02Z", "qa", "other env"),
            ("2025-01-02T03:00:20.5Z", "prod", "canary.guard_failed"),
            ("2025-01-02T03:00:21Z", "prod", "canary.rolled_back"),
            ("2025-01-02T03:00:30Z", "prod", "after"),
        ] {
            store.append_event(event(at, env, kind)).unwrap();
        }
        let id = store
            .open_incident(&NewIncident {
                env: "prod".into(),
                release: Some(DeployedRelease {
                    version: "2.0.0".into(),
                    digest: Some("sha256:22".into()),
                }),
                deployment_id: Some(deployment),
                opened_at: ts("2025-01-02T03:00:20.5Z"),
                guard: Some("memory_growth".into()),
                summary: "leak".into(),
            })
            .unwrap();
        assert_eq!(
            store.open_incident_counts().unwrap(),
            vec![("prod".into(), 1)]
        );
        let closed = store
            .close_incident(id, ts("2025-01-02T03:00:21Z"), Some("leak; rolled back"))
            .unwrap()
            .unwrap();
        assert_eq!(closed.closed_at, Some(ts("2025-01-02T03:00:21Z")));
        assert_eq!(closed.summary, "leak; rolled back");
        assert_eq!(closed.guard.as_deref(), Some("memory_growth"));
        // Closing again keeps the first close.
        let again = store
            .close_incident(id, ts("2025-01-02T04:00:00Z"), None)
            .unwrap()
            .unwrap();
        assert_eq!(again.closed_at, closed.closed_at);
        assert!(store.open_incident_counts().unwrap().is_empty());

        let (incident, timeline) = store.incident_timeline(id, 100).unwrap().unwrap();
        assert_eq!(incident, again);
        let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["canary.step", "canary.guard_failed", "canary.rolled_back"]
        );
        assert_eq!(store.incidents(Some("prod"), 10).unwrap(), vec![again]);
        assert!(store.incidents(Some("qa"), 10).unwrap().is_empty());
        assert!(store.incident_timeline(id + 1, 10).unwrap().is_none());
    }
}
