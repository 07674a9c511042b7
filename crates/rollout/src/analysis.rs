//! Canary analysis: compares the candidate release with the stable one over
//! the same window and says pass, fail or inconclusive, with the evidence;
//! and the steady-state watch that keeps looking after promotion.
//!
//! ```text
//! WindowSamples ─> GuardConfig::evaluate (one test per guard, α from LookBudget) ─> Verdict { decision, reports }
//! GroupSamples  ─> SteadyWatch::look (absolute thresholds, hysteresis)          ─> Option<Incident { remediation }>
//! ```
//!
//! Pure and deterministic: no I/O, no clock, no randomness. It does not
//! collect samples (the target does, see [`crate::Target::collect_samples`])
//! nor act on a verdict (the deploy machine and the daemon do).
//! docs/analysis.md explains the method and its parameters.

pub mod cpu_per_request;
pub mod error_rate;
pub mod from_spec;
pub mod guard_config;
pub mod latency;
pub mod look_budget;
pub mod mann_whitney;
pub mod memory_growth;
pub mod normal;
pub mod proportion;
pub mod restarts;
pub mod samples;
pub mod steady_watch;
pub mod theil_sen;
pub mod verdict;

pub use cpu_per_request::{CpuPerRequestGuard, DEFAULT_CPU_TOLERANCE};
pub use error_rate::{
    DEFAULT_ERROR_ABSOLUTE_TOLERANCE, DEFAULT_ERROR_RELATIVE_TOLERANCE, ErrorRateGuard,
};
pub use guard_config::{
    DEFAULT_ALPHA, DEFAULT_ANALYSIS_INTERVAL, DEFAULT_MAX_EXTENSIONS, DEFAULT_MIN_REQUESTS,
    DEFAULT_MIN_SAMPLES, GuardConfig,
};
pub use latency::{
    DEFAULT_LATENCY_ABSOLUTE_TOLERANCE_MS, DEFAULT_LATENCY_RELATIVE_TOLERANCE,
    DEFAULT_MIN_INTERVAL_REQUESTS, LatencyGuard,
};
pub use look_budget::LookBudget;
pub use memory_growth::{
    DEFAULT_MEMORY_ABSOLUTE_TOLERANCE, DEFAULT_MEMORY_HORIZON, DEFAULT_MEMORY_RELATIVE_TOLERANCE,
    MemoryGrowthGuard,
};
pub use samples::{
    GroupSamples, IntervalLatency, ReplicaSeries, RssSample, SampleRequest, StatusCounts,
    WindowSamples,
};
pub use steady_watch::{Incident, Remediation, SteadyWatch, WatchConfig};
pub use theil_sen::SlopeEstimate;
pub use verdict::{Decision, Guard, GuardReport, Verdict};
