//! The routing a deploy asks for: at most two weighted groups of one env's
//! HTTP replicas, `stable` (the release serving before the deploy) and
//! `candidate` (the release being deployed). The target turns it into the
//! proxy's route table (`stable` / `candidate` upstream groups).
//!
//! `routable` is the deploy's permission to send a replica new requests; the
//! target still withholds requests from a replica that is not healthy. A
//! running HTTP replica of a group's release that is not in `routable` is
//! listed unroutable (or left out): it gets no new request, its in-flight
//! requests finish.

use crate::release::ReleaseRef;
use daytwo_types::ReplicaKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The whole routing of one env, as far as the deploy is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    pub stable: Option<RouteGroup>,
    pub candidate: Option<RouteGroup>,
}

/// One weighted group: which release, what share of requests, which of its
/// replicas may receive them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteGroup {
    pub release: ReleaseRef,
    /// 0–100; the two groups of a routing add up to 100 (or to 0 when nothing
    /// is routable).
    pub weight_percent: u32,
    pub routable: BTreeSet<ReplicaKey>,
}

impl Routing {
    /// Everything of `release` goes to `replicas` (the steady state).
    pub fn only(release: ReleaseRef, replicas: impl IntoIterator<Item = ReplicaKey>) -> Self {
        Self {
            stable: Some(RouteGroup {
                release,
                weight_percent: 100,
                routable: replicas.into_iter().collect(),
            }),
            candidate: None,
        }
    }

    /// Nothing is routed (an env that never had a release).
    pub fn empty() -> Self {
        Self::default()
    }

    /// The groups that are present, stable first.
    pub fn groups(&self) -> impl Iterator<Item = &RouteGroup> {
        self.stable.iter().chain(self.candidate.iter())
    }

    /// Replicas that may receive new requests: routable in a group whose
    /// weight is above 0.
    pub fn receiving(&self) -> BTreeSet<&ReplicaKey> {
        self.groups()
            .filter(|group| group.weight_percent > 0)
            .flat_map(|group| group.routable.iter())
            .collect()
    }

    /// Whether `replica` may receive new requests.
    pub fn is_receiving(&self, replica: &ReplicaKey) -> bool {
        self.groups()
            .any(|group| group.weight_percent > 0 && group.routable.contains(replica))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_weight_group_receives_nothing() {
        let old = ReplicaKey::new("dev", "web", 1);
        let new = ReplicaKey::new("dev", "web", 2);
        let routing = Routing {
            stable: Some(RouteGroup {
                release: ReleaseRef::new("1", "a"),
                weight_percent: 0,
                routable: [old.clone()].into(),
            }),
            candidate: Some(RouteGroup {
                release: ReleaseRef::new("2", "b"),
                weight_percent: 100,
                routable: [new.clone()].into(),
            }),
        };
        assert!(!routing.is_receiving(&old));
        assert!(routing.is_receiving(&new));
        assert_eq!(routing.receiving().len(), 1);
    }
}
