//! The protocol between the sans-io machines ([`crate::Deploy`]) and
//! whoever performs their I/O (the driver, or a test): the machine asks for
//! one [`Action`] at a time and is fed the matching [`Input`]. Any action can
//! instead answer [`Input::ActionFailed`].
//!
//! | action | answered by |
//! |---|---|
//! | `StartCandidates` | `Started` |
//! | `CheckHealth` | `Health` |
//! | `Wait` | `Tick` |
//! | `RunSmoke` | `Smoke` |
//! | `SetRoutes` | `RoutesApplied` |
//! | `Drain` | `Drained` |
//! | `StopCandidates`, `StopOld` | `Stopped` |
//! | `CollectLogs` | `Logs` |
//! | `Analyze` | `Verdict` |

use crate::analysis::{GuardConfig, LookBudget, SampleRequest, Verdict};
use crate::plan::SmokeCheck;
use crate::release::ReleaseRef;
use crate::routing::Routing;
use daytwo_types::{ReplicaKey, ReplicaState};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// One piece of I/O the machine wants done next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start `count` replicas of `process` running `release`, off-traffic
    /// (not routable until a `SetRoutes` says so).
    StartCandidates {
        release: ReleaseRef,
        process: String,
        count: u32,
    },
    /// Report the health of these replicas.
    CheckHealth { replicas: Vec<ReplicaKey> },
    /// Nothing to do before `until` (or before something changes).
    Wait { until: Instant },
    /// Run the smoke check against this (healthy, unroutable) replica.
    RunSmoke {
        replica: ReplicaKey,
        check: SmokeCheck,
    },
    /// Make this the env's routing, atomically.
    SetRoutes(Routing),
    /// Wait until these (unroutable) replicas have no request in flight, at
    /// most `timeout`.
    Drain {
        replicas: Vec<ReplicaKey>,
        timeout: Duration,
    },
    /// Stop replicas this deploy started.
    StopCandidates { replicas: Vec<ReplicaKey> },
    /// Stop replicas of the previous release.
    StopOld { replicas: Vec<ReplicaKey> },
    /// Fetch the last `last_n` log lines of a replica that failed.
    CollectLogs { replica: ReplicaKey, last_n: usize },
    /// One look of the canary analysis: collect the samples of the window
    /// and evaluate the guards (answered by [`Input::Verdict`]).
    Analyze(Box<AnalysisRequest>),
}

/// Everything one look of the canary analysis needs.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRequest {
    /// What to collect (the window and the replicas of each group).
    pub samples: SampleRequest,
    pub guards: GuardConfig,
    /// The α budget of the whole canary (see [`LookBudget`]).
    pub budget: LookBudget,
    /// 1-based number of this look in the step (extensions included).
    pub look: u32,
}

impl Action {
    /// One line for progress displays, e.g. `start 2 × web of 2.0.0`.
    pub fn describe(&self) -> String {
        match self {
            Self::StartCandidates {
                release,
                process,
                count,
            } => format!("start {count} × {process} of {release}"),
            Self::CheckHealth { replicas } => format!("check health of {}", list(replicas)),
            Self::Wait { .. } => "wait".to_owned(),
            Self::RunSmoke { replica, .. } => format!("smoke check against {replica}"),
            Self::SetRoutes(routing) => {
                let groups: Vec<String> = routing
                    .groups()
                    .map(|group| {
                        format!(
                            "{} {}% ({} routable)",
                            group.release,
                            group.weight_percent,
                            group.routable.len()
                        )
                    })
                    .collect();
                if groups.is_empty() {
                    "route nothing".to_owned()
                } else {
                    format!("route {}", groups.join(", "))
                }
            }
            Self::Drain { replicas, .. } => format!("drain {}", list(replicas)),
            Self::StopCandidates { replicas } | Self::StopOld { replicas } => {
                format!("stop {}", list(replicas))
            }
            Self::CollectLogs { replica, .. } => format!("collect logs of {replica}"),
            Self::Analyze(request) => format!(
                "analyse the canary at {}% (look {})",
                request.samples.weight_percent, request.look
            ),
        }
    }
}

fn list(replicas: &[ReplicaKey]) -> String {
    let names: Vec<String> = replicas.iter().map(ToString::to_string).collect();
    names.join(", ")
}

/// What happened when an [`Action`] was performed.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Started {
        replicas: Vec<ReplicaKey>,
    },
    Health(Vec<(ReplicaKey, ReplicaHealth)>),
    Tick,
    Smoke(SmokeResult),
    RoutesApplied,
    /// `complete` is false when the timeout passed with requests in flight.
    Drained {
        complete: bool,
    },
    Stopped,
    Logs(Vec<String>),
    /// The conclusion of one look of the canary analysis.
    Verdict(Verdict),
    /// The target could not perform the action.
    ActionFailed {
        error: String,
    },
}

/// A replica's health as the target reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaHealth {
    pub state: ReplicaState,
    /// Restarts since it was started; a candidate that restarted crashed.
    pub restarts: u32,
}

impl ReplicaHealth {
    pub fn new(state: ReplicaState, restarts: u32) -> Self {
        Self { state, restarts }
    }

    pub fn healthy() -> Self {
        Self::new(ReplicaState::Healthy, 0)
    }

    /// Healthy and never crashed.
    pub fn is_good(self) -> bool {
        self.state == ReplicaState::Healthy && self.restarts == 0
    }

    /// Crashed, failing its check or gone: it will not become good by
    /// waiting. `Starting` without a restart is still pending.
    pub fn is_failed(self) -> bool {
        self.restarts > 0
            || matches!(
                self.state,
                ReplicaState::Unhealthy
                    | ReplicaState::Stopping
                    | ReplicaState::Exited
                    | ReplicaState::Crashloop
            )
    }
}

/// The end of a smoke check run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeResult {
    pub passed: bool,
    /// The command's combined output (its tail), for the failure report.
    pub output: String,
}
