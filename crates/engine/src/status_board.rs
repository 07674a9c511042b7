//! The published snapshot of every replica's status: supervisors write their
//! replica's entry, the sampler writes RSS/CPU, readers clone without awaiting.
//! Also holds the RSS-watchdog limits of replicas without a memory cgroup.

use crate::status::ReplicaStatus;
use daytwo_types::ReplicaKey;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

type Statuses = BTreeMap<ReplicaKey, ReplicaStatus>;

#[derive(Clone)]
pub(crate) struct StatusBoard {
    statuses: Arc<watch::Sender<Statuses>>,
    watchdog_limits: Arc<Mutex<BTreeMap<ReplicaKey, u64>>>,
    /// CPU seconds each replica's current process group used since it
    /// started, with the pid they belong to.
    cpu_seconds: Arc<Mutex<BTreeMap<ReplicaKey, (u32, f64)>>>,
}

impl StatusBoard {
    pub fn new() -> Self {
        Self {
            statuses: Arc::new(watch::Sender::new(BTreeMap::new())),
            watchdog_limits: Arc::default(),
            cpu_seconds: Arc::default(),
        }
    }

    /// Stores a supervisor's view of its replica. The latest RSS/CPU sample
    /// is kept while the pid is the same; a new (or no) process starts at 0.
    pub fn publish(&self, mut status: ReplicaStatus) -> ReplicaStatus {
        self.statuses.send_modify(|statuses| {
            if let Some(old) = statuses.get(&status.key)
                && old.pid == status.pid
                && status.pid.is_some()
            {
                status.rss_bytes = old.rss_bytes;
                status.cpu_percent = old.cpu_percent;
            }
            statuses.insert(status.key.clone(), status.clone());
        });
        status
    }

    /// Records one sample for the replica whose main process is `pid`.
    pub fn record_sample(&self, key: &ReplicaKey, pid: u32, rss_bytes: u64, cpu_percent: f64) {
        self.statuses
            .send_if_modified(|statuses| match statuses.get_mut(key) {
                Some(status) if status.pid == Some(pid) => {
                    status.rss_bytes = rss_bytes;
                    status.cpu_percent = cpu_percent;
                    true
                }
                _ => false,
            });
    }

    pub fn remove(&self, key: &ReplicaKey) {
        self.statuses
            .send_if_modified(|statuses| statuses.remove(key).is_some());
        self.set_watchdog_limit(key, None);
        self.lock_cpu().remove(key);
    }

    fn lock_cpu(&self) -> std::sync::MutexGuard<'_, BTreeMap<ReplicaKey, (u32, f64)>> {
        self.cpu_seconds
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds `seconds` of CPU to the replica whose process group is `pid`;
    /// a new pid (the replica restarted) starts a new count.
    pub fn add_cpu(&self, key: &ReplicaKey, pid: u32, seconds: f64) {
        let mut totals = self.lock_cpu();
        let entry = totals.entry(key.clone()).or_insert((pid, 0.0));
        if entry.0 != pid {
            *entry = (pid, 0.0);
        }
        entry.1 += seconds;
    }

    /// CPU seconds (user + system) of each replica's current process group
    /// since it started, as far as the sampler saw it.
    pub fn cpu_seconds(&self, env: Option<&str>) -> BTreeMap<ReplicaKey, f64> {
        self.lock_cpu()
            .iter()
            .filter(|(key, _)| env.is_none_or(|env| key.env == env))
            .map(|(key, (_, seconds))| (key.clone(), *seconds))
            .collect()
    }

    pub fn snapshot(&self, env: Option<&str>) -> Vec<ReplicaStatus> {
        self.statuses
            .borrow()
            .values()
            .filter(|status| env.is_none_or(|env| status.key.env == env))
            .cloned()
            .collect()
    }

    pub fn set_watchdog_limit(&self, key: &ReplicaKey, limit: Option<u64>) {
        let mut limits = self
            .watchdog_limits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match limit {
            Some(limit) => limits.insert(key.clone(), limit),
            None => limits.remove(key),
        };
    }

    pub fn watchdog_limit(&self, key: &ReplicaKey) -> Option<u64> {
        self.watchdog_limits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .copied()
    }
}
