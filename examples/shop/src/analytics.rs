//! The analytics feature of daytwo's story, bug included: per-request
//! statistics kept in memory, keyed by (minute, path, user agent, sample)
//! and **never evicted**. Every recorded request adds a new key with
//! `SHOP_ANALYTICS_BYTES` of payload, so a replica's memory grows for as
//! long as the feature is on: the leak canary analysis is meant to catch.
//!
//! The `analytics` flag is its kill switch: while it is off nothing is
//! recorded (what was recorded stays; the growth stops). `/healthz` and
//! `/analytics` itself are never recorded.

use crate::config::ConfigError;
use crate::flags::BoolFlag;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Payload bytes one recorded request adds (a per-request latency sample
/// buffer, in the story's design).
pub const DEFAULT_BYTES_PER_REQUEST: usize = 16 * 1024;
/// The most `SHOP_ANALYTICS_BYTES` may ask for.
pub const MAX_BYTES_PER_REQUEST: usize = 16 * 1024 * 1024;
/// An "analytics buckets" line is logged every this many recorded requests.
pub const DEFAULT_LOG_EVERY: u64 = 100;
/// What one entry costs beyond its payload and key text (map slot, headers).
const ENTRY_OVERHEAD_BYTES: usize = 96;

/// `SHOP_ANALYTICS_BYTES` and `SHOP_ANALYTICS_LOG_EVERY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyticsConfig {
    pub bytes_per_request: usize,
    pub log_every: u64,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            bytes_per_request: DEFAULT_BYTES_PER_REQUEST,
            log_every: DEFAULT_LOG_EVERY,
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
}

impl Analytics {
    pub fn new(flag: BoolFlag, config: AnalyticsConfig) -> Self {
        Self {
            flag,
            config,
            next_sample: AtomicU64::new(0),
            buckets: Mutex::new(Buckets::default()),
        }
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
            log_every: DEFAULT_LOG_EVERY,
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
    }
}
