//! The [`Engine`] handle and its actor: the one owner of the set of replica
//! supervisors. `up`, `adopt`, `down` and the deploy primitives
//! (`start_replicas`, `stop_replicas`, `adopt_replicas`) are messages to the
//! actor, handled one at a time; `replicas` reads the published status board without awaiting.

use crate::cgroup::MemoryEnforcement;
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::log_line::{LogFilter, LogRecord};
use crate::replica::{PendingReplica, ReplicaHandle, ReplicaPlan, SupervisorStart};
use crate::status::{EngineEvent, ReplicaStatus};
use crate::status_board::StatusBoard;
use crate::{log_reader, port, proc_stat, sampler};
use daytwo_spec::EnvSpec;
use daytwo_types::ReplicaKey;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Everything a replica supervisor needs from its engine.
pub(crate) struct EngineContext {
    pub config: EngineConfig,
    pub board: StatusBoard,
    pub events: mpsc::UnboundedSender<EngineEvent>,
    pub memory: MemoryEnforcement,
    pub shutdown: CancellationToken,
}

impl EngineContext {
    /// Sends a human-readable event about one replica.
    pub fn event(&self, key: &ReplicaKey, kind: &str, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(replica = %key, kind, "{message}");
        let _ = self.events.send(EngineEvent::Event {
            env: key.env.clone(),
            replica: Some(key.clone()),
            kind: kind.to_owned(),
            message,
        });
    }

    /// Publishes a replica's status on the board and as `ReplicaChanged`.
    pub fn publish(&self, status: &ReplicaStatus) -> ReplicaStatus {
        let merged = self.board.publish(status.clone());
        let _ = self
            .events
            .send(EngineEvent::ReplicaChanged(merged.clone()));
        merged
    }
}

type Reply<T> = oneshot::Sender<Result<T, EngineError>>;

enum Command {
    Up {
        spec: EnvSpec,
        release: String,
        reply: Reply<Vec<ReplicaStatus>>,
    },
    Adopt {
        spec: EnvSpec,
        release: String,
        replicas: Vec<ReplicaStatus>,
        reply: Reply<Vec<ReplicaStatus>>,
    },
    Down {
        env: String,
        reply: Reply<Vec<ReplicaStatus>>,
    },
    StartReplicas {
        spec: EnvSpec,
        release: String,
        counts: BTreeMap<String, u32>,
        reply: Reply<Vec<ReplicaStatus>>,
    },
    StopReplicas {
        keys: Vec<ReplicaKey>,
        reply: Reply<Vec<ReplicaStatus>>,
    },
    AdoptReplicas {
        replicas: Vec<(EnvSpec, ReplicaStatus)>,
        reply: Reply<Vec<ReplicaStatus>>,
    },
}

/// Handle to the engine actor. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    commands: mpsc::UnboundedSender<Command>,
    context: Arc<EngineContext>,
}

impl Engine {
    /// Spawns the engine's actor and sampler tasks; they stop when `shutdown`
    /// is cancelled. Replicas keep running after that (their shims live in
    /// their own sessions), ready to be adopted by the next engine.
    ///
    /// Must be called inside a tokio runtime.
    pub fn start(
        config: EngineConfig,
        shutdown: CancellationToken,
    ) -> (Engine, mpsc::UnboundedReceiver<EngineEvent>) {
        let (events, events_rx) = mpsc::unbounded_channel();
        let memory = MemoryEnforcement::detect(&config.home);
        tracing::info!(memory = %memory.describe(), "engine starting");
        let context = Arc::new(EngineContext {
            config,
            board: StatusBoard::new(),
            events,
            memory,
            shutdown,
        });
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let actor = EngineActor {
            context: context.clone(),
            replicas: BTreeMap::new(),
        };
        tokio::spawn(actor.run(commands_rx));
        tokio::spawn(sampler::run(context.clone()));
        (Engine { commands, context }, events_rx)
    }

    /// Converges `spec.env` to the spec: starts missing replicas, stops extra
    /// ones (highest index first), replaces replicas whose process config or
    /// release changed. Returns once every wanted replica is spawned (not
    /// necessarily healthy). HTTP processes get a free 127.0.0.1 port each.
    pub async fn up(
        &self,
        spec: EnvSpec,
        release: String,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        self.call(|reply| Command::Up {
            spec,
            release,
            reply,
        })
        .await
    }

    /// Takes over the persisted `replicas` of `spec` after a daemon restart:
    /// a replica whose pid is alive with the same `/proc` start time is
    /// re-adopted as it is (no restart); others are restarted. Then converges
    /// like [`Engine::up`].
    pub async fn adopt(
        &self,
        spec: EnvSpec,
        release: String,
        replicas: Vec<ReplicaStatus>,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        self.call(|reply| Command::Adopt {
            spec,
            release,
            replicas,
            reply,
        })
        .await
    }

    /// Stops every replica of `env` gracefully (stop signal to the process
    /// group, `stop_timeout`, then SIGKILL) and returns their final statuses
    /// once all have exited.
    pub async fn down(&self, env: &str) -> Result<Vec<ReplicaStatus>, EngineError> {
        let env = env.to_owned();
        self.call(|reply| Command::Down { env, reply }).await
    }

    /// Starts `counts[process]` additional replicas of `spec`'s processes
    /// running `release`, beside whatever already runs in the env (a deploy's
    /// candidates). New replicas get fresh indices above every index in use
    /// for their process. Returns the new replicas once spawned.
    pub async fn start_replicas(
        &self,
        spec: EnvSpec,
        release: String,
        counts: BTreeMap<String, u32>,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        self.call(|reply| Command::StartReplicas {
            spec,
            release,
            counts,
            reply,
        })
        .await
    }

    /// Stops exactly these replicas gracefully (in parallel) and forgets
    /// them; returns their final statuses. Unknown keys are ignored.
    pub async fn stop_replicas(
        &self,
        keys: Vec<ReplicaKey>,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        self.call(|reply| Command::StopReplicas { keys, reply })
            .await
    }

    /// Takes over persisted replicas, each with the spec of its own release
    /// (an env may run two releases mid-deploy), without converging: live
    /// ones are adopted as they are, dead ones restarted under the same key
    /// and port. Returns the statuses of the given replicas.
    pub async fn adopt_replicas(
        &self,
        replicas: Vec<(EnvSpec, ReplicaStatus)>,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        self.call(|reply| Command::AdoptReplicas { replicas, reply })
            .await
    }

    /// The current status of all replicas, or of one env's.
    pub fn replicas(&self, env: Option<&str>) -> Vec<ReplicaStatus> {
        self.context.board.snapshot(env)
    }

    /// CPU seconds (user + system) each replica's process group used since
    /// its current process started (a counter: it starts again at a
    /// restart), from the RSS/CPU sampler; replicas not sampled yet are
    /// missing.
    pub fn cpu_seconds(&self, env: Option<&str>) -> BTreeMap<ReplicaKey, f64> {
        self.context.board.cpu_seconds(env)
    }

    /// How `memory_limit` is enforced on this host, in words.
    pub fn memory_enforcement(&self) -> String {
        self.context.memory.describe()
    }

    /// Log lines of the matching replicas, oldest first; with `follow`, new
    /// lines keep coming (across rotations) until the receiver is dropped.
    /// Must be called inside a tokio runtime.
    pub fn logs(&self, filter: LogFilter) -> mpsc::Receiver<LogRecord> {
        log_reader::spawn(self.context.config.home.clone(), filter)
    }

    async fn call(
        &self,
        command: impl FnOnce(Reply<Vec<ReplicaStatus>>) -> Command,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| EngineError::ShutDown)?;
        answer.await.map_err(|_| EngineError::ShutDown)?
    }
}

struct EngineActor {
    context: Arc<EngineContext>,
    replicas: BTreeMap<ReplicaKey, ReplicaHandle>,
}

impl EngineActor {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            let command = tokio::select! {
                _ = self.context.shutdown.cancelled() => return,
                command = commands.recv() => match command {
                    Some(command) => command,
                    None => return,
                },
            };
            match command {
                Command::Up {
                    spec,
                    release,
                    reply,
                } => {
                    let result = self.converge(&spec, &release, BTreeMap::new()).await;
                    let _ = reply.send(result);
                }
                Command::Adopt {
                    spec,
                    release,
                    replicas,
                    reply,
                } => {
                    let result = self.adopt(&spec, &release, replicas).await;
                    let _ = reply.send(result);
                }
                Command::Down { env, reply } => {
                    let result = self.down(&env).await;
                    let _ = reply.send(Ok(result));
                }
                Command::StartReplicas {
                    spec,
                    release,
                    counts,
                    reply,
                } => {
                    let result = self.start_replicas(&spec, &release, &counts).await;
                    let _ = reply.send(result);
                }
                Command::StopReplicas { keys, reply } => {
                    let result = self.stop_many(keys).await;
                    let _ = reply.send(Ok(result));
                }
                Command::AdoptReplicas { replicas, reply } => {
                    let result = self.adopt_replicas(replicas).await;
                    let _ = reply.send(result);
                }
            }
        }
    }

    /// Splits persisted statuses into live replicas (adopted as they are) and
    /// dead ones (restarted by the following converge, keeping their restart
    /// count and port).
    async fn adopt(
        &mut self,
        spec: &EnvSpec,
        release: &str,
        persisted: Vec<ReplicaStatus>,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        let mut dead = BTreeMap::new();
        for status in persisted {
            if status.key.env != spec.env || self.replicas.contains_key(&status.key) {
                continue;
            }
            let alive = match (status.pid, status.start_ticks) {
                (Some(pid), Some(ticks)) => proc_stat::is_same_process(pid, ticks),
                _ => false,
            };
            let process = spec.processes.get(&status.key.process);
            match (alive, process) {
                (true, Some(process)) => {
                    let plan = ReplicaPlan::new(spec, process, status.key.replica, &status.release);
                    self.adopt_one(plan, status).await;
                }
                (true, None) => {
                    // Its process is gone from the spec: adopt it just to stop it.
                    let process = placeholder_process(&status);
                    let plan =
                        ReplicaPlan::new(spec, &process, status.key.replica, &status.release);
                    self.adopt_one(plan, status).await;
                }
                (false, _) => {
                    self.context.event(
                        &status.key,
                        "replica.restarting",
                        format!(
                            "{} was not running when the engine took over; restarting it",
                            status.key
                        ),
                    );
                    dead.insert(status.key.clone(), status);
                }
            }
        }
        self.converge(spec, release, dead).await
    }

    /// Starts a supervisor for a live replica and waits until it has
    /// published the adopted status.
    async fn adopt_one(&mut self, plan: ReplicaPlan, status: ReplicaStatus) {
        let PendingReplica { handle, spawned } =
            ReplicaHandle::spawn(self.context.clone(), plan, SupervisorStart::Adopt(status));
        let _ = spawned.await;
        self.replicas.insert(handle.key.clone(), handle);
    }

    /// Makes the env's replicas match `spec`. `previous` carries statuses of
    /// replicas to be started again (restart count, port).
    async fn converge(
        &mut self,
        spec: &EnvSpec,
        release: &str,
        previous: BTreeMap<ReplicaKey, ReplicaStatus>,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        let mut wanted = BTreeMap::new();
        for process in spec.processes.values() {
            for index in 1..=process.replicas {
                let plan = ReplicaPlan::new(spec, process, index, release);
                wanted.insert(plan.key.clone(), plan);
            }
        }

        // Scale down first, highest index first.
        let mut extra: Vec<ReplicaKey> = self
            .replicas
            .keys()
            .filter(|key| key.env == spec.env && !wanted.contains_key(*key))
            .cloned()
            .collect();
        extra.sort_by(|a, b| b.replica.cmp(&a.replica).then(a.process.cmp(&b.process)));
        for key in extra {
            self.stop(&key, true).await;
        }

        // Replace replicas whose configuration or release changed.
        let changed: Vec<ReplicaKey> = wanted
            .iter()
            .filter(|(key, plan)| {
                self.replicas
                    .get(*key)
                    .is_some_and(|handle| !handle.plan.same_config(plan))
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in &changed {
            self.stop(key, false).await;
        }

        // Start what is missing.
        let missing: Vec<(ReplicaPlan, Option<ReplicaStatus>)> = wanted
            .into_iter()
            .filter(|(key, _)| !self.replicas.contains_key(key))
            .map(|(key, plan)| (plan, previous.get(&key).cloned()))
            .collect();
        self.spawn_all(missing).await?;
        Ok(self.context.board.snapshot(Some(&spec.env)))
    }

    /// Spawns supervisors for `plans` (with the status of a previous run of
    /// the same key, whose port and restart count carry over) and waits until
    /// each has started or failed. The first failure is returned after all
    /// others were given their chance.
    async fn spawn_all(
        &mut self,
        plans: Vec<(ReplicaPlan, Option<ReplicaStatus>)>,
    ) -> Result<Vec<ReplicaKey>, EngineError> {
        let mut used_ports: BTreeSet<u16> = self
            .context
            .board
            .snapshot(None)
            .iter()
            .filter_map(|status| status.port)
            .collect();
        let mut pending = Vec::new();
        for (plan, before) in plans {
            let key = plan.key.clone();
            let port = if plan.process.http {
                match before.as_ref().and_then(|status| status.port) {
                    Some(port) => Some(port),
                    None => Some(port::allocate(&used_ports).map_err(|source| {
                        EngineError::AllocatePort {
                            key: key.clone(),
                            source,
                        }
                    })?),
                }
            } else {
                None
            };
            if let Some(port) = port {
                used_ports.insert(port);
            }
            let restarts = before.as_ref().map_or(0, |status| status.restarts + 1);
            let handle = ReplicaHandle::spawn(
                self.context.clone(),
                plan,
                SupervisorStart::Fresh { port, restarts },
            );
            pending.push(handle);
        }
        let mut first_error = None;
        let mut started = Vec::new();
        for PendingReplica { handle, spawned } in pending {
            match spawned.await {
                Ok(Ok(())) => {
                    started.push(handle.key.clone());
                    self.replicas.insert(handle.key.clone(), handle);
                }
                Ok(Err(error)) => {
                    self.remove(&handle.key);
                    first_error.get_or_insert(error);
                }
                Err(_) => {
                    first_error.get_or_insert(EngineError::ShutDown);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(started),
        }
    }

    /// Adds replicas of `release` with fresh indices (a deploy's candidates).
    async fn start_replicas(
        &mut self,
        spec: &EnvSpec,
        release: &str,
        counts: &BTreeMap<String, u32>,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        let mut plans = Vec::new();
        for (name, count) in counts {
            let Some(process) = spec.processes.get(name) else {
                continue;
            };
            let highest = self
                .context
                .board
                .snapshot(Some(&spec.env))
                .iter()
                .filter(|status| status.key.process == *name)
                .map(|status| status.key.replica)
                .chain(
                    self.replicas
                        .keys()
                        .filter(|key| key.env == spec.env && key.process == *name)
                        .map(|key| key.replica),
                )
                .max()
                .unwrap_or(0);
            for index in highest + 1..=highest + count {
                plans.push((ReplicaPlan::new(spec, process, index, release), None));
            }
        }
        let started = self.spawn_all(plans).await?;
        let board = self.context.board.snapshot(Some(&spec.env));
        Ok(board
            .into_iter()
            .filter(|status| started.contains(&status.key))
            .collect())
    }

    /// Adopts replicas one by one with their own release's spec; dead ones
    /// are started again under the same key (no converge).
    async fn adopt_replicas(
        &mut self,
        persisted: Vec<(EnvSpec, ReplicaStatus)>,
    ) -> Result<Vec<ReplicaStatus>, EngineError> {
        let mut keys = Vec::new();
        let mut dead = Vec::new();
        for (spec, status) in persisted {
            if self.replicas.contains_key(&status.key) {
                keys.push(status.key.clone());
                continue;
            }
            let alive = match (status.pid, status.start_ticks) {
                (Some(pid), Some(ticks)) => proc_stat::is_same_process(pid, ticks),
                _ => false,
            };
            let process = spec
                .processes
                .get(&status.key.process)
                .cloned()
                .unwrap_or_else(|| placeholder_process(&status));
            let plan = ReplicaPlan::new(&spec, &process, status.key.replica, &status.release);
            keys.push(status.key.clone());
            if alive {
                self.adopt_one(plan, status).await;
            } else if process.replicas > 0 {
                self.context.event(
                    &status.key,
                    "replica.restarting",
                    format!(
                        "{} was not running when the engine took over; restarting it",
                        status.key
                    ),
                );
                dead.push((plan, Some(status)));
            } else {
                self.remove(&status.key);
            }
        }
        self.spawn_all(dead).await?;
        let board = self.context.board.snapshot(None);
        Ok(board
            .into_iter()
            .filter(|status| keys.contains(&status.key))
            .collect())
    }

    /// Stops the given replicas in parallel and forgets them.
    async fn stop_many(&mut self, keys: Vec<ReplicaKey>) -> Vec<ReplicaStatus> {
        let mut waiting = Vec::new();
        for key in keys {
            if let Some(handle) = self.replicas.remove(&key) {
                waiting.push((key, handle.request_stop()));
            }
        }
        let mut finals = Vec::new();
        for (key, answer) in waiting {
            if let Ok(status) = answer.await {
                finals.push(status);
            }
            self.remove(&key);
        }
        finals
    }

    async fn down(&mut self, env: &str) -> Vec<ReplicaStatus> {
        let keys: Vec<ReplicaKey> = self
            .replicas
            .keys()
            .filter(|key| key.env == env)
            .cloned()
            .collect();
        // Ask all to stop at once, then collect: stops run in parallel.
        self.stop_many(keys).await
    }

    /// Stops one replica and waits for it; `remove` also drops it from the
    /// board (scale down) instead of keeping the key for a replacement.
    async fn stop(&mut self, key: &ReplicaKey, remove: bool) {
        if let Some(handle) = self.replicas.remove(key) {
            let _ = handle.request_stop().await;
        }
        if remove {
            self.remove(key);
        }
    }

    fn remove(&self, key: &ReplicaKey) {
        self.context.board.remove(key);
        let _ = self
            .context
            .events
            .send(EngineEvent::ReplicaRemoved(key.clone()));
    }
}

/// A process spec for a live replica whose process no longer exists in the
/// spec: enough to stop it with the default signal and timeout.
fn placeholder_process(status: &ReplicaStatus) -> daytwo_spec::ProcessSpec {
    daytwo_spec::ProcessSpec {
        name: status.key.process.clone(),
        command: String::new(),
        http: status.port.is_some(),
        replicas: 0,
        health: None,
        memory_limit: None,
        stop_signal: daytwo_spec::DEFAULT_STOP_SIGNAL.to_owned(),
        stop_timeout: daytwo_spec::DEFAULT_STOP_TIMEOUT,
        environment: BTreeMap::new(),
        restart: daytwo_spec::RestartPolicy::default(),
    }
}
