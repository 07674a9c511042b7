//! The `telemetry` table: the measured behaviour of each release in each
//! env, one coarse row per release every ~10 s (the daemon's telemetry
//! sampler writes them; release notes read them). The fine-grained ring the
//! canary analysis reads lives in the daemon's memory only.
//!
//! A row covers `period_ms` ending at `at`: the requests the proxy answered
//! for the release and their 5xx, the p50/p99 latency estimated from the
//! proxy's histogram over the period (`None` without requests), the CPU
//! seconds all the release's replicas used in the period (a sum), the mean
//! RSS **per replica** over the period (so releases with different replica
//! counts compare), and how many replicas were seen.
//!
//! Retention is bounded by age: each append deletes rows older than
//! [`DEFAULT_TELEMETRY_RETENTION`] (or [`Store::with_telemetry_retention`]).

use crate::{Store, StoreError, parse_timestamp};
use jiff::Timestamp;
use rusqlite::params;
use std::time::Duration;

/// How long telemetry rows are kept.
pub const DEFAULT_TELEMETRY_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// One release's measured behaviour over one period.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetrySummary {
    /// The end of the period.
    pub at: Timestamp,
    pub env: String,
    /// The engine's release string: the digest (`working-tree` for `up`).
    pub release_digest: String,
    pub period: Duration,
    pub requests: u64,
    pub errors_5xx: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// CPU time (user + system) of all the release's replicas in the period.
    pub cpu_seconds: f64,
    /// Mean RSS per replica over the period.
    pub rss_bytes: u64,
    pub replicas: u32,
}

/// A release's behaviour aggregated over many rows
/// ([`Store::release_behaviour`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseBehaviour {
    pub env: String,
    pub release_digest: String,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    /// Rows aggregated.
    pub periods: u64,
    pub requests: u64,
    pub errors_5xx: u64,
    /// Request-weighted means of the periods' quantiles.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub cpu_seconds: f64,
    /// Mean of the periods' per-replica mean RSS.
    pub rss_bytes: u64,
    /// The most replicas seen in one period.
    pub max_replicas: u32,
}

impl ReleaseBehaviour {
    /// CPU seconds per request, `None` without requests.
    pub fn cpu_per_request(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.cpu_seconds / self.requests as f64)
    }
}

impl Store {
    /// Keeps telemetry rows for `retention`; see [`DEFAULT_TELEMETRY_RETENTION`].
    pub fn with_telemetry_retention(mut self, retention: Duration) -> Self {
        self.telemetry_retention = retention;
        self
    }

    /// Appends rows in one transaction and deletes those past retention.
    pub fn append_telemetry(&self, rows: &[TelemetrySummary]) -> Result<(), StoreError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StoreError::query("append telemetry"))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO telemetry (at, at_ms, env, release_digest, period_ms, requests,
                        errors_5xx, p50_ms, p99_ms, cpu_seconds, rss_bytes, replicas)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(StoreError::query("append telemetry"))?;
            for row in rows {
                insert
                    .execute(params![
                        row.at.to_string(),
                        row.at.as_millisecond(),
                        row.env,
                        row.release_digest,
                        row.period.as_millis() as i64,
                        row.requests as i64,
                        row.errors_5xx as i64,
                        row.p50_ms,
                        row.p99_ms,
                        row.cpu_seconds,
                        row.rss_bytes as i64,
                        row.replicas,
                    ])
                    .map_err(StoreError::query("append telemetry"))?;
            }
        }
        let newest = rows
            .iter()
            .map(|row| row.at)
            .max()
            .unwrap_or_else(Timestamp::now);
        let horizon = newest.as_millisecond()
            - i64::try_from(self.telemetry_retention.as_millis()).unwrap_or(i64::MAX / 2);
        tx.execute("DELETE FROM telemetry WHERE at_ms < ?1", [horizon])
            .map_err(StoreError::query("trim telemetry"))?;
        tx.commit().map_err(StoreError::query("append telemetry"))
    }

    /// The rows of `release_digest` in `env` at or after `since`, oldest first.
    pub fn telemetry(
        &self,
        env: &str,
        release_digest: &str,
        since: Option<Timestamp>,
    ) -> Result<Vec<TelemetrySummary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, env, release_digest, period_ms, requests, errors_5xx, p50_ms, p99_ms,
                    cpu_seconds, rss_bytes, replicas
                 FROM telemetry WHERE env = ?1 AND release_digest = ?2 AND at_ms >= ?3
                 ORDER BY at_ms, id",
            )
            .map_err(StoreError::query("read telemetry"))?;
        let since = since.map_or(i64::MIN, |ts| ts.as_millisecond());
        let rows = stmt
            .query_map(params![env, release_digest, since], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    TelemetrySummary {
                        at: Timestamp::UNIX_EPOCH,
                        env: row.get(1)?,
                        release_digest: row.get(2)?,
                        period: Duration::from_millis(row.get::<_, i64>(3)?.max(0) as u64),
                        requests: row.get::<_, i64>(4)?.max(0) as u64,
                        errors_5xx: row.get::<_, i64>(5)?.max(0) as u64,
                        p50_ms: row.get(6)?,
                        p99_ms: row.get(7)?,
                        cpu_seconds: row.get(8)?,
                        rss_bytes: row.get::<_, i64>(9)?.max(0) as u64,
                        replicas: row.get(10)?,
                    },
                ))
            })
            .map_err(StoreError::query("read telemetry"))?;
        rows.map(|row| {
            let (at, mut summary) = row.map_err(StoreError::query("read telemetry"))?;
            summary.at = parse_timestamp(at)?;
            Ok(summary)
        })
        .collect()
    }

    /// Everything kept of `release_digest` in `env`, aggregated; `None`
    /// when nothing was measured (or it is past retention).
    pub fn release_behaviour(
        &self,
        env: &str,
        release_digest: &str,
    ) -> Result<Option<ReleaseBehaviour>, StoreError> {
        let rows = self.telemetry(env, release_digest, None)?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(None);
        };
        let requests: u64 = rows.iter().map(|r| r.requests).sum();
        let weighted = |pick: fn(&TelemetrySummary) -> Option<f64>| {
            let (sum, weight) = rows
                .iter()
                .filter_map(|r| pick(r).map(|value| (value * r.requests as f64, r.requests)))
                .fold((0.0, 0u64), |(s, w), (v, n)| (s + v, w + n));
            (weight > 0).then(|| sum / weight as f64)
        };
        Ok(Some(ReleaseBehaviour {
            env: env.to_string(),
            release_digest: release_digest.to_string(),
            first_at: first.at,
            last_at: last.at,
            periods: rows.len() as u64,
            requests,
            errors_5xx: rows.iter().map(|r| r.errors_5xx).sum(),
            p50_ms: weighted(|r| r.p50_ms),
            p99_ms: weighted(|r| r.p99_ms),
            cpu_seconds: rows.iter().map(|r| r.cpu_seconds).sum(),
            rss_bytes: (rows.iter().map(|r| u128::from(r.rss_bytes)).sum::<u128>()
                / rows.len() as u128) as u64,
            max_replicas: rows.iter().map(|r| r.replicas).max().unwrap_or(0),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at: &str, release: &str, requests: u64, p99: Option<f64>) -> TelemetrySummary {
        TelemetrySummary {
            at: at.parse().unwrap(),
            env: "prod".into(),
            release_digest: release.into(),
            period: Duration::from_secs(10),
            requests,
            errors_5xx: requests / 10,
            p50_ms: p99.map(|p| p / 4.0),
            p99_ms: p99,
            cpu_seconds: 0.5,
            rss_bytes: 40 << 20,
            replicas: 2,
        }
    }

    #[test]
    fn rows_round_trip_aggregate_per_release_and_age_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db"))
            .unwrap()
            .with_telemetry_retention(Duration::from_secs(60));
        let first = [
            row("2025-01-02T03:00:00Z", "sha256:11", 100, Some(10.0)),
            row("2025-01-02T03:00:10Z", "sha256:11", 300, Some(30.0)),
            row("2025-01-02T03:00:10Z", "sha256:22", 0, None),
        ];
        store.append_telemetry(&first).unwrap();
        assert_eq!(
            store.telemetry("prod", "sha256:11", None).unwrap(),
            first[..2].to_vec()
        );
        let behaviour = store
            .release_behaviour("prod", "sha256:11")
            .unwrap()
            .unwrap();
        assert_eq!(behaviour.requests, 400);
        assert_eq!(behaviour.errors_5xx, 40);
        assert_eq!(behaviour.p99_ms, Some(25.0)); // (100·10 + 300·30) / 400
        assert_eq!(behaviour.cpu_seconds, 1.0);
        assert_eq!(behaviour.cpu_per_request(), Some(1.0 / 400.0));
        assert_eq!(behaviour.rss_bytes, 40 << 20);
        assert_eq!(behaviour.periods, 2);
        let idle = store
            .release_behaviour("prod", "sha256:22")
            .unwrap()
            .unwrap();
        assert_eq!((idle.requests, idle.p99_ms), (0, None));
        assert!(
            store
                .release_behaviour("qa", "sha256:11")
                .unwrap()
                .is_none()
        );

        // 70 s later the first rows are past the 60 s retention.
        store
            .append_telemetry(&[row("2025-01-02T03:01:10Z", "sha256:11", 5, Some(1.0))])
            .unwrap();
        let kept = store.telemetry("prod", "sha256:11", None).unwrap();
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(kept[0].at, "2025-01-02T03:00:10Z".parse().unwrap());
        let since = store
            .telemetry(
                "prod",
                "sha256:11",
                Some("2025-01-02T03:00:11Z".parse().unwrap()),
            )
            .unwrap();
        assert_eq!(since.len(), 1);
    }
}
