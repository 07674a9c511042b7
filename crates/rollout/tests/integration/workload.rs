//! Seeded synthetic metrics for the canary analysis: what the proxy and the
//! engine would sample from a stable and a candidate group under steady
//! load, with realistic noise and optional injected regressions.

use daytwo_rollout::analysis::{
    GroupSamples, IntervalLatency, ReplicaSeries, RssSample, StatusCounts, WindowSamples,
};
use daytwo_types::ReplicaKey;
use std::time::Duration;

pub const MIB: f64 = 1024.0 * 1024.0;

/// How the candidate behaves compared with the stable release.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Requests per second to the whole env.
    pub rps: f64,
    pub stable_error_rate: f64,
    pub candidate_error_rate: f64,
    pub candidate_extra_p99_ms: f64,
    /// RSS growth of each candidate replica, bytes per second.
    pub candidate_leak: f64,
    /// Uniform RSS noise amplitude (±), bytes.
    pub rss_noise: f64,
    pub candidate_restarts: u32,
}

impl Profile {
    pub fn healthy() -> Self {
        Self {
            rps: 200.0,
            stable_error_rate: 0.01,
            candidate_error_rate: 0.01,
            candidate_extra_p99_ms: 0.0,
            candidate_leak: 0.0,
            rss_noise: MIB,
            candidate_restarts: 0,
        }
    }
}

fn gaussian(rng: &mut fastrand::Rng) -> f64 {
    let u1 = rng.f64().max(1e-12);
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A binomial draw (normal approximation, exact enough at these counts).
fn errors(n: u64, p: f64, rng: &mut fastrand::Rng) -> u64 {
    let nf = n as f64;
    let draw = nf * p + (nf * p * (1.0 - p)).sqrt() * gaussian(rng);
    draw.round().clamp(0.0, nf) as u64
}

/// One group's behaviour: its 5xx share, extra p99 and RSS growth.
struct Behaviour {
    error_rate: f64,
    extra_p99: f64,
    leak: f64,
}

fn group(
    profile: &Profile,
    share: f64,
    behaviour: Behaviour,
    replicas: &[ReplicaKey],
    seconds: u64,
    rng: &mut fastrand::Rng,
) -> GroupSamples {
    let Behaviour {
        error_rate,
        extra_p99,
        leak,
    } = behaviour;
    let per_second = (profile.rps * share).round() as u64;
    let total = per_second * seconds;
    let server_5xx = errors(total, error_rate, rng);
    let latency = (1..=seconds)
        .map(|t| IntervalLatency {
            at: Duration::from_secs(t),
            requests: per_second,
            p50_ms: 20.0 + rng.f64() * 5.0,
            p99_ms: 100.0 + extra_p99 + rng.f64() * 40.0,
        })
        .collect();
    let memory = replicas
        .iter()
        .map(|replica| ReplicaSeries {
            replica: replica.clone(),
            memory_limit: Some(1 << 30),
            rss: (0..=seconds)
                .map(|t| RssSample {
                    at: Duration::from_secs(t),
                    bytes: (200.0 * MIB
                        + leak * t as f64
                        + (rng.f64() - 0.5) * 2.0 * profile.rss_noise)
                        as u64,
                })
                .collect(),
        })
        .collect();
    GroupSamples {
        requests: StatusCounts {
            ok_2xx: total - server_5xx,
            server_5xx,
            ..StatusCounts::default()
        },
        latency,
        restarts: 0,
        cpu_seconds: total as f64 * 0.001 * (1.0 + (rng.f64() - 0.5) * 0.05),
        memory,
    }
}

/// The samples of a window of `seconds` with the candidate at `weight_percent`.
pub fn window(
    profile: &Profile,
    weight_percent: u32,
    stable: &[ReplicaKey],
    candidate: &[ReplicaKey],
    seconds: u64,
    rng: &mut fastrand::Rng,
) -> WindowSamples {
    let share = f64::from(weight_percent) / 100.0;
    let mut candidate = group(
        profile,
        share,
        Behaviour {
            error_rate: profile.candidate_error_rate,
            extra_p99: profile.candidate_extra_p99_ms,
            leak: profile.candidate_leak,
        },
        candidate,
        seconds,
        rng,
    );
    candidate.restarts = profile.candidate_restarts;
    WindowSamples {
        stable: group(
            profile,
            1.0 - share,
            Behaviour {
                error_rate: profile.stable_error_rate,
                extra_p99: 0.0,
                leak: 0.0,
            },
            stable,
            seconds,
            rng,
        ),
        candidate,
    }
}
