//! Keeps the proxy's route table equal to what the daemon runs. One actor
//! owns the routed envs and the table generation; it sends the complete
//! table (`PUT /v1/routes`) whenever what it would send changes:
//!
//! ```text
//! up / down ──RouteSync (mpsc)──┐
//! persist ──replica changed (Notify, debounced)──> actor ── build_listeners(envs, engine.replicas()) ──> ProxyClient::put_routes
//! every RECONCILE_INTERVAL ─────┘   (proxy gone → start it and resend; generation moved → resend)
//! ```
//!
//! Generations only grow, also across daemon restarts: the actor starts from
//! the generation of the table the running proxy holds, and a table the
//! proxy calls stale makes it catch up and send again. Until a restarted
//! daemon has re-adopted its envs, nothing is sent, so the proxy keeps
//! serving the old table meanwhile.
//!
//! It does not start or stop replicas: draining an env (`drain`) only marks
//! its upstreams unroutable and names them; the `down` handler waits for
//! them and asks the engine to stop the replicas.

use crate::env_routes::{EnvRoute, build_listeners, upstream_ids};
use crate::proxy_process::{self, ProxyStartError};
use daytwo_engine::Engine;
use daytwo_proxy::control_api::error_code;
use daytwo_proxy::{Listener, ProxyClient, ProxyClientError, RouteTable};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// How long replica changes are collected before one table is sent.
pub(crate) const ROUTE_DEBOUNCE: Duration = Duration::from_millis(20);
/// How often the actor checks that the proxy runs and holds its table.
pub(crate) const RECONCILE_INTERVAL: Duration = Duration::from_secs(1);

/// Why the proxy did not take the table.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RouteSyncError {
    #[error(transparent)]
    Start(#[from] ProxyStartError),
    #[error(transparent)]
    Proxy(#[from] ProxyClientError),
    #[error("cannot listen on {addr} for env `{env}`: {reason}")]
    Listen {
        env: String,
        addr: SocketAddr,
        reason: String,
    },
    #[error("the proxy cannot listen: {message}")]
    Bind { message: String },
    #[error("the proxy keeps its route table generation {generation} over ours")]
    Stale { generation: u64 },
    #[error("the daemon is stopping")]
    Stopped,
}

/// An upstream to wait for before its replica is stopped.
#[derive(Debug, Clone)]
pub(crate) struct DrainTarget {
    pub(crate) upstream: String,
    pub(crate) timeout: Duration,
}

type Reply<T> = oneshot::Sender<Result<T, RouteSyncError>>;

enum Request {
    SetEnv {
        route: EnvRoute,
        reply: Reply<()>,
    },
    Drain {
        env: String,
        reply: Reply<Vec<DrainTarget>>,
    },
    RemoveEnv {
        env: String,
        reply: Reply<()>,
    },
    SetRouting {
        env: String,
        routing: Option<daytwo_rollout::Routing>,
        reply: Reply<()>,
    },
    Flush {
        reply: Reply<()>,
    },
}

/// What the actor starts from.
pub(crate) struct RouteSyncConfig {
    pub(crate) home: PathBuf,
    /// The executable started as `<exe> proxy` when no proxy answers.
    pub(crate) exe: PathBuf,
    pub(crate) engine: Engine,
    /// The envs re-adopted at start.
    pub(crate) routes: Vec<EnvRoute>,
    /// Notified (by `persist`) when a replica changed or was removed.
    pub(crate) replicas_changed: Arc<Notify>,
}

/// Handle to the route-sync actor. Cheap to clone.
#[derive(Clone)]
pub(crate) struct RouteSync {
    requests: mpsc::Sender<Request>,
}

impl RouteSync {
    /// Spawns the actor; it sends the table once right away, then on changes.
    pub(crate) fn spawn(config: RouteSyncConfig, shutdown: CancellationToken) -> RouteSync {
        let (requests, receiver) = mpsc::channel(16);
        let actor = RouteSyncActor {
            client: ProxyClient::for_home(&config.home),
            home: config.home,
            exe: config.exe,
            engine: config.engine,
            routes: config
                .routes
                .into_iter()
                .map(|route| (route.env.clone(), route))
                .collect(),
            draining: BTreeSet::new(),
            excluded: BTreeMap::new(),
            generation: 0,
            sent: None,
        };
        tokio::spawn(actor.run(receiver, config.replicas_changed, shutdown));
        RouteSync { requests }
    }

    /// Routes `route.env` (adds or updates its listener) and returns once
    /// the proxy took the table. On failure the env's previous route stays.
    pub(crate) async fn set_env(&self, route: EnvRoute) -> Result<(), RouteSyncError> {
        self.call(|reply| Request::SetEnv { route, reply }).await
    }

    /// Takes every upstream of `env` out of routing (the listener stays) and
    /// returns once the proxy took the table, with the upstreams to wait for.
    pub(crate) async fn drain(&self, env: &str) -> Result<Vec<DrainTarget>, RouteSyncError> {
        let env = env.to_string();
        self.call(|reply| Request::Drain { env, reply }).await
    }

    /// Gives `env`'s listener a deploy's routing (`None`: every healthy
    /// replica) and returns once the proxy took the table. An env without
    /// a listener has nothing to route: `Ok`. On failure the previous
    /// routing stays.
    pub(crate) async fn set_routing(
        &self,
        env: &str,
        routing: Option<daytwo_rollout::Routing>,
    ) -> Result<(), RouteSyncError> {
        let env = env.to_string();
        self.call(|reply| Request::SetRouting {
            env,
            routing,
            reply,
        })
        .await
    }

    /// Sends the table as it is now (e.g. a replica just turned `stopping`)
    /// without waiting for the debounce, and returns once the proxy took it.
    pub(crate) async fn flush(&self) -> Result<(), RouteSyncError> {
        self.call(|reply| Request::Flush { reply }).await
    }

    /// Removes `env`'s listener.
    pub(crate) async fn remove_env(&self, env: &str) -> Result<(), RouteSyncError> {
        let env = env.to_string();
        self.call(|reply| Request::RemoveEnv { env, reply }).await
    }

    async fn call<T>(
        &self,
        request: impl FnOnce(Reply<T>) -> Request,
    ) -> Result<T, RouteSyncError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(request(reply))
            .await
            .map_err(|_| RouteSyncError::Stopped)?;
        answer.await.map_err(|_| RouteSyncError::Stopped)?
    }
}

struct RouteSyncActor {
    home: PathBuf,
    exe: PathBuf,
    client: ProxyClient,
    engine: Engine,
    routes: BTreeMap<String, EnvRoute>,
    /// Envs whose upstreams are all unroutable (being stopped).
    draining: BTreeSet<String>,
    /// Envs left out of the table because their address cannot be bound, with why.
    excluded: BTreeMap<String, String>,
    /// Generation of the last table the proxy applied (or held at start).
    generation: u64,
    /// Listeners of the last applied table; `None` until one was sent.
    sent: Option<Vec<Listener>>,
}

impl RouteSyncActor {
    async fn run(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        replicas_changed: Arc<Notify>,
        shutdown: CancellationToken,
    ) {
        if let Ok(table) = self.client.routes().await {
            self.generation = table.generation;
        }
        self.sync_logged(true).await;
        let mut reconcile = tokio::time::interval(RECONCILE_INTERVAL);
        reconcile.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        reconcile.reset();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                request = requests.recv() => match request {
                    Some(request) => self.handle(request).await,
                    None => return,
                },
                _ = replicas_changed.notified() => {
                    tokio::time::sleep(ROUTE_DEBOUNCE).await;
                    self.sync_logged(false).await;
                }
                _ = reconcile.tick() => self.reconcile().await,
            }
        }
    }

    async fn handle(&mut self, request: Request) {
        match request {
            Request::SetEnv { route, reply } => {
                let _ = reply.send(self.set_env(route).await);
            }
            Request::Drain { env, reply } => {
                self.draining.insert(env.clone());
                let result = self.sync(false).await.map(|()| {
                    let Some(route) = self.routes.get(&env) else {
                        return Vec::new();
                    };
                    upstream_ids(route, &self.engine.replicas(Some(&env)))
                        .into_iter()
                        .map(|upstream| DrainTarget {
                            upstream,
                            timeout: route.stop_timeout,
                        })
                        .collect()
                });
                let _ = reply.send(result);
            }
            Request::SetRouting {
                env,
                routing,
                reply,
            } => {
                let Some(route) = self.routes.get(&env).cloned() else {
                    let _ = reply.send(Ok(()));
                    return;
                };
                let _ = reply.send(self.set_env(route.with_routing(routing)).await);
            }
            Request::Flush { reply } => {
                let _ = reply.send(self.sync(false).await);
            }
            Request::RemoveEnv { env, reply } => {
                self.routes.remove(&env);
                self.draining.remove(&env);
                self.excluded.remove(&env);
                let _ = reply.send(self.sync(false).await);
            }
        }
    }

    async fn set_env(&mut self, route: EnvRoute) -> Result<(), RouteSyncError> {
        let env = route.env.clone();
        let addr = route.listen;
        let previous = self.routes.insert(env.clone(), route);
        let was_draining = self.draining.remove(&env);
        self.excluded.remove(&env);
        let result = self.sync(false).await;
        let failure = match (result, self.excluded.remove(&env)) {
            (Ok(()), None) => return Ok(()),
            (Ok(()), Some(reason)) => RouteSyncError::Listen {
                env: env.clone(),
                addr,
                reason,
            },
            (Err(error), _) => error,
        };
        // Back to how it was; the env's listener (if any) keeps serving.
        match previous {
            Some(previous) => self.routes.insert(env.clone(), previous),
            None => self.routes.remove(&env),
        };
        if was_draining {
            self.draining.insert(env);
        }
        self.sync_logged(false).await;
        Err(failure)
    }

    /// Checks that the proxy runs and holds our table; resends when not.
    async fn reconcile(&mut self) {
        let routed = !self.routes.is_empty() || self.sent.as_ref().is_some_and(|s| !s.is_empty());
        if !routed {
            return;
        }
        let current = self.client.status().await.ok().map(|info| info.generation);
        if self.sent.is_none() || current != Some(self.generation) {
            if current.is_none() {
                tracing::warn!(
                    "the proxy does not answer; starting it and sending the routes again"
                );
            }
            self.sync_logged(true).await;
        }
    }

    async fn sync_logged(&mut self, force: bool) {
        if let Err(error) = self.sync(force).await {
            tracing::error!("cannot update the proxy's routes: {error}");
        }
    }

    /// Sends the table if it differs from the last one sent (or `force`).
    /// A listener whose address cannot be bound is left out (and recorded in
    /// `excluded`) so that the other envs keep being served.
    async fn sync(&mut self, force: bool) -> Result<(), RouteSyncError> {
        let mut attempts = self.routes.len() + 2;
        loop {
            let listeners = self.listeners();
            if !force && self.sent.as_ref() == Some(&listeners) {
                return Ok(());
            }
            if listeners.is_empty() && self.client.status().await.is_err() {
                // Nothing to serve and no proxy: do not start one for nothing.
                self.sent = Some(listeners);
                return Ok(());
            }
            proxy_process::ensure_running(&self.home, &self.exe, &self.client).await?;
            let table = RouteTable {
                generation: self.generation + 1,
                listeners: listeners.clone(),
            };
            attempts -= 1;
            match self.client.put_routes(&table).await {
                Ok(answer) if answer.applied => {
                    tracing::debug!("proxy routes at generation {}", answer.generation);
                    self.generation = answer.generation;
                    self.sent = Some(listeners);
                    return Ok(());
                }
                // Stale: the proxy holds a newer generation (a previous
                // daemon's); continue from it.
                Ok(answer) if attempts > 0 => {
                    self.generation = self.generation.max(answer.generation)
                }
                Err(ProxyClientError::Api { body, .. }) if body.code == error_code::BIND_FAILED => {
                    if attempts == 0 || !self.exclude_unbindable(&listeners, &body.message) {
                        return Err(RouteSyncError::Bind {
                            message: body.message,
                        });
                    }
                }
                Ok(answer) => {
                    return Err(RouteSyncError::Stale {
                        generation: answer.generation,
                    });
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// After a bind failure: leaves out the listener the proxy named, else
    /// every listener the proxy does not hold yet. False when none is left out.
    fn exclude_unbindable(&mut self, listeners: &[Listener], message: &str) -> bool {
        let held: BTreeSet<SocketAddr> = self
            .sent
            .iter()
            .flatten()
            .map(|listener| listener.addr)
            .collect();
        let named: Vec<&Listener> = listeners
            .iter()
            .filter(|listener| message.contains(&listener.addr.to_string()))
            .collect();
        let culprits: Vec<&Listener> = if named.is_empty() {
            listeners
                .iter()
                .filter(|l| !held.contains(&l.addr))
                .collect()
        } else {
            named
        };
        for listener in &culprits {
            tracing::error!("env `{}` gets no listener: {message}", listener.env);
            self.excluded
                .insert(listener.env.clone(), message.to_string());
        }
        !culprits.is_empty()
    }

    fn listeners(&self) -> Vec<Listener> {
        let routes: BTreeMap<String, EnvRoute> = self
            .routes
            .iter()
            .filter(|(env, _)| !self.excluded.contains_key(*env))
            .map(|(env, route)| (env.clone(), route.clone()))
            .collect();
        build_listeners(&routes, &self.engine.replicas(None), &self.draining)
    }
}
