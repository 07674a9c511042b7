//! One replica's supervisor: a task that starts the replica through its shim
//! (or adopts a running one), runs its health checks, restarts it with
//! backoff when it exits, and stops it gracefully when asked.
//!
//! ```text
//! spawn ─> supervise (health probes) ─exit─> collect exit ─backoff─> spawn …
//!                 └─stop request─> stop signal to the group ─timeout─> SIGKILL
//! ```

use crate::backoff::RestartBackoff;
use crate::cgroup::ReplicaCgroup;
use crate::engine::EngineContext;
use crate::error::EngineError;
use crate::health_check::{self, HealthTracker, ProbeTarget, STARTING_PROBE_INTERVAL};
use crate::replica_dir::{self, ReplicaPaths};
use crate::replica_env::{self, ReplicaEnvInput};
use crate::status::ReplicaStatus;
use daytwo_spec::{EnvSpec, HealthCheck, ProcessSpec};
use daytwo_types::{ReplicaKey, ReplicaState};
use nix::sys::signal::Signal;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

mod running;
mod spawn;
mod stop;

use running::Running;

/// Everything that decides how one replica runs. A replica whose plan
/// changes (other than the replica count) is replaced.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplicaPlan {
    pub key: ReplicaKey,
    pub app: String,
    pub dir: PathBuf,
    pub process: ProcessSpec,
    pub release: String,
}

impl ReplicaPlan {
    pub fn new(spec: &EnvSpec, process: &ProcessSpec, index: u32, release: &str) -> Self {
        Self {
            key: ReplicaKey::new(&spec.env, &process.name, index),
            app: spec.app.clone(),
            dir: spec.dir.clone(),
            process: process.clone(),
            release: release.to_owned(),
        }
    }

    /// Same command, environment, limits, checks and release: the running
    /// replica can stay. The replica count does not matter.
    pub fn same_config(&self, other: &Self) -> bool {
        let scaled = ProcessSpec {
            replicas: self.process.replicas,
            ..other.process.clone()
        };
        self.app == other.app
            && self.dir == other.dir
            && self.release == other.release
            && self.process == scaled
    }
}

/// How a supervisor begins.
pub(crate) enum SupervisorStart {
    /// Start a new process.
    Fresh { port: Option<u16>, restarts: u32 },
    /// Take over a running process (its pid and start time were checked).
    Adopt(ReplicaStatus),
}

type StopRequest = oneshot::Sender<ReplicaStatus>;

/// The actor's handle to one supervisor task.
pub(crate) struct ReplicaHandle {
    pub key: ReplicaKey,
    pub plan: ReplicaPlan,
    stop: mpsc::UnboundedSender<StopRequest>,
}

/// A just-spawned supervisor and the answer to "did the first start work?".
pub(crate) struct PendingReplica {
    pub handle: ReplicaHandle,
    pub spawned: oneshot::Receiver<Result<(), EngineError>>,
}

impl ReplicaHandle {
    pub fn spawn(
        context: Arc<EngineContext>,
        plan: ReplicaPlan,
        start: SupervisorStart,
    ) -> PendingReplica {
        let (stop, stop_rx) = mpsc::unbounded_channel();
        let (spawned_tx, spawned) = oneshot::channel();
        let handle = ReplicaHandle {
            key: plan.key.clone(),
            plan: plan.clone(),
            stop,
        };
        let supervisor = Supervisor::new(context, plan, &start, stop_rx);
        tokio::spawn(supervisor.run(start, spawned_tx));
        PendingReplica { handle, spawned }
    }

    /// Asks the supervisor to stop the replica; answers with its final status
    /// once the process group has exited.
    pub fn request_stop(self) -> oneshot::Receiver<ReplicaStatus> {
        let (reply, answer) = oneshot::channel();
        let _ = self.stop.send(reply);
        answer
    }
}

enum Outcome {
    Exited,
    Stop(StopRequest),
    /// The engine shuts down: leave the replica running.
    Shutdown,
}

struct Supervisor {
    context: Arc<EngineContext>,
    plan: ReplicaPlan,
    paths: ReplicaPaths,
    /// The env's persistent data directory, created before each start.
    data_dir: PathBuf,
    env: BTreeMap<String, String>,
    check: Option<HealthCheck>,
    stop_signal: Signal,
    status: ReplicaStatus,
    backoff: RestartBackoff,
    crashloop: bool,
    cgroup: Option<ReplicaCgroup>,
    stop_rx: mpsc::UnboundedReceiver<StopRequest>,
}

impl Supervisor {
    fn new(
        context: Arc<EngineContext>,
        plan: ReplicaPlan,
        start: &SupervisorStart,
        stop_rx: mpsc::UnboundedReceiver<StopRequest>,
    ) -> Self {
        let paths = ReplicaPaths::new(&context.config.home, &plan.key);
        let data_dir = replica_dir::data_dir(&context.config.home, &plan.key.env);
        let status = match start {
            SupervisorStart::Fresh { port, restarts } => ReplicaStatus {
                key: plan.key.clone(),
                pid: None,
                shim_pid: None,
                start_ticks: None,
                port: *port,
                state: ReplicaState::Starting,
                restarts: *restarts,
                rss_bytes: 0,
                cpu_percent: 0.0,
                release: plan.release.clone(),
                started_at: None,
                last_exit: None,
                log_path: paths.log_path.clone(),
            },
            SupervisorStart::Adopt(status) => status.clone(),
        };
        let env = replica_env::build(&ReplicaEnvInput {
            app: &plan.app,
            env: &plan.key.env,
            process: &plan.key.process,
            replica: plan.key.replica,
            release: &plan.release,
            port: status.port,
            data_dir: &data_dir,
            environment: &plan.process.environment,
        });
        let stop_signal = parse_signal(&plan.process.stop_signal).unwrap_or_else(|| {
            tracing::warn!(
                signal = plan.process.stop_signal,
                "unknown stop signal, using SIGTERM"
            );
            Signal::SIGTERM
        });
        Self {
            check: health_check::effective_check(plan.process.health.as_ref(), plan.process.http),
            backoff: RestartBackoff::new(plan.process.restart.clone()),
            crashloop: false,
            cgroup: None,
            context,
            plan,
            paths,
            data_dir,
            env,
            stop_signal,
            status,
            stop_rx,
        }
    }

    async fn run(
        mut self,
        start: SupervisorStart,
        spawned: oneshot::Sender<Result<(), EngineError>>,
    ) {
        let mut running = match start {
            SupervisorStart::Adopt(_) => {
                let running = self.adopt();
                let _ = spawned.send(Ok(()));
                running
            }
            SupervisorStart::Fresh { .. } => match self.spawn().await {
                Ok(running) => {
                    let _ = spawned.send(Ok(()));
                    running
                }
                Err(error) => {
                    let _ = spawned.send(Err(error));
                    return;
                }
            },
        };
        loop {
            match self.supervise(&mut running).await {
                Outcome::Shutdown => return,
                Outcome::Stop(reply) => {
                    self.stop(running, reply).await;
                    return;
                }
                Outcome::Exited => {}
            }
            let ran_for = running.started.elapsed();
            let exit = self.collect_exit(&mut running).await;
            let mut delay = self.on_exit(exit, ran_for, None);
            // Wait out the backoff, then start again (retrying failed starts).
            running = loop {
                tokio::select! {
                    biased;
                    _ = self.context.shutdown.cancelled() => return,
                    request = self.stop_rx.recv() => {
                        if let Some(reply) = request {
                            self.finish_stopped(reply, "stopped while waiting to restart");
                        }
                        return;
                    }
                    _ = tokio::time::sleep(delay) => {}
                }
                self.status.restarts += 1;
                match self.spawn().await {
                    Ok(running) => break running,
                    Err(error) => {
                        delay = self.on_exit(None, Duration::ZERO, Some(error.to_string()));
                    }
                }
            };
        }
    }

    /// Takes over the already-running process described by `self.status`.
    fn adopt(&mut self) -> Running {
        let pid = self.status.pid.unwrap_or_default();
        let start_ticks = self.status.start_ticks.unwrap_or_default();
        let ran_for = self
            .status
            .started_at
            .and_then(|at| jiff::Timestamp::now().duration_since(at).try_into().ok())
            .unwrap_or(Duration::ZERO);
        let started = Instant::now()
            .checked_sub(ran_for)
            .unwrap_or_else(Instant::now);
        if !self.status.state.is_running() || self.status.state == ReplicaState::Stopping {
            self.status.state = ReplicaState::Starting;
        }
        self.status.release = self.plan.release.clone();
        self.status.log_path = self.paths.log_path.clone();
        if let Some(limit) = self.plan.process.memory_limit {
            match self.context.memory.leaf(&self.plan.key) {
                Some(cgroup) if cgroup.path.exists() => self.cgroup = Some(cgroup),
                _ => self
                    .context
                    .board
                    .set_watchdog_limit(&self.plan.key, Some(limit)),
            }
        }
        let shim_pid = self.status.shim_pid;
        self.context.publish(&self.status);
        self.context.event(
            &self.plan.key,
            "replica.adopted",
            format!(
                "{} adopted (pid {pid}, state {})",
                self.plan.key, self.status.state
            ),
        );
        Running::new(pid, start_ticks, None, shim_pid, started)
    }

    /// Runs health checks until the replica exits, a stop is requested or the
    /// engine shuts down.
    async fn supervise(&mut self, running: &mut Running) -> Outcome {
        let check = self.check.clone();
        let mut tracker = check.as_ref().map(HealthTracker::new);
        let mut next_probe = tokio::time::Instant::now() + self.probe_interval();
        loop {
            tokio::select! {
                biased;
                _ = self.context.shutdown.cancelled() => return Outcome::Shutdown,
                request = self.stop_rx.recv() => {
                    return match request {
                        Some(reply) => Outcome::Stop(reply),
                        None => Outcome::Shutdown,
                    };
                }
                _ = running.exited() => return Outcome::Exited,
                _ = tokio::time::sleep_until(next_probe), if check.is_some() => {
                    if let (Some(check), Some(tracker)) = (&check, &mut tracker) {
                        self.probe_once(check, tracker, running).await;
                    }
                    next_probe = tokio::time::Instant::now() + self.probe_interval();
                }
            }
        }
    }

    fn probe_interval(&self) -> Duration {
        let interval = self
            .check
            .as_ref()
            .map_or(STARTING_PROBE_INTERVAL, |check| check.interval);
        if self.status.state == ReplicaState::Healthy
            || self.status.state == ReplicaState::Unhealthy
        {
            interval
        } else {
            interval.min(STARTING_PROBE_INTERVAL)
        }
    }

    async fn probe_once(
        &mut self,
        check: &HealthCheck,
        tracker: &mut HealthTracker,
        running: &Running,
    ) {
        let target = ProbeTarget {
            port: self.status.port,
            dir: &self.plan.dir,
            env: &self.env,
        };
        let result =
            match tokio::time::timeout(check.timeout, health_check::probe(&check.probe, &target))
                .await
            {
                Ok(result) => result,
                Err(_) => Err(format!(
                    "no answer within {}",
                    humantime::format_duration(check.timeout)
                )),
            };
        // In a crash loop the replica counts as starting until it is healthy.
        let current = match self.status.state {
            ReplicaState::Crashloop => ReplicaState::Starting,
            state => state,
        };
        let next = tracker.record(current, result.is_ok(), running.started.elapsed());
        if next == current {
            return;
        }
        let key = &self.plan.key;
        match next {
            ReplicaState::Healthy => {
                self.crashloop = false;
                self.context.event(
                    key,
                    "replica.healthy",
                    format!("{key} passed its health check"),
                );
            }
            ReplicaState::Unhealthy => {
                let reason = result.err().unwrap_or_default();
                self.context.event(
                    key,
                    "replica.unhealthy",
                    format!("{key} failed its health check: {reason}"),
                );
            }
            _ => {}
        }
        self.status.state = next;
        self.status = self.context.publish(&self.status);
    }

    /// Records an unexpected exit (or failed restart) and returns the delay
    /// before the next start.
    fn on_exit(
        &mut self,
        exit: Option<i32>,
        ran_for: Duration,
        start_error: Option<String>,
    ) -> Duration {
        let key = self.plan.key.clone();
        let decision = self.backoff.on_exit(Instant::now(), ran_for);
        let (kind, message) = match (&start_error, exit) {
            (Some(error), _) => (
                "replica.crashed",
                format!("{key} could not be restarted: {error}"),
            ),
            (None, Some(0)) => ("replica.exited", format!("{key} exited with code 0")),
            (None, Some(code)) => (
                "replica.crashed",
                format!("{key} crashed: {}", describe_exit(code)),
            ),
            (None, None) => (
                "replica.crashed",
                format!("{key} ended without an exit status (its shim died)"),
            ),
        };
        self.context.event(&key, kind, message);
        if decision.crashloop && !self.crashloop {
            self.context.event(
                &key,
                "replica.crashloop",
                format!(
                    "{key} crashed {} times within {}; retrying every {}",
                    self.plan.process.restart.crashloop_threshold,
                    humantime::format_duration(self.plan.process.restart.crashloop_window),
                    humantime::format_duration(decision.delay)
                ),
            );
        }
        self.crashloop = decision.crashloop;
        self.context.event(
            &key,
            "replica.restarting",
            format!(
                "restarting {key} in {} (restart #{})",
                humantime::format_duration(decision.delay),
                self.status.restarts + 1
            ),
        );
        self.status.pid = None;
        self.status.shim_pid = None;
        self.status.start_ticks = None;
        if start_error.is_none() {
            self.status.last_exit = exit;
        }
        self.status.state = if decision.crashloop {
            ReplicaState::Crashloop
        } else {
            ReplicaState::Exited
        };
        self.status = self.context.publish(&self.status);
        decision.delay
    }
}

/// `SIGTERM`, `TERM` or `term` → the signal.
fn parse_signal(name: &str) -> Option<Signal> {
    let upper = name.trim().to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    Signal::from_str(&full).ok()
}

/// "exit code 3" or "killed by SIGKILL (exit 137)".
fn describe_exit(code: i32) -> String {
    if code > 128
        && let Ok(signal) = Signal::try_from(code - 128)
    {
        return format!("killed by {signal} (exit {code})");
    }
    format!("exit code {code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_signals_are_accepted_with_or_without_the_sig_prefix() {
        assert_eq!(parse_signal("SIGTERM"), Some(Signal::SIGTERM));
        assert_eq!(parse_signal("int"), Some(Signal::SIGINT));
        assert_eq!(parse_signal("SIGNOPE"), None);
    }

    #[test]
    fn exits_by_signal_are_described_by_name() {
        assert_eq!(describe_exit(137), "killed by SIGKILL (exit 137)");
        assert_eq!(describe_exit(3), "exit code 3");
    }
}
