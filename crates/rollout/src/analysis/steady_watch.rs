//! The steady-state watch: after promotion one release serves the env, so
//! there is no stable group to compare with. The watch fits each replica's
//! RSS (Theil–Sen) and tests the 5xx share against absolute thresholds, and
//! when a guard keeps failing it returns the configured [`Remediation`]
//! once per incident.
//!
//! Looks never end here, so no α budget can be split over them; instead
//! each look tests at a small α and an incident needs `confirmations`
//! consecutive failing looks. Hysteresis: after firing, the watch is quiet
//! until `clear_after` consecutive passing looks, so one incident gives one
//! remediation. The caller feeds a sliding window (e.g. the last
//! `DEFAULT_WATCH_WINDOW`) every look.

use super::memory_growth::{fit_series, rate, time_to_limit};
use super::normal;
use super::samples::GroupSamples;
use super::verdict::{Decision, Guard, GuardReport};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Growth above 4 KiB/s (≈ 14 MiB/h) is a leak.
pub const DEFAULT_WATCH_MAX_GROWTH: f64 = 4096.0;
/// … as is any significant growth that reaches the limit within 6 h.
pub const DEFAULT_WATCH_HORIZON: Duration = Duration::from_secs(6 * 3600);
/// α of one test at one look.
pub const DEFAULT_WATCH_ALPHA: f64 = 1e-4;
/// Consecutive failing looks before an incident fires.
pub const DEFAULT_CONFIRMATIONS: u32 = 2;
/// Consecutive passing looks before the watch re-arms.
pub const DEFAULT_CLEAR_AFTER: u32 = 3;
/// The sliding window the caller is expected to feed.
pub const DEFAULT_WATCH_WINDOW: Duration = Duration::from_secs(120);

/// What runs when the watch fires (`[rollout.guards] remediation`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Remediation {
    /// Notify (webhook, event log) only.
    #[default]
    Alert,
    /// Roll the env back to its previous release (and alert).
    Rollback,
    /// Turn this flag off (and alert).
    FlagOff(String),
}

/// Memory thresholds of the watch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryWatch {
    /// Bytes per second of RSS growth that count as a leak.
    pub max_growth_bytes_per_sec: f64,
    /// Fire when the memory limit would be reached within this time.
    pub horizon: Duration,
}

impl Default for MemoryWatch {
    fn default() -> Self {
        Self {
            max_growth_bytes_per_sec: DEFAULT_WATCH_MAX_GROWTH,
            horizon: DEFAULT_WATCH_HORIZON,
        }
    }
}

/// The watch's guards and its remediation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchConfig {
    pub memory_growth: Option<MemoryWatch>,
    /// Fire when the 5xx share is significantly above this (0.05 = 5 %).
    pub max_error_rate: Option<f64>,
    pub min_requests: u64,
    pub min_samples: usize,
    pub alpha: f64,
    pub confirmations: u32,
    pub clear_after: u32,
    pub remediation: Remediation,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            memory_growth: Some(MemoryWatch::default()),
            max_error_rate: None,
            min_requests: super::guard_config::DEFAULT_MIN_REQUESTS,
            min_samples: super::guard_config::DEFAULT_MIN_SAMPLES,
            alpha: DEFAULT_WATCH_ALPHA,
            confirmations: DEFAULT_CONFIRMATIONS,
            clear_after: DEFAULT_CLEAR_AFTER,
            remediation: Remediation::default(),
        }
    }
}

/// A detected incident: what to do and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub remediation: Remediation,
    pub report: GuardReport,
}

/// The watch of one env's serving release.
#[derive(Debug, Clone)]
pub struct SteadyWatch {
    config: WatchConfig,
    strikes: u32,
    firing: bool,
    clean: u32,
}

impl SteadyWatch {
    pub fn new(config: WatchConfig) -> Self {
        Self {
            config,
            strikes: 0,
            firing: false,
            clean: 0,
        }
    }

    pub fn config(&self) -> &WatchConfig {
        &self.config
    }

    /// Whether an incident fired and has not cleared yet.
    pub fn is_firing(&self) -> bool {
        self.firing
    }

    /// One look at the window's samples; `Some` exactly when an incident
    /// starts.
    pub fn look(&mut self, samples: &GroupSamples) -> Option<Incident> {
        let reports = self.evaluate(samples);
        let failing = reports.iter().find(|r| r.decision == Decision::Fail);
        let all_pass = reports.iter().all(|r| r.decision == Decision::Pass);
        if self.firing {
            if failing.is_some() {
                self.clean = 0;
            } else if all_pass {
                self.clean += 1;
                if self.clean >= self.config.clear_after {
                    self.firing = false;
                    self.strikes = 0;
                }
            }
            return None;
        }
        match failing {
            Some(report) => {
                self.strikes += 1;
                if self.strikes < self.config.confirmations.max(1) {
                    return None;
                }
                self.firing = true;
                self.clean = 0;
                Some(Incident {
                    remediation: self.config.remediation.clone(),
                    report: report.clone(),
                })
            }
            None if all_pass => {
                self.strikes = 0;
                None
            }
            // Inconclusive looks neither confirm nor clear a suspicion.
            None => None,
        }
    }

    /// Every watched guard's report for one window.
    pub fn evaluate(&self, samples: &GroupSamples) -> Vec<GuardReport> {
        let mut reports = Vec::new();
        if let Some(max) = self.config.max_error_rate {
            reports.push(self.error_rate(samples, max));
        }
        if let Some(memory) = &self.config.memory_growth {
            reports.push(self.memory(samples, memory));
        }
        reports
    }

    fn error_rate(&self, samples: &GroupSamples, max: f64) -> GuardReport {
        let n = samples.requests.total();
        if n < self.config.min_requests {
            return GuardReport::new(
                Guard::ErrorRate,
                Decision::Inconclusive,
                format!("too few requests: {n} (need {})", self.config.min_requests),
            );
        }
        let errors = samples.requests.server_5xx;
        let adjusted = (errors as f64 + 1.0) / (n as f64 + 2.0);
        let max = max.clamp(1e-9, 1.0 - 1e-9);
        // Score test of H0: p ≤ max.
        let z = (adjusted - max) / (max * (1.0 - max) / n as f64).sqrt();
        let p_value = normal::upper_tail(z);
        let rate = errors as f64 / n as f64;
        let decision = if p_value < self.config.alpha {
            Decision::Fail
        } else {
            Decision::Pass
        };
        GuardReport::new(
            Guard::ErrorRate,
            decision,
            format!(
                "{:.2}% 5xx ({errors}/{n}) against a limit of {:.2}%, p={p_value:.2e}",
                rate * 100.0,
                max * 100.0
            ),
        )
        .with("rate", rate)
        .with("limit", max)
        .with("requests", n as f64)
        .with("p_value", p_value)
    }

    fn memory(&self, samples: &GroupSamples, memory: &MemoryWatch) -> GuardReport {
        let alpha = self.config.alpha / samples.memory.len().max(1) as f64;
        let mut pass = None;
        for series in &samples.memory {
            // Two-sided 2α: the lower bound is one-sided at α.
            let Some(fit) = fit_series(series, self.config.min_samples, 2.0 * alpha) else {
                continue;
            };
            if !fit.lower.is_finite() {
                continue;
            }
            let ttl = time_to_limit(series, &fit);
            let leaking = fit.lower > memory.max_growth_bytes_per_sec;
            let hits_limit =
                fit.lower > 0.0 && ttl.is_some_and(|t| t < memory.horizon.as_secs_f64());
            let mut report = GuardReport::new(
                Guard::MemoryGrowth,
                if leaking || hits_limit {
                    Decision::Fail
                } else {
                    Decision::Pass
                },
                format!(
                    "{}: RSS slope {} (lower bound {}), limit {}{}",
                    series.replica,
                    rate(fit.slope),
                    rate(fit.lower),
                    rate(memory.max_growth_bytes_per_sec),
                    ttl.map(|t| format!(", {t:.0} s to the memory limit"))
                        .unwrap_or_default()
                ),
            )
            .with("slope_bytes_per_sec", fit.slope)
            .with("lower_bytes_per_sec", fit.lower)
            .with("samples", fit.points as f64)
            .about(series.replica.clone());
            if let Some(ttl) = ttl {
                report = report.with("seconds_to_limit", ttl);
            }
            if report.decision == Decision::Fail {
                return report;
            }
            pass.get_or_insert(report);
        }
        let covered = samples
            .memory
            .iter()
            .filter(|s| s.rss.len() >= self.config.min_samples)
            .count();
        match pass {
            Some(report) if covered == samples.memory.len() => report,
            _ => GuardReport::new(
                Guard::MemoryGrowth,
                Decision::Inconclusive,
                format!(
                    "too few RSS samples for a bound ({} replica(s), need {} points each)",
                    samples.memory.len(),
                    self.config.min_samples
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::samples::{ReplicaSeries, RssSample};
    use daytwo_types::ReplicaKey;

    const MIB: f64 = 1024.0 * 1024.0;

    /// 60 one-second RSS samples of one replica, growing `slope` bytes/s
    /// from `start` seconds on, with ±1 MiB of noise.
    fn window(start: u64, slope: f64, rng: &mut fastrand::Rng) -> GroupSamples {
        let rss = (start..start + 60)
            .map(|t| RssSample {
                at: Duration::from_secs(t),
                bytes: (200.0 * MIB + slope * t as f64 + (rng.f64() - 0.5) * 2.0 * MIB) as u64,
            })
            .collect();
        GroupSamples {
            memory: vec![ReplicaSeries {
                replica: ReplicaKey::new("prod", "web", 1),
                memory_limit: Some(1 << 30),
                rss,
            }],
            ..GroupSamples::default()
        }
    }

    #[test]
    fn a_leak_fires_the_remediation_once_per_incident() {
        let mut rng = fastrand::Rng::with_seed(9);
        let mut watch = SteadyWatch::new(WatchConfig {
            remediation: Remediation::FlagOff("analytics".into()),
            ..WatchConfig::default()
        });
        let mut fired = Vec::new();
        for look in 0..5 {
            assert!(watch.look(&window(look * 10, 0.0, &mut rng)).is_none());
        }
        // The flag turns on: 512 KiB/s of growth.
        for look in 5..15 {
            if let Some(incident) = watch.look(&window(look * 10, 512.0 * 1024.0, &mut rng)) {
                fired.push((look, incident));
            }
        }
        assert_eq!(fired.len(), 1, "{fired:?}");
        let (look, incident) = &fired[0];
        assert_eq!(*look, 6, "two confirmations");
        assert_eq!(
            incident.remediation,
            Remediation::FlagOff("analytics".into())
        );
        assert_eq!(incident.report.guard, Guard::MemoryGrowth);
        // Flat again: the watch clears after three clean looks, then can fire again.
        for look in 15..18 {
            assert!(watch.look(&window(look * 10, 0.0, &mut rng)).is_none());
        }
        assert!(!watch.is_firing());
        assert!(watch.look(&window(180, MIB, &mut rng)).is_none());
        assert!(watch.look(&window(190, MIB, &mut rng)).is_some());
    }

    #[test]
    fn a_flat_series_never_fires() {
        let mut rng = fastrand::Rng::with_seed(10);
        let mut watch = SteadyWatch::new(WatchConfig::default());
        for look in 0..200 {
            assert!(
                watch.look(&window(look * 10, 0.0, &mut rng)).is_none(),
                "look {look}"
            );
        }
    }

    #[test]
    fn a_high_error_rate_fires_and_a_low_one_does_not() {
        let mut watch = SteadyWatch::new(WatchConfig {
            max_error_rate: Some(0.02),
            memory_growth: None,
            confirmations: 1,
            remediation: Remediation::Rollback,
            ..WatchConfig::default()
        });
        let mut samples = GroupSamples::default();
        samples.requests.ok_2xx = 990;
        samples.requests.server_5xx = 10;
        assert!(watch.look(&samples).is_none());
        samples.requests.server_5xx = 80;
        let incident = watch.look(&samples).expect("fires");
        assert_eq!(incident.remediation, Remediation::Rollback);
        assert_eq!(
            serde_json::to_string(&Remediation::FlagOff("analytics".into())).unwrap(),
            r#"{"flag-off":"analytics"}"#
        );
    }
}
