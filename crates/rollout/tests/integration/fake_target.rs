//! A seeded, in-memory `Target` on tokio's virtual clock. It records every
//! routing and stop, and checks the rollout's invariants at the moment each
//! change happens; faults are injected by [`Fault`].

use daytwo_rollout::{
    ObservedEnv, ObservedReplica, ReleaseRef, ReplicaHealth, Routing, SmokeCheck, SmokeResult,
    Target,
};
use daytwo_types::{ReplicaKey, ReplicaState};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What goes wrong in a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The first candidate never passes its health check.
    NeverHealthy,
    /// The first candidate crashes (and is restarted) before it is healthy.
    CrashInPreflight,
    SmokeFails,
    /// After the n-th routing change (1-based), a routable candidate crashes.
    CrashMidSwitch {
        call: usize,
    },
    /// The n-th routing change fails (and is not applied).
    RoutesErrorOnce {
        call: usize,
    },
    /// The n-th start call fails.
    StartError {
        call: usize,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("fake target: {0}")]
pub struct FakeError(String);

#[derive(Debug)]
struct FakeReplica {
    release: ReleaseRef,
    http: bool,
    started: Instant,
    /// `None`: never healthy.
    healthy_after: Option<Duration>,
    crash_at: Option<Instant>,
    stopped: bool,
}

#[derive(Debug)]
struct World {
    rng: fastrand::Rng,
    fault: Fault,
    replicas: BTreeMap<ReplicaKey, FakeReplica>,
    next_index: BTreeMap<String, u32>,
    routing: Routing,
    start_calls: usize,
    route_calls: usize,
    violations: Vec<String>,
    crash_injected: bool,
    crash_injected_at_final: bool,
    route_error_injected: bool,
    stopped: Vec<ReplicaKey>,
}

/// The fake env: old replicas at the start, candidates as the deploy starts them.
#[derive(Debug)]
pub struct FakeTarget {
    pub env: String,
    pub to: ReleaseRef,
    pub before: Routing,
    world: Mutex<World>,
}

/// What the fake saw, for the scenario's assertions.
#[derive(Debug)]
pub struct Record {
    pub routing: Routing,
    pub route_calls: usize,
    pub violations: Vec<String>,
    pub crash_injected: bool,
    pub crash_injected_at_final: bool,
    pub route_error_injected: bool,
    pub stopped: Vec<ReplicaKey>,
    /// Replicas of `to` (the candidates).
    pub candidates: Vec<ReplicaKey>,
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl FakeTarget {
    /// An env running `from` with `http` and `workers` healthy replicas.
    pub fn new(
        seed: u64,
        fault: Fault,
        from: Option<&ReleaseRef>,
        to: &ReleaseRef,
        http: u32,
        workers: u32,
    ) -> Self {
        let mut replicas = BTreeMap::new();
        let mut next_index = BTreeMap::new();
        let mut before = Routing::empty();
        if let Some(from) = from {
            for (process, count, is_http) in [("web", http, true), ("worker", workers, false)] {
                for n in 1..=count {
                    replicas.insert(
                        ReplicaKey::new("prod", process, n),
                        FakeReplica {
                            release: from.clone(),
                            http: is_http,
                            started: now(),
                            healthy_after: Some(Duration::ZERO),
                            crash_at: None,
                            stopped: false,
                        },
                    );
                }
                next_index.insert(process.to_owned(), count);
            }
            before = Routing::only(
                from.clone(),
                (1..=http).map(|n| ReplicaKey::new("prod", "web", n)),
            );
        }
        Self {
            env: "prod".into(),
            to: to.clone(),
            before: before.clone(),
            world: Mutex::new(World {
                rng: fastrand::Rng::with_seed(seed),
                fault,
                replicas,
                next_index,
                routing: before,
                start_calls: 0,
                route_calls: 0,
                violations: Vec::new(),
                crash_injected: false,
                crash_injected_at_final: false,
                route_error_injected: false,
                stopped: Vec::new(),
            }),
        }
    }

    pub fn record(&self) -> Record {
        let world = self.world.lock().unwrap();
        Record {
            routing: world.routing.clone(),
            route_calls: world.route_calls,
            violations: world.violations.clone(),
            crash_injected: world.crash_injected,
            crash_injected_at_final: world.crash_injected_at_final,
            route_error_injected: world.route_error_injected,
            stopped: world.stopped.clone(),
            candidates: world
                .replicas
                .iter()
                .filter(|(_, r)| r.release == self.to)
                .map(|(key, _)| key.clone())
                .collect(),
        }
    }

    pub fn is_stopped(&self, key: &ReplicaKey) -> bool {
        self.world.lock().unwrap().replicas[key].stopped
    }
}

impl World {
    fn health(&self, key: &ReplicaKey) -> ReplicaHealth {
        let Some(replica) = self.replicas.get(key) else {
            return ReplicaHealth::new(ReplicaState::Exited, 0);
        };
        let now = now();
        if replica.stopped {
            return ReplicaHealth::new(ReplicaState::Exited, 0);
        }
        if replica.crash_at.is_some_and(|at| at <= now) {
            // The engine restarted it: starting again, one restart.
            return ReplicaHealth::new(ReplicaState::Starting, 1);
        }
        match replica.healthy_after {
            Some(after) if replica.started + after <= now => ReplicaHealth::healthy(),
            _ => ReplicaHealth::new(ReplicaState::Starting, 0),
        }
    }

    /// Some group with weight above 0 has a routable replica that is healthy.
    fn served(&self, routing: &Routing) -> bool {
        routing
            .receiving()
            .into_iter()
            .any(|key| self.health(key).is_good())
    }
}

impl Target for FakeTarget {
    type Error = FakeError;

    async fn observe(&self, env: &str) -> Result<ObservedEnv, FakeError> {
        assert_eq!(env, self.env);
        let world = self.world.lock().unwrap();
        Ok(ObservedEnv {
            replicas: world
                .replicas
                .iter()
                .filter(|(_, r)| !r.stopped)
                .map(|(key, r)| ObservedReplica {
                    key: key.clone(),
                    release: r.release.clone(),
                    http: r.http,
                    health: world.health(key),
                    receiving: world.routing.is_receiving(key),
                })
                .collect(),
        })
    }

    async fn start_replicas(
        &self,
        env: &str,
        release: &ReleaseRef,
        process: &str,
        count: u32,
    ) -> Result<Vec<ReplicaKey>, FakeError> {
        let delay = {
            let mut world = self.world.lock().unwrap();
            world.start_calls += 1;
            if world.fault
                == (Fault::StartError {
                    call: world.start_calls,
                })
            {
                return Err(FakeError("no free port".into()));
            }
            Duration::from_millis(world.rng.u64(0..20))
        };
        tokio::time::sleep(delay).await;
        let mut world = self.world.lock().unwrap();
        let http = process == "web";
        let mut started = Vec::new();
        for _ in 0..count {
            let index = world.next_index.entry(process.to_owned()).or_insert(0);
            *index += 1;
            let key = ReplicaKey::new(env, process, *index);
            let first = world.replicas.values().all(|r| r.release != *release);
            let mut healthy_after = Some(Duration::from_millis(world.rng.u64(0..400)));
            let mut crash_at = None;
            match world.fault {
                Fault::NeverHealthy if first => healthy_after = None,
                Fault::CrashInPreflight if first => {
                    healthy_after = None;
                    crash_at = Some(now() + Duration::from_millis(world.rng.u64(0..50)));
                }
                _ => {}
            }
            world.replicas.insert(
                key.clone(),
                FakeReplica {
                    release: release.clone(),
                    http,
                    started: now(),
                    healthy_after,
                    crash_at,
                    stopped: false,
                },
            );
            started.push(key);
        }
        Ok(started)
    }

    async fn replica_health(&self, replica: &ReplicaKey) -> Result<ReplicaHealth, FakeError> {
        Ok(self.world.lock().unwrap().health(replica))
    }

    async fn run_smoke(
        &self,
        replica: &ReplicaKey,
        _check: &SmokeCheck,
    ) -> Result<SmokeResult, FakeError> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut world = self.world.lock().unwrap();
        if world.routing.is_receiving(replica) {
            world
                .violations
                .push(format!("smoke check ran against routable {replica}"));
        }
        if !world.health(replica).is_good() {
            world
                .violations
                .push(format!("smoke check ran against unhealthy {replica}"));
        }
        let passed = world.fault != Fault::SmokeFails;
        Ok(SmokeResult {
            passed,
            output: if passed {
                "ok".into()
            } else {
                "GET /orders: 500".into()
            },
        })
    }

    async fn set_routes(&self, env: &str, routing: &Routing) -> Result<(), FakeError> {
        assert_eq!(env, self.env);
        let mut world = self.world.lock().unwrap();
        world.route_calls += 1;
        let call = world.route_calls;
        if world.fault == (Fault::RoutesErrorOnce { call }) {
            world.route_error_injected = true;
            return Err(FakeError("proxy.sock: connection refused".into()));
        }
        for group in routing.groups() {
            for key in &group.routable {
                match world.replicas.get(key) {
                    Some(replica) if replica.release == group.release && replica.http => {}
                    _ => world.violations.push(format!(
                        "call {call}: {key} routed in the group of {}",
                        group.release
                    )),
                }
            }
        }
        let total: u32 = routing.groups().map(|g| g.weight_percent).sum();
        if total > 100 {
            world
                .violations
                .push(format!("call {call}: weights add up to {total}"));
        }
        let anything_routable = routing.groups().any(|g| !g.routable.is_empty());
        let had_replicas = self.before.groups().any(|g| !g.routable.is_empty());
        if (anything_routable || had_replicas) && !world.served(routing) {
            world.violations.push(format!(
                "call {call}: no healthy routable replica would serve: {routing:?}"
            ));
        }
        world.routing = routing.clone();
        if world.fault == (Fault::CrashMidSwitch { call }) {
            let candidates: Vec<ReplicaKey> = routing
                .receiving()
                .into_iter()
                .filter(|key| world.replicas[*key].release == self.to)
                .cloned()
                .collect();
            if !candidates.is_empty() {
                let victim = candidates[world.rng.usize(0..candidates.len())].clone();
                world.replicas.get_mut(&victim).unwrap().crash_at = Some(now());
                world.crash_injected = true;
                world.crash_injected_at_final = routing.candidate.is_none()
                    && routing
                        .stable
                        .as_ref()
                        .is_some_and(|s| s.release == self.to);
            }
        }
        Ok(())
    }

    async fn wait_drained(
        &self,
        replicas: &[ReplicaKey],
        timeout: Duration,
    ) -> Result<bool, FakeError> {
        let delay = {
            let mut world = self.world.lock().unwrap();
            for key in replicas {
                if world.routing.is_receiving(key) {
                    world
                        .violations
                        .push(format!("drained {key} while it still receives requests"));
                }
            }
            Duration::from_millis(world.rng.u64(0..30))
        };
        tokio::time::sleep(delay.min(timeout)).await;
        Ok(true)
    }

    async fn stop_replicas(&self, replicas: &[ReplicaKey]) -> Result<(), FakeError> {
        let mut world = self.world.lock().unwrap();
        for key in replicas {
            if world.routing.is_receiving(key) {
                world
                    .violations
                    .push(format!("stopped {key} while it still receives requests"));
            }
            match world.replicas.get_mut(key) {
                Some(replica) => replica.stopped = true,
                None => return Err(FakeError(format!("no replica {key}"))),
            }
            world.stopped.push(key.clone());
        }
        Ok(())
    }

    async fn replica_logs(
        &self,
        replica: &ReplicaKey,
        last_n: usize,
    ) -> Result<Vec<String>, FakeError> {
        Ok((0..last_n.min(3))
            .map(|n| format!("{replica} line {n}"))
            .collect())
    }
}
