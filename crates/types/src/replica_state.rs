//! The lifecycle state of one replica, as `daytwo ps` shows it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a replica is in its life. Serialized in lower case; these strings are
/// part of the `daytwo ps --json` contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplicaState {
    /// Spawned, not yet passed its health check.
    Starting,
    /// Running and passing its health check (or running, when it has none).
    Healthy,
    /// Running but failing its health check past the unhealthy threshold.
    Unhealthy,
    /// Stop signal sent, waiting for the process group to exit.
    Stopping,
    /// Not running (stopped on purpose, or waiting for a restart).
    Exited,
    /// Crashed too often in a short time; restarted only after a long backoff.
    Crashloop,
}

impl ReplicaState {
    pub const ALL: [ReplicaState; 6] = [
        Self::Starting,
        Self::Healthy,
        Self::Unhealthy,
        Self::Stopping,
        Self::Exited,
        Self::Crashloop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::Stopping => "stopping",
            Self::Exited => "exited",
            Self::Crashloop => "crashloop",
        }
    }

    /// Whether a process is (believed to be) alive in this state.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            Self::Starting | Self::Healthy | Self::Unhealthy | Self::Stopping
        )
    }
}

impl fmt::Display for ReplicaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReplicaState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown replica state `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_contract_strings() {
        for state in ReplicaState::ALL {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(state.as_str().parse::<ReplicaState>().unwrap(), state);
        }
    }
}
