//! How a deploy ended: [`DeployOutcome`], and for the failures, what failed
//! and where ([`Failure`]).

use crate::release::ReleaseRef;
use daytwo_types::{ReplicaKey, ReplicaState};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The end of a deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployOutcome {
    /// The new release serves all traffic of the env.
    Succeeded { warm: Option<WarmRelease> },
    /// Preflight failed: the candidates were stopped and nothing else
    /// changed; the old release never stopped serving.
    Failed(Failure),
    /// The switch had begun when something failed: the routing was restored
    /// to what it was before the deploy and the candidates stopped.
    RolledBack(Failure),
    /// The routing could not be restored after a failure during the switch;
    /// the env may serve both releases until it is reconciled
    /// ([`crate::reconcile`]).
    Unresolved { failure: Failure, error: String },
}

impl DeployOutcome {
    /// `succeeded`, `failed`, `rolled_back` or `unresolved`: the history's
    /// `outcome` strings.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Succeeded { .. } => "succeeded",
            Self::Failed(_) => "failed",
            Self::RolledBack(_) => "rolled_back",
            Self::Unresolved { .. } => "unresolved",
        }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, Self::Succeeded { .. })
    }

    /// The name of the canary guard that failed, for the history.
    pub fn failed_guard(&self) -> Option<&str> {
        match &self.failure()?.reason {
            FailureReason::GuardFailed { guard, .. } => Some(guard),
            _ => None,
        }
    }

    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Self::Succeeded { .. } => None,
            Self::Failed(failure) | Self::RolledBack(failure) => Some(failure),
            Self::Unresolved { failure, .. } => Some(failure),
        }
    }
}

/// The previous release's HTTP replicas, still running but unroutable after
/// a successful deploy, until `until`. A rollback before then is a proxy
/// switch ([`crate::Rollback`]); afterwards the daemon stops them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarmRelease {
    pub release: ReleaseRef,
    pub replicas: Vec<ReplicaKey>,
    pub until: Instant,
}

/// What failed, on which replica, with that replica's last log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: FailureReason,
    pub replica: Option<ReplicaKey>,
    pub logs: Vec<String>,
}

impl Failure {
    pub fn new(reason: FailureReason, replica: Option<ReplicaKey>) -> Self {
        Self {
            reason,
            replica,
            logs: Vec::new(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.replica {
            Some(replica) => write!(f, "{replica}: {}", self.reason),
            None => write!(f, "{}", self.reason),
        }
    }
}

/// Why a deploy did not succeed; one variant per way it can fail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FailureReason {
    #[error("the candidate did not become healthy within {timeout:?}")]
    PreflightTimeout { timeout: Duration },
    #[error("the candidate crashed (restarted {restarts} time(s)) before it was healthy")]
    CandidateCrashed { restarts: u32 },
    #[error("the candidate is {state}")]
    CandidateUnhealthy { state: ReplicaState },
    #[error("the smoke check failed: {output}")]
    SmokeFailed { output: String },
    #[error("the candidate became {state} during the switch (restarts: {restarts})")]
    CandidateFailedDuringSwitch { state: ReplicaState, restarts: u32 },
    #[error("the warm replica is {state}, a warm rollback is not possible")]
    WarmReplicaUnhealthy { state: ReplicaState },
    /// A canary guard found a regression; `evidence` is its summary with
    /// the numbers.
    #[error("the canary failed the {guard} guard at {weight_percent}%: {evidence}")]
    GuardFailed {
        guard: String,
        weight_percent: u32,
        evidence: String,
    },
    /// The canary analysis stayed inconclusive through every extension of a
    /// step (too little data): failed closed.
    #[error(
        "the canary analysis at {weight_percent}% stayed inconclusive after {looks} look(s) and {extensions} extension(s): {pending}"
    )]
    AnalysisInconclusive {
        weight_percent: u32,
        looks: u32,
        extensions: u32,
        pending: String,
    },
    #[error("{step} failed: {error}")]
    Target { step: String, error: String },
}
