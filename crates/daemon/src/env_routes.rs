//! What the proxy should serve, derived from the envs and their replicas: one
//! [`Listener`] per env that has a `listen` address and an HTTP process.
//!
//! ```text
//! EnvRoute {env, listen, process, routing} + ReplicaStatus* ──build_listeners──> [Listener {env, addr, groups}]
//! ```
//!
//! Without a deploy's [`Routing`] (an env run by `daytwo up`) there is one
//! `stable` group at 100 % with every HTTP replica of the env, routable when
//! healthy. With one, the `stable` and `candidate` groups follow it: a
//! replica is in the group of its release, routable only when the routing
//! names it **and** it is healthy; an HTTP replica of another release (a
//! warm one, or one leaving) is listed unroutable in `stable`, so requests
//! in flight to it finish and can be waited for.
//!
//! Pure data: sending the table is `route_sync`'s job.

use daytwo_engine::ReplicaStatus;
use daytwo_proxy::{CANDIDATE_GROUP, Listener, STABLE_GROUP, Upstream, UpstreamGroup};
use daytwo_rollout::{RouteGroup, Routing};
use daytwo_spec::EnvSpec;
use daytwo_types::ReplicaState;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Share of the `stable` group while no candidate release exists.
pub(crate) const STABLE_WEIGHT_PERCENT: u32 = 100;
/// Replicas listen on loopback (`$PORT` on 127.0.0.1).
const REPLICA_HOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// An env's entry in the route table: where it listens and which process
/// serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvRoute {
    pub(crate) env: String,
    pub(crate) listen: SocketAddr,
    /// The HTTP process whose replicas are the upstreams.
    pub(crate) process: String,
    /// The process's `stop_timeout`: how long a drain may wait.
    pub(crate) stop_timeout: Duration,
    /// The routing a deploy set; `None`: every healthy HTTP replica serves.
    pub(crate) routing: Option<Routing>,
}

impl EnvRoute {
    /// The route of `spec`, if it has a `listen` address and an HTTP process.
    pub(crate) fn of(spec: &EnvSpec) -> Option<EnvRoute> {
        let listen = spec.listen?;
        let process = spec.http_process()?;
        Some(EnvRoute {
            env: spec.env.clone(),
            listen,
            process: process.name.clone(),
            stop_timeout: process.stop_timeout,
            routing: None,
        })
    }

    /// The same route with a deploy's routing.
    pub(crate) fn with_routing(mut self, routing: Option<Routing>) -> EnvRoute {
        self.routing = routing;
        self
    }
}

/// The listeners for `routes` (sorted by env). Replicas of a `draining` env
/// are present but not routable; otherwise see the module doc.
pub(crate) fn build_listeners(
    routes: &BTreeMap<String, EnvRoute>,
    replicas: &[ReplicaStatus],
    draining: &BTreeSet<String>,
) -> Vec<Listener> {
    routes
        .values()
        .map(|route| {
            let drain = draining.contains(&route.env);
            let http: Vec<&ReplicaStatus> = replicas
                .iter()
                .filter(|status| is_upstream_of(route, status))
                .collect();
            let groups = match &route.routing {
                None => vec![UpstreamGroup {
                    name: STABLE_GROUP.to_string(),
                    weight_percent: STABLE_WEIGHT_PERCENT,
                    upstreams: sorted(
                        http.iter()
                            .filter_map(|status| upstream(status, !drain && is_healthy(status)))
                            .collect(),
                    ),
                }],
                Some(routing) => routed_groups(routing, &http, drain),
            };
            Listener {
                env: route.env.clone(),
                addr: route.listen,
                groups,
                response_timeout_ms: None,
            }
        })
        .collect()
}

/// The `stable` and `candidate` groups of a deploy's routing.
fn routed_groups(routing: &Routing, http: &[&ReplicaStatus], drain: bool) -> Vec<UpstreamGroup> {
    let group_of = |status: &ReplicaStatus| -> Option<&RouteGroup> {
        routing
            .groups()
            .find(|group| group.release.digest == status.release)
    };
    let mut stable = UpstreamGroup {
        name: STABLE_GROUP.to_string(),
        weight_percent: routing.stable.as_ref().map_or(0, |g| g.weight_percent),
        upstreams: Vec::new(),
    };
    let mut candidate = UpstreamGroup {
        name: CANDIDATE_GROUP.to_string(),
        weight_percent: routing.candidate.as_ref().map_or(0, |g| g.weight_percent),
        upstreams: Vec::new(),
    };
    for status in http {
        let group = group_of(status);
        let routable =
            !drain && is_healthy(status) && group.is_some_and(|g| g.routable.contains(&status.key));
        let Some(upstream) = upstream(status, routable) else {
            continue;
        };
        let in_candidate = match (group, &routing.candidate) {
            (Some(group), Some(candidate)) => group.release == candidate.release,
            _ => false,
        };
        if in_candidate {
            candidate.upstreams.push(upstream);
        } else {
            stable.upstreams.push(upstream);
        }
    }
    stable.upstreams = sorted(stable.upstreams);
    candidate.upstreams = sorted(candidate.upstreams);
    if routing.candidate.is_some() {
        vec![stable, candidate]
    } else {
        vec![stable]
    }
}

fn is_upstream_of(route: &EnvRoute, status: &ReplicaStatus) -> bool {
    status.key.env == route.env && status.port.is_some()
}

fn is_healthy(status: &ReplicaStatus) -> bool {
    status.state == ReplicaState::Healthy
}

fn upstream(status: &ReplicaStatus, routable: bool) -> Option<Upstream> {
    Some(Upstream {
        id: status.key.to_string(),
        addr: SocketAddr::new(REPLICA_HOST, status.port?),
        release: status.release.clone(),
        routable,
    })
}

fn sorted(mut upstreams: Vec<Upstream>) -> Vec<Upstream> {
    upstreams.sort_by(|a, b| a.id.cmp(&b.id));
    upstreams
}

/// Ids of the upstreams of `route` among `replicas` (`env/process.N`).
pub(crate) fn upstream_ids(route: &EnvRoute, replicas: &[ReplicaStatus]) -> Vec<String> {
    replicas
        .iter()
        .filter(|status| is_upstream_of(route, status))
        .map(|status| status.key.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use daytwo_types::ReplicaKey;
    use std::path::PathBuf;

    fn replica(
        env: &str,
        process: &str,
        n: u32,
        port: Option<u16>,
        state: ReplicaState,
    ) -> ReplicaStatus {
        ReplicaStatus {
            key: ReplicaKey::new(env, process, n),
            pid: Some(100 + n),
            shim_pid: None,
            start_ticks: None,
            port,
            state,
            restarts: 0,
            rss_bytes: 0,
            cpu_percent: 0.0,
            release: "r1".to_string(),
            started_at: None,
            last_exit: None,
            log_path: PathBuf::new(),
        }
    }

    fn route(env: &str, port: u16) -> EnvRoute {
        EnvRoute {
            env: env.to_string(),
            listen: SocketAddr::new(REPLICA_HOST, port),
            process: "web".to_string(),
            stop_timeout: Duration::from_secs(5),
            routing: None,
        }
    }

    #[test]
    fn only_healthy_replicas_of_the_http_process_are_routable() {
        let routes = BTreeMap::from([("dev".to_string(), route("dev", 8000))]);
        let replicas = vec![
            replica("dev", "web", 2, Some(4002), ReplicaState::Starting),
            replica("dev", "web", 1, Some(4001), ReplicaState::Healthy),
            replica("dev", "worker", 1, None, ReplicaState::Healthy),
            replica("qa", "web", 1, Some(5001), ReplicaState::Healthy),
        ];
        let listeners = build_listeners(&routes, &replicas, &BTreeSet::new());
        assert_eq!(listeners.len(), 1);
        let group = &listeners[0].groups[0];
        assert_eq!(group.name, STABLE_GROUP);
        assert_eq!(group.weight_percent, 100);
        let summary: Vec<(String, String, bool)> = group
            .upstreams
            .iter()
            .map(|u| (u.id.clone(), u.addr.to_string(), u.routable))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("dev/web.1".to_string(), "127.0.0.1:4001".to_string(), true),
                ("dev/web.2".to_string(), "127.0.0.1:4002".to_string(), false),
            ]
        );
    }

    #[test]
    fn a_draining_env_keeps_its_listener_with_nothing_routable() {
        let routes = BTreeMap::from([
            ("dev".to_string(), route("dev", 8000)),
            ("qa".to_string(), route("qa", 8001)),
        ]);
        let replicas = vec![
            replica("dev", "web", 1, Some(4001), ReplicaState::Healthy),
            replica("qa", "web", 1, Some(5001), ReplicaState::Healthy),
        ];
        let draining = BTreeSet::from(["dev".to_string()]);
        let listeners = build_listeners(&routes, &replicas, &draining);
        assert_eq!(listeners.len(), 2);
        assert!(!listeners[0].groups[0].upstreams[0].routable, "dev drains");
        assert!(listeners[1].groups[0].upstreams[0].routable, "qa serves");
        assert_eq!(
            upstream_ids(&routes["dev"], &replicas),
            vec!["dev/web.1".to_string()]
        );
    }

    #[test]
    fn a_deploy_routing_splits_releases_into_weighted_groups() {
        let mut old = replica("dev", "web", 1, Some(4001), ReplicaState::Healthy);
        old.release = "sha256:old".into();
        let mut new = replica("dev", "web", 2, Some(4002), ReplicaState::Healthy);
        new.release = "sha256:new".into();
        let mut sick = replica("dev", "web", 3, Some(4003), ReplicaState::Unhealthy);
        sick.release = "sha256:new".into();
        let mut warm = replica("dev", "web", 4, Some(4004), ReplicaState::Healthy);
        warm.release = "sha256:older".into();
        let routing = Routing {
            stable: Some(RouteGroup {
                release: daytwo_rollout::ReleaseRef::new("1", "sha256:old"),
                weight_percent: 50,
                routable: [old.key.clone()].into(),
            }),
            candidate: Some(RouteGroup {
                release: daytwo_rollout::ReleaseRef::new("2", "sha256:new"),
                weight_percent: 50,
                routable: [new.key.clone(), sick.key.clone()].into(),
            }),
        };
        let routes = BTreeMap::from([(
            "dev".to_string(),
            route("dev", 8000).with_routing(Some(routing)),
        )]);
        let listeners = build_listeners(&routes, &[old, new, sick, warm], &BTreeSet::new());
        type GroupSummary = (String, u32, Vec<(String, bool)>);
        let summary: Vec<GroupSummary> = listeners[0]
            .groups
            .iter()
            .map(|g| {
                (
                    g.name.clone(),
                    g.weight_percent,
                    g.upstreams
                        .iter()
                        .map(|u| (u.id.clone(), u.routable))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "stable".to_string(),
                    50,
                    vec![("dev/web.1".into(), true), ("dev/web.4".into(), false)]
                ),
                (
                    "candidate".to_string(),
                    50,
                    vec![("dev/web.2".into(), true), ("dev/web.3".into(), false)]
                ),
            ]
        );
    }
}
