//! Starting a replica through a new shim: its directories, memory limit and
//! private config file, then waiting for the pid the shim reports.

use super::Supervisor;
use super::running::Running;
use crate::cgroup::ReplicaCgroup;
use crate::error::EngineError;
use crate::replica_dir::{self, ReplicaPaths};
use crate::shim::config::ShimConfig;
use daytwo_types::ReplicaState;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long a new shim may take to report the replica's pid.
const SHIM_START_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the run dir is checked for the shim's `pid` file.
const PID_FILE_POLL_INTERVAL: Duration = Duration::from_millis(5);

impl Supervisor {
    /// Starts the replica through a new shim and waits for its pid.
    pub(super) async fn spawn(&mut self) -> Result<Running, EngineError> {
        let key = self.plan.key.clone();
        for dir in [
            Some(self.paths.run_dir.as_path()),
            self.paths.log_path.parent(),
            Some(self.data_dir.as_path()),
        ]
        .into_iter()
        .flatten()
        {
            std::fs::create_dir_all(dir).map_err(|source| EngineError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        for stale in [
            self.paths.shim_config(),
            self.paths.pid_file(),
            self.paths.exit_file(),
            self.paths.error_file(),
        ] {
            let _ = std::fs::remove_file(stale);
        }
        self.cgroup = self.prepare_memory_limit();

        let config = ShimConfig {
            command: self.plan.process.command.clone(),
            dir: self.plan.dir.clone(),
            env: self.env.clone(),
            run_dir: self.paths.run_dir.clone(),
            log_path: self.paths.log_path.clone(),
            log_max_bytes: self.context.config.log_max_bytes,
            log_keep: self.context.config.log_keep,
            cgroup: self.cgroup.as_ref().map(|cgroup| cgroup.path.clone()),
        };
        let config_path = self.paths.shim_config();
        let json = serde_json::to_string_pretty(&config).unwrap_or_default();
        write_private(&config_path, json.as_bytes()).map_err(|source| {
            EngineError::WriteShimConfig {
                path: config_path.clone(),
                source,
            }
        })?;

        let shim_exe = &self.context.config.shim_exe;
        let mut shim = tokio::process::Command::new(shim_exe)
            .arg("shim")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| EngineError::Spawn {
                key: key.clone(),
                shim_exe: shim_exe.clone(),
                source,
            })?;
        let shim_pid = shim.id();

        let deadline = Instant::now() + SHIM_START_TIMEOUT;
        let (pid, start_ticks) = loop {
            if let Some(found) = read_pid_file(&self.paths) {
                break found;
            }
            if let Ok(Some(_)) = shim.try_wait() {
                if let Some(found) = read_pid_file(&self.paths) {
                    break found;
                }
                let message = std::fs::read_to_string(self.paths.error_file())
                    .unwrap_or_else(|_| "the shim exited without a reason".to_owned());
                self.remove_cgroup().await;
                return Err(EngineError::ShimFailed { key, message });
            }
            if Instant::now() > deadline {
                let _ = shim.start_kill();
                self.remove_cgroup().await;
                return Err(EngineError::ShimTimeout {
                    key,
                    timeout: SHIM_START_TIMEOUT,
                });
            }
            tokio::time::sleep(PID_FILE_POLL_INTERVAL).await;
        };

        self.status.pid = Some(pid);
        self.status.shim_pid = shim_pid;
        self.status.start_ticks = Some(start_ticks);
        self.status.started_at = Some(jiff::Timestamp::now());
        // In a crash loop a checked replica stays `crashloop` until its check
        // passes; one without a check counts as healthy while it runs.
        self.status.state = match (&self.check, self.crashloop) {
            (None, _) => ReplicaState::Healthy,
            (Some(_), true) => ReplicaState::Crashloop,
            (Some(_), false) => ReplicaState::Starting,
        };
        self.status = self.context.publish(&self.status);
        let port = self
            .status
            .port
            .map(|port| format!(", port {port}"))
            .unwrap_or_default();
        self.context.event(
            &key,
            "replica.started",
            format!("{key} started (pid {pid}{port})"),
        );
        Ok(Running::new(
            pid,
            start_ticks,
            Some(shim),
            shim_pid,
            Instant::now(),
        ))
    }

    /// Sets up the replica's memory cgroup, or registers it with the RSS
    /// watchdog when there is no usable cgroup.
    fn prepare_memory_limit(&self) -> Option<ReplicaCgroup> {
        let limit = self.plan.process.memory_limit?;
        let board = &self.context.board;
        if let Some(cgroup) = self.context.memory.leaf(&self.plan.key) {
            match cgroup.create(limit) {
                Ok(()) => {
                    board.set_watchdog_limit(&self.plan.key, None);
                    return Some(cgroup);
                }
                Err(error) => tracing::warn!(
                    path = %cgroup.path.display(),
                    %error,
                    "cannot create the replica's memory cgroup; using the rss watchdog"
                ),
            }
        }
        board.set_watchdog_limit(&self.plan.key, Some(limit));
        None
    }

    pub(super) async fn remove_cgroup(&mut self) {
        if let Some(cgroup) = self.cgroup.take() {
            cgroup.remove().await;
        }
    }
}

/// Writes a file readable by its owner only (the shim config holds the
/// replica's environment, which may carry secrets).
fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(contents)
}

fn read_pid_file(paths: &ReplicaPaths) -> Option<(u32, u64)> {
    replica_dir::parse_pid_file(&std::fs::read_to_string(paths.pid_file()).ok()?)
}
