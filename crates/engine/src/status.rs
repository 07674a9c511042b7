//! What the engine tells the outside world about replicas: the status of one
//! replica (persisted by the daemon, handed back to `adopt`) and the events.

use daytwo_types::{ReplicaKey, ReplicaState};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One replica as the engine sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReplicaStatus {
    pub key: ReplicaKey,
    /// The replica's main process (`sh -c "<command>"`), which is also its
    /// process-group id. `None` while not running.
    pub pid: Option<u32>,
    /// The shim that holds the replica's pipes and waits for it.
    pub shim_pid: Option<u32>,
    /// `starttime` of `/proc/<pid>/stat` (clock ticks after boot); guards
    /// re-adoption against pid reuse.
    pub start_ticks: Option<u64>,
    /// `$PORT` of an HTTP process.
    pub port: Option<u16>,
    pub state: ReplicaState,
    /// How many times the replica was restarted after an exit.
    pub restarts: u32,
    /// RSS of the replica's whole process group, latest sample.
    pub rss_bytes: u64,
    /// CPU of the replica's process group over the last sample interval, in
    /// percent of one core.
    pub cpu_percent: f64,
    pub release: String,
    pub started_at: Option<jiff::Timestamp>,
    /// Exit code of the last exit, or `128 + signal` when killed by a signal.
    pub last_exit: Option<i32>,
    /// The replica's current log file.
    pub log_path: PathBuf,
}

/// What the engine reports on its event channel.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    /// A change of a replica worth persisting (state, pid, port, restarts);
    /// not sent for the periodic RSS/CPU samples.
    ReplicaChanged(ReplicaStatus),
    /// The replica no longer exists (scaled down or env down).
    ReplicaRemoved(ReplicaKey),
    /// Something a human wants in the event log. `kind` is one of
    /// `replica.started`, `replica.exited`, `replica.crashed`,
    /// `replica.restarting`, `replica.crashloop`, `replica.healthy`,
    /// `replica.unhealthy`, `replica.stopped`, `replica.killed` (SIGKILL
    /// fallback of a stop), `replica.memory_limit`, `replica.adopted`.
    Event {
        env: String,
        replica: Option<ReplicaKey>,
        kind: String,
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_status_round_trips_through_json_for_persistence() {
        let status = ReplicaStatus {
            key: ReplicaKey::new("dev", "web", 1),
            pid: Some(42),
            shim_pid: Some(41),
            start_ticks: Some(12345),
            port: Some(40000),
            state: ReplicaState::Healthy,
            restarts: 2,
            rss_bytes: 1024,
            cpu_percent: 1.5,
            release: "working-tree".to_owned(),
            started_at: Some("2025-01-31T12:00:00.123Z".parse().unwrap()),
            last_exit: Some(137),
            log_path: PathBuf::from("/home/logs/dev/web.1.log"),
        };
        let json = serde_json::to_string(&status).unwrap();
        assert!(json.contains("\"state\":\"healthy\""), "{json}");
        assert_eq!(
            serde_json::from_str::<ReplicaStatus>(&json).unwrap(),
            status
        );
    }
}
