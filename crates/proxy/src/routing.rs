//! The compiled route table the data path reads on every request, published
//! with `ArcSwap` so a new table replaces the old one atomically, and the
//! balancing decisions made on it.
//!
//! Balancing, per request:
//! 1. **Group**: a weighted random pick among the groups that have a
//!    routable upstream left (`stable` 90 / `candidate` 10 sends each request
//!    to the candidate with probability 0.1). A group with weight 0 gets no
//!    traffic; when a group has no routable upstream its share goes to the
//!    others.
//! 2. **Upstream**: least outstanding requests with the power of two choices:
//!    two random upstreams of the group, the one with fewer requests in
//!    flight wins. It adapts to a slow or stuck replica (its in-flight count
//!    grows, so it loses the comparisons) without a shared cursor that every
//!    request would write to, and with equal replicas it spreads like random
//!    round robin. Upstreams that just refused a connection are avoided for a
//!    short time unless nothing else is left.

use crate::metrics::{EnvStats, MetricsRegistry, UpstreamStats};
use crate::route_table::RouteTable;
use hyper::header::HeaderValue;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The route table compiled for lookups by listener address.
#[derive(Debug, Default)]
pub struct Routing {
    pub table: RouteTable,
    pub by_addr: HashMap<SocketAddr, Arc<EnvRoutes>>,
}

/// Where one listener's requests go.
#[derive(Debug)]
pub struct EnvRoutes {
    pub env: String,
    pub groups: Vec<GroupRoutes>,
    pub response_timeout: Duration,
    pub stats: Arc<EnvStats>,
}

#[derive(Debug)]
pub struct GroupRoutes {
    pub weight: u32,
    /// Routable upstreams only.
    pub upstreams: Vec<Arc<UpstreamTarget>>,
}

/// A routable upstream with its live stats.
#[derive(Debug)]
pub struct UpstreamTarget {
    pub id: String,
    pub release: String,
    pub addr: SocketAddr,
    /// `Host` for a request that came without one (HTTP/1.0).
    pub host: HeaderValue,
    pub stats: Arc<UpstreamStats>,
}

impl Routing {
    pub fn compile(
        table: RouteTable,
        metrics: &MetricsRegistry,
        default_response_timeout: Duration,
    ) -> Self {
        let mut by_addr = HashMap::new();
        for listener in &table.listeners {
            let groups = listener
                .groups
                .iter()
                .map(|group| GroupRoutes {
                    weight: group.weight_percent,
                    upstreams: group
                        .upstreams
                        .iter()
                        .filter(|upstream| upstream.routable)
                        .map(|upstream| {
                            Arc::new(UpstreamTarget {
                                id: upstream.id.clone(),
                                release: upstream.release.clone(),
                                addr: upstream.addr,
                                host: HeaderValue::from_str(&upstream.addr.to_string())
                                    .expect("a socket address is a valid header value"),
                                stats: metrics.upstream(
                                    &listener.env,
                                    &upstream.id,
                                    &upstream.release,
                                ),
                            })
                        })
                        .collect(),
                })
                .collect();
            let routes = EnvRoutes {
                env: listener.env.clone(),
                groups,
                response_timeout: listener
                    .response_timeout_ms
                    .map(Duration::from_millis)
                    .unwrap_or(default_response_timeout),
                stats: metrics.env(&listener.env),
            };
            by_addr.insert(listener.addr, Arc::new(routes));
        }
        Self { table, by_addr }
    }
}

impl EnvRoutes {
    /// Chooses the upstream for a new request, never one in `tried`.
    pub fn pick(&self, tried: &[Arc<UpstreamTarget>]) -> Option<Arc<UpstreamTarget>> {
        let eligible = |group: &GroupRoutes| {
            group.weight > 0
                && group
                    .upstreams
                    .iter()
                    .any(|upstream| !tried.iter().any(|t| Arc::ptr_eq(t, upstream)))
        };
        let total: u32 = self
            .groups
            .iter()
            .filter(|group| eligible(group))
            .map(|group| group.weight)
            .sum();
        if total == 0 {
            return None;
        }
        let mut ticket = fastrand::u32(0..total);
        let group = self
            .groups
            .iter()
            .filter(|group| eligible(group))
            .find(|group| {
                if ticket < group.weight {
                    true
                } else {
                    ticket -= group.weight;
                    false
                }
            })?;
        pick_in_group(&group.upstreams, tried)
    }
}

/// Power of two choices on in-flight counts, skipping `tried` and, while
/// others remain, upstreams avoided after a connect failure.
fn pick_in_group(
    upstreams: &[Arc<UpstreamTarget>],
    tried: &[Arc<UpstreamTarget>],
) -> Option<Arc<UpstreamTarget>> {
    if tried.is_empty()
        && let Some(choice) = two_choices(upstreams)
    {
        return Some(choice);
    }
    let untried = |u: &Arc<UpstreamTarget>| !tried.iter().any(|t| Arc::ptr_eq(t, u));
    let candidates: Vec<Arc<UpstreamTarget>> =
        upstreams.iter().filter(|u| untried(u)).cloned().collect();
    two_choices(&candidates).or_else(|| {
        // Everything left is avoided: try one anyway rather than fail.
        (!candidates.is_empty())
            .then(|| Arc::clone(&candidates[fastrand::usize(..candidates.len())]))
    })
}

/// Two random distinct members of `upstreams` that are not avoided; the one
/// with fewer requests in flight. `None` if the random draw found only
/// avoided upstreams.
fn two_choices(upstreams: &[Arc<UpstreamTarget>]) -> Option<Arc<UpstreamTarget>> {
    let usable = |u: &UpstreamTarget| !u.stats.is_avoided();
    match upstreams.len() {
        0 => None,
        1 => usable(&upstreams[0]).then(|| Arc::clone(&upstreams[0])),
        n => {
            let first = fastrand::usize(..n);
            let mut second = fastrand::usize(..n - 1);
            if second >= first {
                second += 1;
            }
            let (a, b) = (&upstreams[first], &upstreams[second]);
            match (usable(a), usable(b)) {
                (true, true) => {
                    let choice = if b.stats.inflight() < a.stats.inflight() {
                        b
                    } else {
                        a
                    };
                    Some(Arc::clone(choice))
                }
                (true, false) => Some(Arc::clone(a)),
                (false, true) => Some(Arc::clone(b)),
                (false, false) => {
                    let rest: Vec<&Arc<UpstreamTarget>> =
                        upstreams.iter().filter(|u| usable(u)).collect();
                    (!rest.is_empty()).then(|| Arc::clone(rest[fastrand::usize(..rest.len())]))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route_table::{Listener, Upstream, UpstreamGroup};

    type GroupSpec<'a> = (&'a str, u32, Vec<(&'a str, bool)>);

    fn table(groups: Vec<GroupSpec<'_>>) -> RouteTable {
        RouteTable {
            generation: 1,
            listeners: vec![Listener {
                env: "dev".into(),
                addr: "127.0.0.1:8000".parse().unwrap(),
                response_timeout_ms: None,
                groups: groups
                    .into_iter()
                    .enumerate()
                    .map(|(g, (name, weight, upstreams))| UpstreamGroup {
                        name: name.into(),
                        weight_percent: weight,
                        upstreams: upstreams
                            .into_iter()
                            .enumerate()
                            .map(|(i, (id, routable))| Upstream {
                                id: id.into(),
                                addr: SocketAddr::from((
                                    [127, 0, 0, 1],
                                    9000 + (g * 100 + i) as u16,
                                )),
                                release: name.into(),
                                routable,
                            })
                            .collect(),
                    })
                    .collect(),
            }],
        }
    }

    fn routes(table: RouteTable) -> Arc<EnvRoutes> {
        let routing = Routing::compile(table, &MetricsRegistry::new(), Duration::from_secs(1));
        Arc::clone(routing.by_addr.values().next().unwrap())
    }

    #[test]
    fn never_picks_an_unroutable_upstream() {
        let routes = routes(table(vec![(
            "stable",
            100,
            vec![("a", true), ("b", false)],
        )]));
        for _ in 0..200 {
            assert_eq!(routes.pick(&[]).unwrap().id, "a");
        }
    }

    #[test]
    fn prefers_the_upstream_with_fewer_requests_in_flight() {
        let routes = routes(table(vec![(
            "stable",
            100,
            vec![("busy", true), ("idle", true)],
        )]));
        let busy = routes.groups[0].upstreams[0].clone();
        let _guards: Vec<_> = (0..5).map(|_| busy.stats.start_request()).collect();
        for _ in 0..100 {
            assert_eq!(routes.pick(&[]).unwrap().id, "idle");
        }
    }

    #[test]
    fn excludes_tried_upstreams_and_falls_back_to_other_groups() {
        let routes = routes(table(vec![
            ("stable", 100, vec![("a", true)]),
            ("candidate", 0, vec![("c", true)]),
        ]));
        let a = routes.pick(&[]).unwrap();
        assert!(routes.pick(&[a]).is_none(), "a 0 % group gets nothing");

        let routes = super::tests::routes(table(vec![
            ("stable", 50, vec![("a", true)]),
            ("candidate", 50, vec![("c", true)]),
        ]));
        let first = routes.pick(&[]).unwrap();
        let second = routes.pick(std::slice::from_ref(&first)).unwrap();
        assert_ne!(first.id, second.id);
    }

    #[test]
    fn a_group_without_routable_upstreams_yields_its_share() {
        let routes = routes(table(vec![
            ("stable", 90, vec![("a", true)]),
            ("candidate", 10, vec![("c", false)]),
        ]));
        for _ in 0..100 {
            assert_eq!(routes.pick(&[]).unwrap().id, "a");
        }
    }

    #[test]
    fn avoids_an_upstream_that_refused_a_connection() {
        let routes = routes(table(vec![("stable", 100, vec![("a", true), ("b", true)])]));
        routes.groups[0].upstreams[0]
            .stats
            .avoid_for(Duration::from_secs(60));
        for _ in 0..100 {
            assert_eq!(routes.pick(&[]).unwrap().id, "b");
        }
    }
}
