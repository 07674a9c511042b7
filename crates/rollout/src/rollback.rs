//! Rollback: back to the previous release. Warm when its HTTP replicas are
//! still running (a proxy switch, [`crate::Deploy::rollback_warm`]); cold
//! otherwise (a normal deploy of the older bundle, [`crate::Deploy::new`]).
//! Promote needs nothing of its own: it is a deploy of a given digest.

use crate::outcome::WarmRelease;
use crate::release::ReleaseRef;
use std::time::Instant;

/// How a rollback to a release is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollback {
    /// The release's replicas are warm: switch the proxy back.
    Warm(WarmRelease),
    /// Deploy the release again, preflight and all.
    Cold,
}

impl Rollback {
    /// Warm when `warm` is that release and its window has not ended.
    pub fn choose(warm: Option<&WarmRelease>, to: &ReleaseRef, now: Instant) -> Self {
        match warm {
            Some(warm) if warm.release == *to && now < warm.until && !warm.replicas.is_empty() => {
                Self::Warm(warm.clone())
            }
            _ => Self::Cold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daytwo_types::ReplicaKey;
    use std::time::Duration;

    #[test]
    fn rollback_is_warm_only_to_the_warm_release_within_its_window() {
        let now = Instant::now();
        let old = ReleaseRef::new("1", "sha256:1");
        let warm = WarmRelease {
            release: old.clone(),
            replicas: vec![ReplicaKey::new("prod", "web", 1)],
            until: now + Duration::from_secs(60),
        };
        assert_eq!(
            Rollback::choose(Some(&warm), &old, now),
            Rollback::Warm(warm.clone())
        );
        assert_eq!(
            Rollback::choose(Some(&warm), &old, now + Duration::from_secs(60)),
            Rollback::Cold
        );
        let older = ReleaseRef::new("0", "sha256:0");
        assert_eq!(Rollback::choose(Some(&warm), &older, now), Rollback::Cold);
        assert_eq!(Rollback::choose(None, &old, now), Rollback::Cold);
    }
}
