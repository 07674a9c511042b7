//! Feature flags at run time: evaluation, the per-env snapshot and the
//! OpenFeature Remote Evaluation Protocol (OFREP) server.
//!
//! ```text
//! EnvFlag (daytwo-spec) ─> FlagsHandle (ArcSwap<FlagSnapshot>) ─> evaluate() ─> OFREP router (axum)
//!                              └─ set_value / replace ─> new ETag ─> SSE refetchEvaluation
//! ```
//!
//! This crate owns how a flag is evaluated for a context (rules, sticky
//! percentage rollouts, env value), the read-heavy snapshot one env serves
//! and its run-time changes, the OFREP HTTP surface (single and bulk
//! evaluation, ETag/304, bearer auth, SSE change events) and the flagd
//! export. It does not parse the spec (daytwo-spec does), store change
//! history (the daemon records changes) or pick ports (the daemon binds
//! the listener and calls [`serve`]). docs/flags.md describes the behaviour.

mod bucket;
mod context;
mod error;
mod evaluate;
mod flagd;
mod ofrep;
mod snapshot;

pub use bucket::{bucket, murmur3_32};
pub use context::EvaluationContext;
pub use error::FlagsError;
pub use evaluate::{ErrorCode, Evaluation, EvaluationError, Reason, evaluate};
pub use flagd::{FLAGD_SCHEMA, to_flagd};
pub use ofrep::{
    DEFAULT_INACTIVITY_DELAY_SECS, EVENTS_PATH, OfrepOptions, router, router_with, serve,
};
pub use snapshot::{FlagChange, FlagSnapshot, FlagsHandle};
