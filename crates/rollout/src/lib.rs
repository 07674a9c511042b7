//! daytwo's backend-neutral deploy. It owns the deploy state machine
//! ([`Deploy`]: preflight → switch → retire, or abort and restore), the
//! choice between a warm and a cold rollback ([`Rollback`]), the
//! reconciliation of a deploy interrupted by a daemon crash ([`reconcile`]),
//! the [`Target`] trait a backend implements, and an async driver
//! ([`run_deploy`]) that loops the machine against a target, and the
//! canary [`analysis`] (guards, statistics, the steady-state watch).
//!
//! ```text
//! DeployPlan ─> Deploy (sans-io) ─Action─> driver ─> Target (engine + proxy) ─Input─> Deploy ─> DeployOutcome
//! ```
//!
//! The machine does no I/O and reads no clock: time (`now`) and every
//! result come in as inputs, so its tests are deterministic. It does not
//! know processes, ports or the proxy's table format: the [`Target`] does.
//! docs/rollout.md describes the states, invariants and rules.

pub mod action;
pub mod analysis;
mod deploy;
mod driver;
mod outcome;
mod plan;
mod reconcile;
mod release;
mod rollback;
mod routing;
mod target;

pub use action::{Action, AnalysisRequest, Input, ReplicaHealth, SmokeResult};
pub use deploy::{CurrentReplicas, Deploy, Phase, Step};
pub use driver::{
    DeployEvent, ReconcileError, apply_reconcile, current_replicas, drive, perform, run_deploy,
    run_warm_rollback,
};
pub use outcome::{DeployOutcome, Failure, FailureReason, WarmRelease};
pub use plan::{
    CanaryStep, DEFAULT_CANARY_WEIGHTS, DEFAULT_SMOKE_TIMEOUT, DEFAULT_STEP_DURATION,
    DEFAULT_WARM_WINDOW, DeployPlan, FAILURE_LOG_LINES, HEALTH_POLL_INTERVAL, ProcessPlan,
    SmokeCheck, Strategy,
};
pub use reconcile::{ObservedEnv, ObservedReplica, ReconcileDecision, Verdict, reconcile};
pub use release::ReleaseRef;
pub use rollback::Rollback;
pub use routing::{RouteGroup, Routing};
pub use target::{Clock, Target, TokioClock};
