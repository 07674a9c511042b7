//! `[rollout]` and `[alerts]` as validated for one env: how a deploy moves
//! traffic (strategy, canary steps), the canary's guards and the steady-state
//! watch's remediation, and where alerts are sent.
//!
//! These are plain spec types: the analysis in `daytwo-rollout` converts
//! them (`GuardConfig::from_spec`), so this crate does not depend on it. The
//! defaults mirror the analysis' constants (a test there keeps them equal):
//! with no `[rollout.guards]` the error-rate, p99-latency, restarts and
//! memory-growth guards are on.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The candidate's share of requests at each canary step by default.
pub const DEFAULT_CANARY_STEPS: [u32; 3] = [10, 50, 100];
/// How long each canary step below 100 % is held and analysed by default.
pub const DEFAULT_CANARY_STEP_DURATION: Duration = Duration::from_secs(20);
/// Tolerated excess of the 5xx share, in absolute terms (one point).
pub const DEFAULT_GUARD_ERROR_ABSOLUTE_TOLERANCE: f64 = 0.01;
/// … or relative to the stable rate, whichever is larger.
pub const DEFAULT_GUARD_ERROR_RELATIVE_TOLERANCE: f64 = 0.25;
/// The candidate's latency may be 10 % slower …
pub const DEFAULT_GUARD_LATENCY_RELATIVE_TOLERANCE: f64 = 0.10;
/// … plus 10 ms.
pub const DEFAULT_GUARD_LATENCY_ABSOLUTE_TOLERANCE_MS: f64 = 10.0;
/// Latency intervals with fewer requests are ignored.
pub const DEFAULT_GUARD_MIN_INTERVAL_REQUESTS: u64 = 5;
/// The candidate may use 50 % more CPU per request.
pub const DEFAULT_GUARD_CPU_TOLERANCE: f64 = 0.5;
/// RSS growth tolerated beyond the stable slope: 4 KiB/s.
pub const DEFAULT_GUARD_MEMORY_ABSOLUTE_TOLERANCE: f64 = 4096.0;
/// … or half the stable slope, whichever is larger.
pub const DEFAULT_GUARD_MEMORY_RELATIVE_TOLERANCE: f64 = 0.5;
/// Fail when the memory limit would be reached within this time.
pub const DEFAULT_GUARD_MEMORY_HORIZON: Duration = Duration::from_secs(3600);
/// Requests per group before the error-rate and CPU guards conclude.
pub const DEFAULT_GUARD_MIN_REQUESTS: u64 = 100;
/// Latency intervals per group and RSS points per replica before those
/// guards conclude.
pub const DEFAULT_GUARD_MIN_SAMPLES: u32 = 10;
/// The probability that a healthy canary is rolled back, over all its looks.
pub const DEFAULT_GUARD_ALPHA: f64 = 0.05;
/// How often a held canary step is looked at.
pub const DEFAULT_GUARD_ANALYSIS_INTERVAL: Duration = Duration::from_secs(5);
/// How often an inconclusive step is extended before it fails closed.
pub const DEFAULT_GUARD_MAX_EXTENSIONS: u32 = 2;
/// The largest `alpha` the spec accepts.
pub const MAX_GUARD_ALPHA: f64 = 0.5;

/// `[rollout] strategy`: how a deploy moves requests to the new release
/// when the command line gives no `--strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RolloutStrategy {
    /// Replica by replica.
    #[default]
    Rolling,
    /// All at once.
    BlueGreen,
    /// Step by step (`steps`, `step_duration`), analysed by the guards.
    Canary,
}

impl RolloutStrategy {
    pub const ALL: [RolloutStrategy; 3] = [Self::Rolling, Self::BlueGreen, Self::Canary];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rolling => "rolling",
            Self::BlueGreen => "blue-green",
            Self::Canary => "canary",
        }
    }
}

impl fmt::Display for RolloutStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RolloutStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|strategy| strategy.as_str() == s)
            .ok_or_else(|| {
                format!("unknown strategy `{s}` (expected `rolling`, `blue-green` or `canary`)")
            })
    }
}

/// `[rollout]` (with `[env.NAME.rollout]` applied): the strategy a deploy
/// uses without `--strategy`, the canary's steps and the guards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RolloutSpec {
    pub strategy: RolloutStrategy,
    /// The candidate's share of requests at each canary step, in percent:
    /// strictly increasing, each 1–100, the last 100 (the promotion).
    pub steps: Vec<u32>,
    /// How long each step below 100 % is held and analysed.
    pub step_duration: Duration,
    pub guards: GuardsSpec,
}

impl Default for RolloutSpec {
    fn default() -> Self {
        Self {
            strategy: RolloutStrategy::default(),
            steps: DEFAULT_CANARY_STEPS.to_vec(),
            step_duration: DEFAULT_CANARY_STEP_DURATION,
            guards: GuardsSpec::default(),
        }
    }
}

/// `[rollout.guards]`: which guards judge a canary, their dead bands, the
/// analysis' parameters and what the steady-state watch does when it fires.
/// A guard that is `None` is off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardsSpec {
    pub error_rate: Option<ErrorRateGuardSpec>,
    pub latency: Option<LatencyGuardSpec>,
    pub restarts: bool,
    pub cpu_per_request: Option<CpuPerRequestGuardSpec>,
    pub memory_growth: Option<MemoryGrowthGuardSpec>,
    pub min_requests: u64,
    pub min_samples: u32,
    /// Family-wise probability that a healthy canary is rolled back.
    pub alpha: f64,
    pub analysis_interval: Duration,
    pub max_extensions: u32,
    /// What the steady-state watch does about a promoted release that
    /// starts leaking.
    pub remediation: RemediationSpec,
}

impl Default for GuardsSpec {
    fn default() -> Self {
        Self {
            error_rate: Some(ErrorRateGuardSpec::default()),
            latency: Some(LatencyGuardSpec::default()),
            restarts: true,
            cpu_per_request: None,
            memory_growth: Some(MemoryGrowthGuardSpec::default()),
            min_requests: DEFAULT_GUARD_MIN_REQUESTS,
            min_samples: DEFAULT_GUARD_MIN_SAMPLES,
            alpha: DEFAULT_GUARD_ALPHA,
            analysis_interval: DEFAULT_GUARD_ANALYSIS_INTERVAL,
            max_extensions: DEFAULT_GUARD_MAX_EXTENSIONS,
            remediation: RemediationSpec::default(),
        }
    }
}

/// `[rollout.guards] error_rate`: the dead band of the 5xx-share test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorRateGuardSpec {
    /// Tolerated excess as a share (0.01 = one percentage point).
    pub absolute_tolerance: f64,
    /// Tolerated excess relative to the stable rate (0.25 = +25 %).
    pub relative_tolerance: f64,
}

impl Default for ErrorRateGuardSpec {
    fn default() -> Self {
        Self {
            absolute_tolerance: DEFAULT_GUARD_ERROR_ABSOLUTE_TOLERANCE,
            relative_tolerance: DEFAULT_GUARD_ERROR_RELATIVE_TOLERANCE,
        }
    }
}

/// `[rollout.guards] latency`: which per-interval quantiles are compared
/// and the dead band `stable × (1 + relative) + absolute`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LatencyGuardSpec {
    pub p50: bool,
    pub p99: bool,
    pub relative_tolerance: f64,
    pub absolute_tolerance_ms: f64,
    pub min_interval_requests: u64,
}

impl Default for LatencyGuardSpec {
    fn default() -> Self {
        Self {
            p50: false,
            p99: true,
            relative_tolerance: DEFAULT_GUARD_LATENCY_RELATIVE_TOLERANCE,
            absolute_tolerance_ms: DEFAULT_GUARD_LATENCY_ABSOLUTE_TOLERANCE_MS,
            min_interval_requests: DEFAULT_GUARD_MIN_INTERVAL_REQUESTS,
        }
    }
}

/// `[rollout.guards] cpu_per_request` (off unless written).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuPerRequestGuardSpec {
    /// Fail above `stable × (1 + tolerance)` CPU seconds per request.
    pub tolerance: f64,
}

impl Default for CpuPerRequestGuardSpec {
    fn default() -> Self {
        Self {
            tolerance: DEFAULT_GUARD_CPU_TOLERANCE,
        }
    }
}

/// `[rollout.guards] memory_growth`: the RSS slope's dead band and the
/// horizon of the projected time to the memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryGrowthGuardSpec {
    /// Bytes per second of growth tolerated beyond the stable slope.
    pub absolute_tolerance_bytes_per_sec: f64,
    /// Tolerated growth relative to the stable slope (0.5 = +50 %).
    pub relative_tolerance: f64,
    /// Fail when the memory limit would be reached sooner.
    pub horizon: Duration,
}

impl Default for MemoryGrowthGuardSpec {
    fn default() -> Self {
        Self {
            absolute_tolerance_bytes_per_sec: DEFAULT_GUARD_MEMORY_ABSOLUTE_TOLERANCE,
            relative_tolerance: DEFAULT_GUARD_MEMORY_RELATIVE_TOLERANCE,
            horizon: DEFAULT_GUARD_MEMORY_HORIZON,
        }
    }
}

/// `[rollout.guards] remediation`: what runs when the steady-state watch
/// finds a promoted release leaking. Written `"alert"`, `"rollback"` or
/// `"flag-off NAME"` (NAME a declared boolean flag).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemediationSpec {
    /// Notify only (webhooks, event log).
    #[default]
    Alert,
    /// Roll the env back to its previous release, and alert.
    Rollback,
    /// Turn this boolean flag off in the env, and alert.
    FlagOff(String),
}

impl fmt::Display for RemediationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alert => f.write_str("alert"),
            Self::Rollback => f.write_str("rollback"),
            Self::FlagOff(flag) => write!(f, "flag-off {flag}"),
        }
    }
}

impl FromStr for RemediationSpec {
    type Err = String;

    /// `alert`, `rollback` or `flag-off NAME` (the flag is not checked here).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut words = s.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("alert"), None, _) => Ok(Self::Alert),
            (Some("rollback"), None, _) => Ok(Self::Rollback),
            (Some("flag-off"), Some(flag), None) => Ok(Self::FlagOff(flag.to_string())),
            (Some("flag-off"), None, _) => Err("`flag-off` needs the flag's name".to_string()),
            _ => Err(format!(
                "`{s}` is not a remediation (expected `alert`, `rollback` or `flag-off NAME`)"
            )),
        }
    }
}

/// `[alerts]` (with `[env.NAME.alerts]` applied): where alerts about the
/// env (a canary rolled back, a leak found by the steady-state watch) are
/// sent as Alertmanager-compatible webhooks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertsSpec {
    /// `http://` or `https://` URLs; each receives a POST of the
    /// Alertmanager webhook payload (version 4).
    pub webhooks: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remediation_parses_and_displays_its_three_forms() {
        for text in ["alert", "rollback", "flag-off analytics"] {
            let parsed: RemediationSpec = text.parse().unwrap();
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(
            "flag-off   analytics ".parse::<RemediationSpec>(),
            Ok(RemediationSpec::FlagOff("analytics".into()))
        );
        assert!("flag-off".parse::<RemediationSpec>().is_err());
        assert!("flag-off a b".parse::<RemediationSpec>().is_err());
        assert!("page".parse::<RemediationSpec>().is_err());
    }

    #[test]
    fn strategy_names_round_trip() {
        for strategy in RolloutStrategy::ALL {
            assert_eq!(strategy.as_str().parse(), Ok(strategy));
            assert_eq!(
                serde_json::to_string(&strategy).unwrap(),
                format!("\"{strategy}\"")
            );
        }
    }
}
