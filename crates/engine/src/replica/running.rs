//! A replica process believed to be running: waiting for its exit (the
//! shim's, or polling an adopted pid), signalling its group, and collecting
//! its exit status once it ended.

use super::Supervisor;
use crate::proc_stat;
use crate::replica_dir;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::time::{Duration, Instant};
use tokio::time::MissedTickBehavior;

/// How often an adopted replica (not our child's child) is checked for exit.
const ADOPTED_EXIT_POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long to wait for the shim's `exit` file after the replica ended.
const EXIT_FILE_WAIT: Duration = Duration::from_secs(3);
const EXIT_FILE_POLL_INTERVAL: Duration = Duration::from_millis(20);
/// The exit code of a process killed by SIGKILL.
const SIGKILL_EXIT: i32 = 128 + 9;

/// A replica process that is (believed to be) running.
pub(super) struct Running {
    pid: u32,
    start_ticks: u64,
    /// The shim, when this engine started it (then its exit is awaited;
    /// otherwise the replica's pid is polled).
    shim: Option<tokio::process::Child>,
    shim_pid: Option<u32>,
    pub(super) started: Instant,
    poll: tokio::time::Interval,
}

impl Running {
    pub(super) fn new(
        pid: u32,
        start_ticks: u64,
        shim: Option<tokio::process::Child>,
        shim_pid: Option<u32>,
        started: Instant,
    ) -> Self {
        let mut poll = tokio::time::interval(ADOPTED_EXIT_POLL_INTERVAL);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            pid,
            start_ticks,
            shim,
            shim_pid,
            started,
            poll,
        }
    }

    /// Resolves when the replica has exited. Cancel safe.
    pub(super) async fn exited(&mut self) {
        match &mut self.shim {
            Some(shim) => {
                let _ = shim.wait().await;
            }
            None => loop {
                self.poll.tick().await;
                if !proc_stat::is_same_process(self.pid, self.start_ticks) {
                    return;
                }
            },
        }
    }

    pub(super) fn signal_group(&self, signal: Signal) {
        // ESRCH (group already gone) is fine.
        let _ = killpg(Pid::from_raw(self.pid as i32), signal);
    }
}

impl Supervisor {
    /// After the replica ended: reads its exit status, kills what is left of
    /// its process group, notices an OOM kill, removes its cgroup.
    pub(super) async fn collect_exit(&mut self, running: &mut Running) -> Option<i32> {
        let mut exit = replica_dir::read_exit_file(&self.paths.exit_file());
        if exit.is_none() && running.shim.is_none() {
            // Not our child: its shim writes `exit` a moment after the replica died.
            let deadline = Instant::now() + EXIT_FILE_WAIT;
            while exit.is_none() && Instant::now() < deadline {
                let shim_alive = running
                    .shim_pid
                    .and_then(proc_stat::read_stat)
                    .is_some_and(|stat| stat.state != 'Z');
                tokio::time::sleep(EXIT_FILE_POLL_INTERVAL).await;
                exit = replica_dir::read_exit_file(&self.paths.exit_file());
                if !shim_alive {
                    break;
                }
            }
        }
        // No orphans: whatever the command left behind in its group goes too.
        running.signal_group(Signal::SIGKILL);
        if let Some(cgroup) = &self.cgroup
            && exit == Some(SIGKILL_EXIT)
            && cgroup.hit_limit()
        {
            let key = &self.plan.key;
            let limit = self.plan.process.memory_limit.unwrap_or_default();
            self.context.event(
                key,
                "replica.memory_limit",
                format!("{key} was killed by the kernel at its memory limit of {limit} bytes (cgroup {})", cgroup.path.display()),
            );
        }
        self.remove_cgroup().await;
        exit
    }
}
