//! The graceful stop: the pre-stop hook, the stop signal to the process
//! group, `stop_timeout`, then SIGKILL; and the final stopped status.

use super::running::Running;
use super::{StopRequest, Supervisor, describe_exit};
use daytwo_types::ReplicaState;
use nix::sys::signal::Signal;
use std::time::Duration;

/// How long to wait for a process group after SIGKILL.
const KILL_WAIT: Duration = Duration::from_secs(5);

impl Supervisor {
    /// Graceful stop: stop signal to the group, `stop_timeout`, then SIGKILL.
    pub(super) async fn stop(mut self, mut running: Running, reply: StopRequest) {
        let key = self.plan.key.clone();
        self.status.state = ReplicaState::Stopping;
        self.status = self.context.publish(&self.status);
        let timeout = self.plan.process.stop_timeout;
        if let Some(hook) = &self.context.config.pre_stop {
            // Out of routing and drained before the signal; bounded.
            let _ = tokio::time::timeout(timeout, hook.0.before_stop(key.clone(), timeout)).await;
        }
        running.signal_group(self.stop_signal);
        let graceful = tokio::time::timeout(timeout, running.exited())
            .await
            .is_ok();
        if !graceful {
            running.signal_group(Signal::SIGKILL);
            self.context.event(
                &key,
                "replica.killed",
                format!(
                    "{key} did not exit within {} of {}; sent SIGKILL to its process group",
                    humantime::format_duration(timeout),
                    self.stop_signal
                ),
            );
            let _ = tokio::time::timeout(KILL_WAIT, running.exited()).await;
        }
        let exit = self.collect_exit(&mut running).await;
        self.status.last_exit = exit;
        let how = exit
            .map(describe_exit)
            .unwrap_or_else(|| "exit status unknown".to_owned());
        self.finish_stopped(reply, &format!("{key} stopped ({how})"));
    }

    pub(super) fn finish_stopped(&mut self, reply: StopRequest, message: &str) {
        self.status.pid = None;
        self.status.shim_pid = None;
        self.status.start_ticks = None;
        self.status.state = ReplicaState::Exited;
        self.status.rss_bytes = 0;
        self.status.cpu_percent = 0.0;
        self.context.board.set_watchdog_limit(&self.plan.key, None);
        self.status = self.context.publish(&self.status);
        self.context
            .event(&self.plan.key, "replica.stopped", message);
        let _ = reply.send(self.status.clone());
    }
}
