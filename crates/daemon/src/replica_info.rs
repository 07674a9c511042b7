//! The engine's `ReplicaStatus` as the control API shows it (`ReplicaInfo`,
//! the `daytwo ps --json` contract).

use daytwo_api::ReplicaInfo;
use daytwo_engine::ReplicaStatus;

pub(crate) fn replica_info(status: ReplicaStatus) -> ReplicaInfo {
    ReplicaInfo {
        env: status.key.env,
        process: status.key.process,
        replica: status.key.replica,
        pid: status.pid,
        port: status.port,
        state: status.state,
        restarts: status.restarts,
        rss_bytes: status.rss_bytes,
        cpu_percent: status.cpu_percent,
        release: status.release,
        started_at: status.started_at.map(|ts| ts.to_string()),
        last_exit: status.last_exit,
        log: status.log_path.display().to_string(),
    }
}

pub(crate) fn replica_infos(statuses: Vec<ReplicaStatus>) -> Vec<ReplicaInfo> {
    let mut infos: Vec<ReplicaInfo> = statuses.into_iter().map(replica_info).collect();
    infos.sort_by(|a, b| (&a.env, &a.process, a.replica).cmp(&(&b.env, &b.process, b.replica)));
    infos
}
