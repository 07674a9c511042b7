//! The `deployments` table: the history of deploys, promotes and rollbacks
//! per env. A row is written `running` (with the serialized deploy plan)
//! before anything changes and finished with its outcome; a row still
//! `running` when a daemon starts is a deploy its predecessor did not
//! finish, which the daemon reconciles.

use crate::{Store, StoreError, parse_timestamp};
use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

/// The outcome of a row that has not finished.
pub const RUNNING: &str = "running";

/// A release as history records it: version plus digest (`None` for a
/// working tree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedRelease {
    pub version: String,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentRecord {
    /// Assigned by [`Store::start_deployment`].
    pub id: i64,
    pub env: String,
    /// `deploy`, `promote` or `rollback`.
    pub kind: String,
    pub from: Option<DeployedRelease>,
    pub to: DeployedRelease,
    pub strategy: String,
    pub user: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// `running`, then `succeeded`, `failed`, `rolled_back` (the switch had
    /// begun: a canary guard failed, or a candidate during the switch),
    /// `reconciled-old`, `reconciled-new`.
    pub outcome: String,
    pub duration_ms: Option<u64>,
    pub message: Option<String>,
    pub logs: Vec<String>,
    /// The serialized deploy plan while `running`; cleared when finished.
    pub plan_json: Option<String>,
    /// The canary guard that rolled the deploy back (`memory_growth`,
    /// `error_rate`, …; `analysis_inconclusive` when the canary failed
    /// closed), `None` otherwise.
    pub failed_guard: Option<String>,
}

/// How a deployment ended.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentEnd {
    pub outcome: String,
    pub finished_at: Timestamp,
    pub message: Option<String>,
    pub logs: Vec<String>,
    /// See [`DeploymentRecord::failed_guard`].
    pub failed_guard: Option<String>,
}

const COLUMNS: &str = "id, env, kind, from_version, from_digest, to_version, to_digest, \
                       strategy, user, started_at, finished_at, outcome, duration_ms, message, \
                       logs_json, plan_json, failed_guard";

struct RawRow {
    record: DeploymentRecord,
    started_at: String,
    finished_at: Option<String>,
    logs_json: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    let from_version: Option<String> = row.get(3)?;
    let from_digest: Option<String> = row.get(4)?;
    let duration: Option<i64> = row.get(12)?;
    Ok(RawRow {
        record: DeploymentRecord {
            id: row.get(0)?,
            env: row.get(1)?,
            kind: row.get(2)?,
            from: from_version.map(|version| DeployedRelease {
                version,
                digest: from_digest,
            }),
            to: DeployedRelease {
                version: row.get(5)?,
                digest: row.get(6)?,
            },
            strategy: row.get(7)?,
            user: row.get(8)?,
            started_at: Timestamp::UNIX_EPOCH,
            finished_at: None,
            outcome: row.get(11)?,
            duration_ms: duration.map(|ms| ms.max(0) as u64),
            message: row.get(13)?,
            logs: Vec::new(),
            plan_json: row.get(15)?,
            failed_guard: row.get(16)?,
        },
        started_at: row.get(9)?,
        finished_at: row.get(10)?,
        logs_json: row.get(14)?,
    })
}

impl RawRow {
    fn finish(self) -> Result<DeploymentRecord, StoreError> {
        let mut record = self.record;
        record.started_at = parse_timestamp(self.started_at)?;
        record.finished_at = self.finished_at.map(parse_timestamp).transpose()?;
        record.logs = parse_logs(&self.logs_json)?;
        Ok(record)
    }
}

/// Logs are stored as a JSON array of strings.
fn parse_logs(json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|_| StoreError::Corrupt {
        what: "deployment logs",
        value: json.to_string(),
    })
}

fn logs_to_json(lines: &[String]) -> String {
    serde_json::to_string(lines).unwrap_or_else(|_| "[]".to_string())
}

impl Store {
    /// Records a deployment that starts now (`outcome` is `running`);
    /// returns its id.
    pub fn start_deployment(&self, record: &DeploymentRecord) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO deployments (env, kind, from_version, from_digest, to_version,
                    to_digest, strategy, user, started_at, finished_at, outcome, duration_ms,
                    message, logs_json, plan_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, NULL, ?11, ?12, ?13)",
                params![
                    record.env,
                    record.kind,
                    record.from.as_ref().map(|r| &r.version),
                    record.from.as_ref().and_then(|r| r.digest.as_ref()),
                    record.to.version,
                    record.to.digest,
                    record.strategy,
                    record.user,
                    record.started_at.to_string(),
                    RUNNING,
                    record.message,
                    logs_to_json(&record.logs),
                    record.plan_json,
                ],
            )
            .map_err(StoreError::query("start deployment"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Replaces the serialized plan of a running deployment.
    pub fn set_deployment_plan(&self, id: i64, plan_json: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE deployments SET plan_json = ?2 WHERE id = ?1",
                params![id, plan_json],
            )
            .map_err(StoreError::query("set deployment plan"))?;
        Ok(())
    }

    /// Records how deployment `id` ended (and forgets its plan); returns
    /// the finished record.
    pub fn finish_deployment(
        &self,
        id: i64,
        end: &DeploymentEnd,
    ) -> Result<Option<DeploymentRecord>, StoreError> {
        let Some(running) = self.deployment(id)? else {
            return Ok(None);
        };
        let duration =
            (end.finished_at.as_millisecond() - running.started_at.as_millisecond()).max(0);
        self.conn
            .execute(
                "UPDATE deployments SET outcome = ?2, finished_at = ?3, duration_ms = ?4,
                    message = ?5, logs_json = ?6, plan_json = NULL, failed_guard = ?7
                 WHERE id = ?1",
                params![
                    id,
                    end.outcome,
                    end.finished_at.to_string(),
                    duration,
                    end.message,
                    logs_to_json(&end.logs),
                    end.failed_guard,
                ],
            )
            .map_err(StoreError::query("finish deployment"))?;
        self.deployment(id)
    }

    pub fn deployment(&self, id: i64) -> Result<Option<DeploymentRecord>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM deployments WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()
            .map_err(StoreError::query("read deployment"))?
            .map(RawRow::finish)
            .transpose()
    }

    /// The history of `env` (all envs when `None`), newest first.
    pub fn deployments(&self, env: Option<&str>) -> Result<Vec<DeploymentRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM deployments WHERE ?1 IS NULL OR env = ?1 ORDER BY id DESC"
            ))
            .map_err(StoreError::query("list deployments"))?;
        let rows = stmt
            .query_map([env], from_row)
            .map_err(StoreError::query("list deployments"))?;
        rows.map(|row| row.map_err(StoreError::query("list deployments"))?.finish())
            .collect()
    }

    /// How many deployments ended each way, per env and kind:
    /// `(env, kind, outcome, count)`, sorted (for the metrics endpoint's
    /// `daytwo_deploys_total`). Running ones are included as `running`.
    pub fn deployment_outcome_counts(
        &self,
    ) -> Result<Vec<(String, String, String, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT env, kind, outcome, COUNT(*) FROM deployments
                 GROUP BY env, kind, outcome ORDER BY env, kind, outcome",
            )
            .map_err(StoreError::query("count deployments"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get::<_, i64>(3)?.max(0) as u64,
                ))
            })
            .map_err(StoreError::query("count deployments"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::query("count deployments"))
    }

    /// Deployments still `running` (left by a daemon that died), oldest first.
    pub fn running_deployments(&self) -> Result<Vec<DeploymentRecord>, StoreError> {
        let mut all = self.deployments(None)?;
        all.retain(|record| record.outcome == RUNNING);
        all.reverse();
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(env: &str) -> DeploymentRecord {
        DeploymentRecord {
            id: 0,
            env: env.into(),
            kind: "deploy".into(),
            from: Some(DeployedRelease {
                version: "1.0.0".into(),
                digest: Some("sha256:11".into()),
            }),
            to: DeployedRelease {
                version: "2.0.0".into(),
                digest: Some("sha256:22".into()),
            },
            strategy: "rolling".into(),
            user: "ana".into(),
            started_at: "2025-01-02T03:04:05Z".parse().unwrap(),
            finished_at: None,
            outcome: RUNNING.into(),
            duration_ms: None,
            message: None,
            logs: Vec::new(),
            plan_json: Some("{\"plan\":1}".into()),
            failed_guard: None,
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_deployment_runs_then_finishes_with_duration_and_logs() {
        let (_dir, store) = store();
        let id = store.start_deployment(&running("prod")).unwrap();
        assert_eq!(store.running_deployments().unwrap().len(), 1);
        let end = DeploymentEnd {
            outcome: "failed".into(),
            finished_at: "2025-01-02T03:04:07.500Z".parse().unwrap(),
            message: Some("preflight failed".into()),
            logs: vec!["line \"one\"".into(), "tab\there\\".into(), String::new()],
            failed_guard: None,
        };
        let finished = store.finish_deployment(id, &end).unwrap().unwrap();
        assert_eq!(finished.outcome, "failed");
        assert_eq!(finished.duration_ms, Some(2500));
        assert_eq!(finished.logs, end.logs);
        assert_eq!(finished.plan_json, None);
        assert_eq!(finished.from, running("prod").from);
        assert!(store.running_deployments().unwrap().is_empty());
    }

    #[test]
    fn history_is_per_env_newest_first() {
        let (_dir, store) = store();
        let a = store.start_deployment(&running("prod")).unwrap();
        let b = store.start_deployment(&running("qa")).unwrap();
        let c = store.start_deployment(&running("prod")).unwrap();
        let ids = |env| -> Vec<i64> {
            store
                .deployments(env)
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids(Some("prod")), [c, a]);
        assert_eq!(ids(None), [c, b, a]);
    }

    #[test]
    fn a_rolled_back_canary_keeps_its_failing_guard_and_outcomes_are_counted() {
        let (_dir, store) = store();
        let a = store.start_deployment(&running("prod")).unwrap();
        store.start_deployment(&running("prod")).unwrap();
        let end = DeploymentEnd {
            outcome: "rolled_back".into(),
            finished_at: "2025-01-02T03:05:05Z".parse().unwrap(),
            message: Some("the canary failed the memory_growth guard".into()),
            logs: Vec::new(),
            failed_guard: Some("memory_growth".into()),
        };
        let finished = store.finish_deployment(a, &end).unwrap().unwrap();
        assert_eq!(finished.outcome, "rolled_back");
        assert_eq!(finished.failed_guard.as_deref(), Some("memory_growth"));
        assert_eq!(
            store.deployments(Some("prod")).unwrap()[1]
                .failed_guard
                .as_deref(),
            Some("memory_growth")
        );
        assert_eq!(
            store.deployment_outcome_counts().unwrap(),
            vec![
                ("prod".into(), "deploy".into(), "rolled_back".into(), 1),
                ("prod".into(), "deploy".into(), RUNNING.into(), 1),
            ]
        );
    }
}
