//! The analytics feature of daytwo's story, bug included: per-request
//! statistics kept in memory, keyed by (minute, path, user agent, sample)
//! and **never evicted**. Every recorded request adds a new key with
//! `SHOP_ANALYTICS_BYTES` of payload, so a replica's memory grows for as
//! long as the feature is on: the leak canary analysis is meant to catch.
//!
//! The feature also keeps per-minute request counts by (path, user agent)
//! and adds them to the `analytics_rollups` table (created by the expand-only
//! migration `migrations/0002_analytics.sql`) every `SHOP_ANALYTICS_FLUSH_MS`
//! and when the web process stops. Those counts are drained by every flush,
//! so they stay small; the leak is the bucket map above. A release without
//! the feature never touches the table.
//!
//! The `analytics` flag is its kill switch: while it is off nothing is
//! recorded (what was recorded stays; the growth stops). `/healthz` and
//! `/analytics` itself are never recorded.

use crate::config::ConfigError;
use crate::db::{Db, DbError};
use crate::flags::BoolFlag;
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Payload bytes one recorded request adds (a per-request latency sample
/// buffer, in the story's design).
pub const DEFAULT_BYTES_PER_REQUEST: usize = 16 * 1024;
/// The most `SHOP_ANALYTICS_BYTES` may ask for.
pub const MAX_BYTES_PER_REQUEST: usize = 16 * 1024 * 1024;
/// An "analytics buckets" line is logged every this many recorded requests.
pub const DEFAULT_LOG_EVERY: u64 = 100;
/// How often the counts are added to `analytics_rollups`.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(10);
/// The shortest `SHOP_ANALYTICS_FLUSH_MS`.
pub const MIN_FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// What one entry costs beyond its payload and key text (map slot, headers).
const ENTRY_OVERHEAD_BYTES: usize = 96;

/// `SHOP_ANALYTICS_BYTES`, `SHOP_ANALYTICS_LOG_EVERY` and `SHOP_ANALYTICS_FLUSH_MS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyticsConfig {
    pub bytes_per_request: usize,
    pub log_every: u64,
    pub flush_interval: Duration,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            bytes_per_request: DEFAULT_BYTES_PER_REQUEST,
            log_every: DEFAULT_LOG_EVERY,
            flush_interval: DEFAULT_FLUSH_INTERVAL,
        }
    }
}

impl AnalyticsConfig {
    pub fn load(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(value) = lookup("SHOP_ANALYTICS_BYTES") {
            config.bytes_per_request = match value.trim().parse::<usize>() {
                Ok(bytes) if bytes <= MAX_BYTES_PER_REQUEST => bytes,
                _ => return Err(ConfigError::InvalidAnalyticsBytes { value }),
            };
        }
        if let Some(value) = lookup("SHOP_ANALYTICS_LOG_EVERY") {
            config.log_every = match value.trim().parse::<u64>() {
                Ok(every) if every > 0 => every,
                _ => return Err(ConfigError::InvalidAnalyticsLogEvery { value }),
            };
        }
        if let Some(value) = lookup("SHOP_ANALYTICS_FLUSH_MS") {
            config.flush_interval = match value.trim().parse::<u64>() {
                Ok(ms) if Duration::from_millis(ms) >= MIN_FLUSH_INTERVAL => {
                    Duration::from_millis(ms)
                }
                _ => return Err(ConfigError::InvalidAnalyticsFlush { value }),
            };
        }
        Ok(config)
    }
}

/// What `GET /analytics` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The `analytics` flag right now.
    pub enabled: bool,
    /// Keys in the map (one per recorded request).
    pub entries: usize,
    /// Approximate bytes held: payloads, key text and per-entry overhead.
    pub bytes: usize,
    /// Distinct minutes the entries fall in.
    pub minutes: usize,
    pub bytes_per_request: usize,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct BucketKey {
    /// Unix minute of the request.
    minute: u64,
    path: String,
    user_agent: String,
    /// A per-request number: what makes the cardinality unbounded.
    sample: u64,
}

/// One row's worth of counts for `analytics_rollups`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RollupKey {
    /// Unix minute of the requests.
    pub minute: u64,
    pub path: String,
    pub user_agent: String,
}

#[derive(Debug, Default)]
struct Buckets {
    entries: HashMap<BucketKey, Vec<u8>>,
    bytes: usize,
    /// Entries per minute.
    minutes: BTreeMap<u64, usize>,
}

/// The in-memory statistics and the flag that switches them.
#[derive(Debug)]
pub struct Analytics {
    flag: BoolFlag,
    config: AnalyticsConfig,
    next_sample: AtomicU64,
    buckets: Mutex<Buckets>,
    /// Requests recorded since the last flush, by rollup row.
    unflushed: Mutex<HashMap<RollupKey, u64>>,
}

impl Analytics {
    pub fn new(flag: BoolFlag, config: AnalyticsConfig) -> Self {
        Self {
            flag,
            config,
            next_sample: AtomicU64::new(0),
            buckets: Mutex::new(Buckets::default()),
            unflushed: Mutex::new(HashMap::new()),
        }
    }

    pub fn flush_interval(&self) -> Duration {
        self.config.flush_interval
    }

    /// Records one request when the flag is on; returns whether it did.
    pub fn record(&self, path: &str, user_agent: &str, at: SystemTime) -> bool {
        if !self.flag.is_on() {
            return false;
        }
        let sample = self.next_sample.fetch_add(1, Ordering::Relaxed);
        let minute = at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() / 60);
        // Filled (not zeroed) so the pages are really touched and the
        // replica's resident memory grows with the map.
        let payload = vec![(sample % 251) as u8 + 1; self.config.bytes_per_request];
        let size = payload.len() + path.len() + user_agent.len() + ENTRY_OVERHEAD_BYTES;
        let key = BucketKey {
            minute,
            path: path.to_string(),
            user_agent: user_agent.to_string(),
            sample,
        };
        *self
            .unflushed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(RollupKey {
                minute,
                path: path.to_string(),
                user_agent: user_agent.to_string(),
            })
            .or_default() += 1;
        let (entries, bytes, minutes) = {
            let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
            buckets.entries.insert(key, payload);
            buckets.bytes += size;
            *buckets.minutes.entry(minute).or_default() += 1;
            (buckets.entries.len(), buckets.bytes, buckets.minutes.len())
        };
        if (sample + 1).is_multiple_of(self.config.log_every) {
            tracing::info!(entries, bytes, minutes, "analytics buckets");
        }
        true
    }

    /// Takes the counts recorded since the last call.
    pub fn take_unflushed(&self) -> HashMap<RollupKey, u64> {
        std::mem::take(&mut *self.unflushed.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts counts a failed flush could not write back, for the next one.
    fn restore_unflushed(&self, counts: HashMap<RollupKey, u64>) {
        let mut unflushed = self.unflushed.lock().unwrap_or_else(|e| e.into_inner());
        for (key, requests) in counts {
            *unflushed.entry(key).or_default() += requests;
        }
    }

    /// Adds the counts recorded since the last flush to
    /// `analytics_rollups`; returns the rows written. On failure the
    /// counts are kept for the next flush.
    pub async fn flush(&self, db: &Db) -> Result<usize, DbError> {
        let counts = self.take_unflushed();
        if counts.is_empty() {
            return Ok(0);
        }
        let rows: Vec<(RollupKey, u64)> = counts.clone().into_iter().collect();
        let requests: u64 = rows.iter().map(|(_, n)| n).sum();
        match db.call(move |conn| write_rollups(conn, &rows)).await {
            Ok(written) => {
                tracing::info!(rows = written, requests, "analytics rollups written");
                Ok(written)
            }
            Err(error) => {
                self.restore_unflushed(counts);
                Err(error)
            }
        }
    }

    pub fn summary(&self) -> Summary {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        Summary {
            enabled: self.flag.is_on(),
            entries: buckets.entries.len(),
            bytes: buckets.bytes,
            minutes: buckets.minutes.len(),
            bytes_per_request: self.config.bytes_per_request,
        }
    }
}

/// Adds `rows` to `analytics_rollups` in one transaction (an upsert per
/// row, so replicas flushing the same minute add up).
pub fn write_rollups(conn: &mut Connection, rows: &[(RollupKey, u64)]) -> rusqlite::Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut upsert = tx.prepare(
            "INSERT INTO analytics_rollups (bucket_start, path, user_agent, requests) \
             VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', ?1, 'unixepoch'), ?2, ?3, ?4) \
             ON CONFLICT (bucket_start, path, user_agent) DO UPDATE SET \
               requests = requests + excluded.requests, \
               updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )?;
        for (key, requests) in rows {
            upsert.execute((
                (key.minute * 60) as i64,
                &key.path,
                &key.user_agent,
                *requests as i64,
            ))?;
        }
    }
    tx.commit()?;
    Ok(rows.len())
}

/// Flushes `analytics` every flush interval until the task is aborted
/// (the web process flushes once more when it stops). A failed flush is
/// logged and retried with the next one.
pub fn spawn_flusher(analytics: Arc<Analytics>, db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(analytics.flush_interval());
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if let Err(error) = analytics.flush(&db).await {
                tracing::warn!(error = %error, "analytics rollups not written");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::ANALYTICS;
    use std::collections::HashMap;
    use std::time::Duration;

    fn analytics(on: bool, bytes: usize) -> (Analytics, BoolFlag) {
        let flag = BoolFlag::new(ANALYTICS, on);
        let config = AnalyticsConfig {
            bytes_per_request: bytes,
            ..AnalyticsConfig::default()
        };
        (Analytics::new(flag.clone(), config), flag)
    }

    #[test]
    fn every_recorded_request_adds_an_entry_that_is_never_evicted() {
        let (analytics, _flag) = analytics(true, 1024);
        let now = SystemTime::now();
        for _ in 0..3 {
            assert!(analytics.record("/products", "curl/8", now));
        }
        analytics.record("/products", "curl/8", now + Duration::from_secs(120));
        let summary = analytics.summary();
        assert_eq!(summary.entries, 4, "same path and agent still add keys");
        assert_eq!(summary.minutes, 2);
        assert!(summary.bytes >= 4 * 1024, "{summary:?}");
    }

    #[test]
    fn nothing_is_recorded_while_the_flag_is_off_and_the_map_is_kept() {
        let (analytics, flag) = analytics(true, 64);
        analytics.record("/a", "ua", SystemTime::now());
        flag.replace(false);
        assert!(!analytics.record("/b", "ua", SystemTime::now()));
        let summary = analytics.summary();
        assert_eq!((summary.enabled, summary.entries), (false, 1));
    }

    #[test]
    fn config_reads_bytes_and_log_interval_and_refuses_nonsense() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            let map: HashMap<&str, &str> = pairs.iter().copied().collect();
            move |name: &str| map.get(name).map(|v| v.to_string())
        };
        assert_eq!(
            AnalyticsConfig::load(&vars(&[])).unwrap(),
            AnalyticsConfig::default()
        );
        let set = AnalyticsConfig::load(&vars(&[
            ("SHOP_ANALYTICS_BYTES", "4096"),
            ("SHOP_ANALYTICS_LOG_EVERY", "5"),
        ]))
        .unwrap();
        assert_eq!((set.bytes_per_request, set.log_every), (4096, 5));
        assert!(AnalyticsConfig::load(&vars(&[("SHOP_ANALYTICS_BYTES", "16KiB")])).is_err());
        assert!(AnalyticsConfig::load(&vars(&[("SHOP_ANALYTICS_LOG_EVERY", "0")])).is_err());
        let flush = AnalyticsConfig::load(&vars(&[("SHOP_ANALYTICS_FLUSH_MS", "250")])).unwrap();
        assert_eq!(flush.flush_interval, Duration::from_millis(250));
        assert!(AnalyticsConfig::load(&vars(&[("SHOP_ANALYTICS_FLUSH_MS", "10")])).is_err());
    }

    #[test]
    fn recorded_requests_are_counted_per_minute_path_and_agent_until_taken() {
        let (analytics, flag) = analytics(true, 16);
        let now = SystemTime::now();
        analytics.record("/products", "curl/8", now);
        analytics.record("/products", "curl/8", now);
        analytics.record("/orders", "curl/8", now);
        flag.replace(false);
        analytics.record("/products", "curl/8", now);
        let counts = analytics.take_unflushed();
        assert_eq!(counts.len(), 2, "{counts:?}");
        let products = counts
            .iter()
            .find(|(key, _)| key.path == "/products")
            .unwrap();
        assert_eq!(*products.1, 2);
        assert!(analytics.take_unflushed().is_empty(), "taken once");
        assert_eq!(analytics.summary().entries, 3, "the buckets stay");
    }
}
