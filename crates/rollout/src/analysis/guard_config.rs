//! `[rollout.guards]` as the analysis reads it: which guards are on, their
//! dead bands, the minimum sample sizes, the canary's α, how often a step
//! is looked at and how often an inconclusive step may be extended. The
//! spec parser produces it; [`GuardConfig::default`] is the zero-config
//! set (error rate, p99 latency, restarts, memory growth).

use super::cpu_per_request::CpuPerRequestGuard;
use super::error_rate::ErrorRateGuard;
use super::latency::LatencyGuard;
use super::look_budget::LookBudget;
use super::memory_growth::MemoryGrowthGuard;
use super::restarts;
use super::samples::WindowSamples;
use super::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Requests per group before the error-rate and CPU guards conclude.
pub const DEFAULT_MIN_REQUESTS: u64 = 100;
/// Intervals per group (latency) and RSS points per replica (memory)
/// before those guards conclude.
pub const DEFAULT_MIN_SAMPLES: usize = 10;
/// The probability that a healthy canary is rolled back, over all its looks.
pub const DEFAULT_ALPHA: f64 = 0.05;
/// How often a held step is looked at.
pub const DEFAULT_ANALYSIS_INTERVAL: Duration = Duration::from_secs(5);
/// How many times an inconclusive step is extended before it fails closed.
pub const DEFAULT_MAX_EXTENSIONS: u32 = 2;

/// The guards of a canary and the analysis' parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    pub error_rate: Option<ErrorRateGuard>,
    pub latency: Option<LatencyGuard>,
    pub restarts: bool,
    pub cpu_per_request: Option<CpuPerRequestGuard>,
    pub memory_growth: Option<MemoryGrowthGuard>,
    pub min_requests: u64,
    pub min_samples: usize,
    /// Family-wise false-fail probability of one canary (see
    /// [`LookBudget`]).
    pub alpha: f64,
    pub analysis_interval: Duration,
    pub max_extensions: u32,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            error_rate: Some(ErrorRateGuard::default()),
            latency: Some(LatencyGuard::default()),
            restarts: true,
            cpu_per_request: None,
            memory_growth: Some(MemoryGrowthGuard::default()),
            min_requests: DEFAULT_MIN_REQUESTS,
            min_samples: DEFAULT_MIN_SAMPLES,
            alpha: DEFAULT_ALPHA,
            analysis_interval: DEFAULT_ANALYSIS_INTERVAL,
            max_extensions: DEFAULT_MAX_EXTENSIONS,
        }
    }
}

impl GuardConfig {
    /// Statistical tests per look, among which a look's α is split.
    pub fn tests_per_look(&self) -> u32 {
        u32::from(self.error_rate.is_some())
            + self.latency.map_or(0, |l| l.tests())
            + u32::from(self.memory_growth.is_some())
    }

    /// Looks planned for a step held `duration`, extensions included.
    pub fn looks_per_step(&self, duration: Duration) -> u32 {
        let interval = self.analysis_interval.max(Duration::from_millis(1));
        let looks = duration.as_nanos().div_ceil(interval.as_nanos()).max(1);
        u32::try_from(looks)
            .unwrap_or(u32::MAX)
            .saturating_mul(self.max_extensions.saturating_add(1))
    }

    /// One look: every enabled guard on the window's samples, each test at
    /// its share of `budget`.
    pub fn evaluate(&self, samples: &WindowSamples, budget: LookBudget) -> Verdict {
        let alpha = budget.per_test(self.tests_per_look());
        let (c, s) = (&samples.candidate, &samples.stable);
        let mut reports = Vec::new();
        if let Some(guard) = &self.error_rate {
            reports.push(guard.evaluate(&c.requests, &s.requests, self.min_requests, alpha));
        }
        if let Some(guard) = &self.latency {
            reports.extend(guard.evaluate(&c.latency, &s.latency, self.min_samples, alpha));
        }
        if self.restarts {
            reports.push(restarts::evaluate(c, s));
        }
        if let Some(guard) = &self.cpu_per_request {
            reports.push(guard.evaluate(c, s, self.min_requests));
        }
        if let Some(guard) = &self.memory_growth {
            reports.push(guard.evaluate(&c.memory, &s.memory, self.min_samples, alpha));
        }
        Verdict::from_reports(reports)
    }
}
