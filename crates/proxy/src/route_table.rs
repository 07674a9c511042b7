//! The route table: the complete desired state of the data plane, as the
//! control plane sends it (`PUT /v1/routes`). Pure data with serde; checking
//! it is [`RouteTable::validate`], compiling it for the hot path is
//! `routing::Routing`.
//!
//! The proxy never receives deltas: every update is the whole table with a
//! generation number, and the proxy computes the difference itself, so a
//! restarted daemon simply sends its table again.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::SocketAddr;

/// The name of the group that receives the traffic not sent to a candidate.
pub const STABLE_GROUP: &str = "stable";
/// The name of the group of a canary or blue-green candidate.
pub const CANDIDATE_GROUP: &str = "candidate";

/// Everything the proxy serves. Generations only grow: a table whose
/// generation is not newer than the current one is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    pub generation: u64,
    #[serde(default)]
    pub listeners: Vec<Listener>,
}

/// One environment's listening address and where its requests go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub env: String,
    pub addr: SocketAddr,
    #[serde(default)]
    pub groups: Vec<UpstreamGroup>,
    /// Time allowed for an upstream's response headers; the proxy's default
    /// (`ProxyConfig::response_timeout`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_timeout_ms: Option<u64>,
}

/// A weighted set of upstreams, e.g. `stable` at 90 % and `candidate` at 10 %.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamGroup {
    pub name: String,
    pub weight_percent: u32,
    #[serde(default)]
    pub upstreams: Vec<Upstream>,
}

/// One replica's HTTP address. Only `routable` upstreams receive new requests;
/// requests already in flight to an unroutable or removed upstream finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// Stable identity across tables, e.g. `dev/web.1`; metrics are keyed by it.
    pub id: String,
    pub addr: SocketAddr,
    pub release: String,
    pub routable: bool,
}

/// Why a route table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteTableError {
    #[error("env `{env}` appears in more than one listener")]
    DuplicateEnv { env: String },
    #[error("address {addr} is used by more than one listener")]
    DuplicateAddr { addr: SocketAddr },
    #[error("env `{env}`: group `{group}` appears twice")]
    DuplicateGroup { env: String, group: String },
    #[error("env `{env}`: group weights add up to {total}, more than 100")]
    WeightsOver100 { env: String, total: u32 },
    #[error("upstream `{id}` appears more than once")]
    DuplicateUpstream { id: String },
}

impl RouteTable {
    /// Checks the invariants the proxy relies on: unique envs, addresses,
    /// group names per env and upstream ids; weights of an env add up to at
    /// most 100.
    pub fn validate(&self) -> Result<(), RouteTableError> {
        let mut envs = HashSet::new();
        let mut addrs = HashSet::new();
        let mut upstreams = HashSet::new();
        for listener in &self.listeners {
            if !envs.insert(listener.env.as_str()) {
                return Err(RouteTableError::DuplicateEnv {
                    env: listener.env.clone(),
                });
            }
            if !addrs.insert(listener.addr) {
                return Err(RouteTableError::DuplicateAddr {
                    addr: listener.addr,
                });
            }
            let mut groups = HashSet::new();
            let mut total = 0u32;
            for group in &listener.groups {
                if !groups.insert(group.name.as_str()) {
                    return Err(RouteTableError::DuplicateGroup {
                        env: listener.env.clone(),
                        group: group.name.clone(),
                    });
                }
                total = total.saturating_add(group.weight_percent);
                for upstream in &group.upstreams {
                    if !upstreams.insert(upstream.id.as_str()) {
                        return Err(RouteTableError::DuplicateUpstream {
                            id: upstream.id.clone(),
                        });
                    }
                }
            }
            if total > 100 {
                return Err(RouteTableError::WeightsOver100 {
                    env: listener.env.clone(),
                    total,
                });
            }
        }
        Ok(())
    }

    pub fn listener(&self, env: &str) -> Option<&Listener> {
        self.listeners.iter().find(|listener| listener.env == env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(id: &str, port: u16) -> Upstream {
        Upstream {
            id: id.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            release: "r1".into(),
            routable: true,
        }
    }

    fn listener(env: &str, port: u16, groups: Vec<UpstreamGroup>) -> Listener {
        Listener {
            env: env.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            groups,
            response_timeout_ms: None,
        }
    }

    fn group(name: &str, weight: u32, upstreams: Vec<Upstream>) -> UpstreamGroup {
        UpstreamGroup {
            name: name.into(),
            weight_percent: weight,
            upstreams,
        }
    }

    #[test]
    fn accepts_a_stable_and_candidate_split() {
        let table = RouteTable {
            generation: 1,
            listeners: vec![listener(
                "dev",
                8000,
                vec![
                    group(STABLE_GROUP, 90, vec![upstream("dev/web.1", 9001)]),
                    group(CANDIDATE_GROUP, 10, vec![upstream("dev/web.2", 9002)]),
                ],
            )],
        };
        assert_eq!(table.validate(), Ok(()));
    }

    #[test]
    fn refuses_weights_over_100_and_duplicates() {
        let over = RouteTable {
            generation: 1,
            listeners: vec![listener(
                "dev",
                8000,
                vec![group("stable", 90, vec![]), group("candidate", 20, vec![])],
            )],
        };
        assert!(matches!(
            over.validate(),
            Err(RouteTableError::WeightsOver100 { total: 110, .. })
        ));
        let same_addr = RouteTable {
            generation: 1,
            listeners: vec![listener("a", 8000, vec![]), listener("b", 8000, vec![])],
        };
        assert!(matches!(
            same_addr.validate(),
            Err(RouteTableError::DuplicateAddr { .. })
        ));
        let same_upstream = RouteTable {
            generation: 1,
            listeners: vec![
                listener(
                    "a",
                    8000,
                    vec![group("stable", 100, vec![upstream("x", 1)])],
                ),
                listener(
                    "b",
                    8001,
                    vec![group("stable", 100, vec![upstream("x", 2)])],
                ),
            ],
        };
        assert!(matches!(
            same_upstream.validate(),
            Err(RouteTableError::DuplicateUpstream { .. })
        ));
    }
}
