//! The spec's `[rollout.guards]` ([`GuardsSpec`], already validated by
//! `daytwo-spec`) as the analysis reads it: [`GuardConfig::from_spec`] for
//! the canary, [`WatchConfig::from_spec`] for the steady-state watch.
//!
//! The spec crate mirrors this module's field names and defaults without
//! depending on it; the tests below keep the two in step (the default
//! `GuardsSpec` converts to the default `GuardConfig`).

use super::cpu_per_request::CpuPerRequestGuard;
use super::error_rate::ErrorRateGuard;
use super::guard_config::GuardConfig;
use super::latency::LatencyGuard;
use super::memory_growth::MemoryGrowthGuard;
use super::steady_watch::{MemoryWatch, Remediation, WatchConfig};
use daytwo_spec::{GuardsSpec, RemediationSpec};

impl GuardConfig {
    /// The canary's guards as `[rollout.guards]` declares them.
    pub fn from_spec(spec: &GuardsSpec) -> Self {
        Self {
            error_rate: spec.error_rate.map(|g| ErrorRateGuard {
                absolute_tolerance: g.absolute_tolerance,
                relative_tolerance: g.relative_tolerance,
            }),
            latency: spec.latency.map(|g| LatencyGuard {
                p50: g.p50,
                p99: g.p99,
                relative_tolerance: g.relative_tolerance,
                absolute_tolerance_ms: g.absolute_tolerance_ms,
                min_interval_requests: g.min_interval_requests,
            }),
            restarts: spec.restarts,
            cpu_per_request: spec.cpu_per_request.map(|g| CpuPerRequestGuard {
                tolerance: g.tolerance,
            }),
            memory_growth: spec.memory_growth.map(|g| MemoryGrowthGuard {
                absolute_tolerance_bytes_per_sec: g.absolute_tolerance_bytes_per_sec,
                relative_tolerance: g.relative_tolerance,
                horizon: g.horizon,
            }),
            min_requests: spec.min_requests,
            min_samples: usize::try_from(spec.min_samples).unwrap_or(usize::MAX),
            alpha: spec.alpha,
            analysis_interval: spec.analysis_interval,
            max_extensions: spec.max_extensions,
        }
    }
}

impl WatchConfig {
    /// The steady-state watch of an env whose `[rollout.guards]` is `spec`:
    /// its remediation, the minimum sample sizes, and the memory watch when
    /// the memory-growth guard is on. With no stable release to compare
    /// with, the canary's absolute dead band (`absolute_tolerance_bytes_per_sec`)
    /// is the growth that counts as a leak; the watch keeps its own, longer
    /// horizon and per-look α (see docs/analysis.md).
    pub fn from_spec(spec: &GuardsSpec) -> Self {
        let defaults = Self::default();
        Self {
            memory_growth: spec.memory_growth.map(|g| MemoryWatch {
                max_growth_bytes_per_sec: g.absolute_tolerance_bytes_per_sec,
                ..MemoryWatch::default()
            }),
            min_requests: spec.min_requests,
            min_samples: usize::try_from(spec.min_samples).unwrap_or(usize::MAX),
            remediation: Remediation::from(&spec.remediation),
            ..defaults
        }
    }
}

impl From<&RemediationSpec> for Remediation {
    fn from(spec: &RemediationSpec) -> Self {
        match spec {
            RemediationSpec::Alert => Self::Alert,
            RemediationSpec::Rollback => Self::Rollback,
            RemediationSpec::FlagOff(flag) => Self::FlagOff(flag.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::Duration;

    fn guards(toml: &str) -> GuardsSpec {
        let text = format!(
            "[app]\nname = \"shop\"\n[process.web]\ncommand = \"x\"\nhttp = true\n\
             [flags.analytics]\ntype = \"boolean\"\ndefault = false\ndescription = \"d\"\n{toml}"
        );
        daytwo_spec::parse_str(&text, Path::new("/app/daytwo.toml"), &|_| None)
            .expect("valid spec")
            .spec
            .base
            .rollout
            .guards
    }

    #[test]
    fn the_spec_defaults_are_the_analysis_defaults() {
        assert_eq!(
            GuardConfig::from_spec(&GuardsSpec::default()),
            GuardConfig::default()
        );
        assert_eq!(
            WatchConfig::from_spec(&GuardsSpec::default()),
            WatchConfig::default()
        );
        assert_eq!(GuardConfig::from_spec(&guards("")), GuardConfig::default());
    }

    #[test]
    fn every_spec_setting_reaches_the_analysis() {
        let spec = guards(
            r#"
[rollout.guards]
error_rate = { absolute_tolerance = 0.02, relative_tolerance = 0.5 }
latency = { p50 = true, p99 = false, relative_tolerance = 0.2, absolute_tolerance_ms = 25, min_interval_requests = 8 }
restarts = false
cpu_per_request = { tolerance = 0.3 }
memory_growth = { absolute_tolerance_bytes_per_sec = "8KiB", relative_tolerance = 1.0, horizon = "2h" }
min_requests = 50
min_samples = 6
alpha = 0.01
analysis_interval = "2s"
max_extensions = 1
remediation = "flag-off analytics"
"#,
        );
        assert_eq!(
            GuardConfig::from_spec(&spec),
            GuardConfig {
                error_rate: Some(ErrorRateGuard {
                    absolute_tolerance: 0.02,
                    relative_tolerance: 0.5,
                }),
                latency: Some(LatencyGuard {
                    p50: true,
                    p99: false,
                    relative_tolerance: 0.2,
                    absolute_tolerance_ms: 25.0,
                    min_interval_requests: 8,
                }),
                restarts: false,
                cpu_per_request: Some(CpuPerRequestGuard { tolerance: 0.3 }),
                memory_growth: Some(MemoryGrowthGuard {
                    absolute_tolerance_bytes_per_sec: 8192.0,
                    relative_tolerance: 1.0,
                    horizon: Duration::from_secs(7200),
                }),
                min_requests: 50,
                min_samples: 6,
                alpha: 0.01,
                analysis_interval: Duration::from_secs(2),
                max_extensions: 1,
            }
        );
        let watch = WatchConfig::from_spec(&spec);
        assert_eq!(watch.remediation, Remediation::FlagOff("analytics".into()));
        assert_eq!(
            watch.memory_growth.map(|m| m.max_growth_bytes_per_sec),
            Some(8192.0)
        );
        assert_eq!((watch.min_requests, watch.min_samples), (50, 6));
    }

    #[test]
    fn guards_turned_off_in_the_spec_are_off_in_the_analysis() {
        let spec = guards(
            "[rollout.guards]\nerror_rate = false\nlatency = false\nmemory_growth = false\nremediation = \"rollback\"\n",
        );
        let config = GuardConfig::from_spec(&spec);
        assert_eq!(
            (config.error_rate, config.latency, config.memory_growth),
            (None, None, None)
        );
        assert_eq!(config.tests_per_look(), 0);
        let watch = WatchConfig::from_spec(&spec);
        assert_eq!(watch.memory_growth, None);
        assert_eq!(watch.remediation, Remediation::Rollback);
    }
}
