//! Measured behaviour: how a release actually ran in each env, next to its
//! predecessor in the same env, from the periods the daemon's telemetry
//! stored (every ~10 s: requests, 5xx, p99, CPU time, mean RSS per
//! replica). The caller reads the periods; this module only summarises.
//!
//! RSS growth is the Theil–Sen slope (the median of pairwise slopes) of
//! the periods' mean RSS per replica over time: robust to the one period
//! where a replica restarted or a deploy overlapped.

use serde::{Deserialize, Serialize};

/// One stored telemetry period of one release in one env.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    /// The period's end, seconds since the Unix epoch.
    pub at_seconds: f64,
    pub period_seconds: f64,
    pub requests: u64,
    pub errors_5xx: u64,
    pub p99_ms: Option<f64>,
    pub cpu_seconds: f64,
    /// Mean RSS per replica over the period.
    pub rss_bytes: u64,
}

/// A release's behaviour in one env, summarised over its periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Behaviour {
    /// Time covered by the periods.
    pub measured_seconds: f64,
    pub requests: u64,
    /// The 5xx share; `None` without requests.
    pub error_rate: Option<f64>,
    /// Request-weighted mean of the periods' p99.
    pub p99_ms: Option<f64>,
    /// CPU milliseconds per request; `None` without requests.
    pub cpu_ms_per_request: Option<f64>,
    /// Mean RSS per replica over all periods.
    pub rss_bytes: u64,
    /// RSS growth per replica, bytes per minute; `None` with fewer than
    /// two periods.
    pub rss_growth_bytes_per_minute: Option<f64>,
}

impl Behaviour {
    /// `None` without periods.
    pub fn from_periods(periods: &[Period]) -> Option<Self> {
        if periods.is_empty() {
            return None;
        }
        let requests: u64 = periods.iter().map(|p| p.requests).sum();
        let errors: u64 = periods.iter().map(|p| p.errors_5xx).sum();
        let cpu: f64 = periods.iter().map(|p| p.cpu_seconds).sum();
        let (p99_sum, p99_weight) = periods
            .iter()
            .filter_map(|p| p.p99_ms.map(|v| (v * p.requests as f64, p.requests)))
            .fold((0.0, 0u64), |(s, w), (v, n)| (s + v, w + n));
        let rss_mean =
            periods.iter().map(|p| p.rss_bytes as f64).sum::<f64>() / periods.len() as f64;
        Some(Self {
            measured_seconds: periods.iter().map(|p| p.period_seconds).sum(),
            requests,
            error_rate: (requests > 0).then(|| errors as f64 / requests as f64),
            p99_ms: (p99_weight > 0).then(|| p99_sum / p99_weight as f64),
            cpu_ms_per_request: (requests > 0).then(|| cpu * 1000.0 / requests as f64),
            rss_bytes: rss_mean as u64,
            rss_growth_bytes_per_minute: theil_sen_slope(periods)
                .map(|per_second| per_second * 60.0),
        })
    }
}

/// The median of the pairwise slopes of RSS over time (bytes per second).
fn theil_sen_slope(periods: &[Period]) -> Option<f64> {
    let mut slopes = Vec::new();
    for (i, a) in periods.iter().enumerate() {
        for b in &periods[i + 1..] {
            let dt = b.at_seconds - a.at_seconds;
            if dt > 0.0 {
                slopes.push((b.rss_bytes as f64 - a.rss_bytes as f64) / dt);
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let mid = slopes.len() / 2;
    Some(if slopes.len() % 2 == 0 {
        (slopes[mid - 1] + slopes[mid]) / 2.0
    } else {
        slopes[mid]
    })
}

/// The release and its predecessor in one env.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredEnv {
    pub env: String,
    pub release: Behaviour,
    /// The predecessor in the same env; `None` when it never ran there
    /// (or its periods are past retention).
    pub previous: Option<Behaviour>,
}

/// A Markdown table row per figure, for one env.
pub(super) fn table(env: &MeasuredEnv, new: &str, old: &str) -> String {
    let mut rows = vec![
        format!("| figure | {old} | {new} | change |"),
        "|---|---|---|---|".to_string(),
    ];
    let previous = env.previous.as_ref();
    let mut row =
        |name: &str, pick: &dyn Fn(&Behaviour) -> Option<f64>, show: &dyn Fn(f64) -> String| {
            let new_value = pick(&env.release);
            let old_value = previous.and_then(pick);
            let change = match (old_value, new_value) {
                (Some(o), Some(n)) => delta(o, n, show),
                _ => "—".to_string(),
            };
            rows.push(format!(
                "| {name} | {} | {} | {change} |",
                old_value.map_or("—".to_string(), show),
                new_value.map_or("—".to_string(), show),
            ));
        };
    row(
        "RSS growth per replica",
        &|b| b.rss_growth_bytes_per_minute,
        &|v| format!("{} /min", mib(v)),
    );
    row(
        "RSS per replica (mean)",
        &|b| Some(b.rss_bytes as f64),
        &mib,
    );
    row("p99 latency", &|b| b.p99_ms, &|v| format!("{v:.1} ms"));
    row("error rate (5xx)", &|b| b.error_rate, &|v| {
        format!("{:.2} %", v * 100.0)
    });
    row("CPU per request", &|b| b.cpu_ms_per_request, &|v| {
        format!("{v:.2} ms")
    });
    row("requests measured", &|b| Some(b.requests as f64), &|v| {
        format!("{v:.0}")
    });
    row("time measured", &|b| Some(b.measured_seconds), &|v| {
        format!("{v:.0} s")
    });
    rows.join("\n")
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

fn delta(old: f64, new: f64, show: &dyn Fn(f64) -> String) -> String {
    let diff = new - old;
    let shown = show(diff.abs());
    let sign = if diff > 0.0 {
        "+"
    } else if diff < 0.0 {
        "−"
    } else {
        "±"
    };
    if old.abs() > f64::EPSILON {
        format!("{sign}{shown} ({sign}{:.0} %)", (diff / old * 100.0).abs())
    } else {
        format!("{sign}{shown}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(at: f64, rss_mib: f64, requests: u64, errors: u64, p99: f64) -> Period {
        Period {
            at_seconds: at,
            period_seconds: 10.0,
            requests,
            errors_5xx: errors,
            p99_ms: Some(p99),
            cpu_seconds: requests as f64 * 0.002,
            rss_bytes: (rss_mib * 1024.0 * 1024.0) as u64,
        }
    }

    #[test]
    fn summarises_growth_rates_and_latency() {
        // 6 MiB per minute: 1 MiB every 10 s, one outlier period ignored.
        let mut periods: Vec<Period> = (0..8)
            .map(|i| period(f64::from(i) * 10.0, 40.0 + f64::from(i), 100, 1, 20.0))
            .collect();
        periods[3].rss_bytes = 400 << 20;
        let behaviour = Behaviour::from_periods(&periods).unwrap();
        let growth = behaviour.rss_growth_bytes_per_minute.unwrap() / (1024.0 * 1024.0);
        assert!((growth - 6.0).abs() < 0.5, "{growth}");
        assert_eq!(behaviour.requests, 800);
        assert!((behaviour.error_rate.unwrap() - 0.01).abs() < 1e-9);
        assert!((behaviour.p99_ms.unwrap() - 20.0).abs() < 1e-9);
        assert!((behaviour.cpu_ms_per_request.unwrap() - 2.0).abs() < 1e-9);
        assert_eq!(behaviour.measured_seconds, 80.0);
    }

    #[test]
    fn one_period_has_no_growth_and_none_has_no_behaviour() {
        assert_eq!(Behaviour::from_periods(&[]), None);
        let one = Behaviour::from_periods(&[period(0.0, 40.0, 0, 0, 1.0)]).unwrap();
        assert_eq!(one.rss_growth_bytes_per_minute, None);
        assert_eq!(one.error_rate, None);
        assert_eq!(one.p99_ms, None, "no requests weigh the p99");
    }

    #[test]
    fn the_table_shows_both_releases_and_the_change() {
        let flat: Vec<Period> = (0..6)
            .map(|i| period(f64::from(i) * 10.0, 40.0, 100, 0, 20.0))
            .collect();
        let leaking: Vec<Period> = (0..6)
            .map(|i| period(f64::from(i) * 10.0, 40.0 + 2.0 * f64::from(i), 100, 0, 25.0))
            .collect();
        let env = MeasuredEnv {
            env: "prod".into(),
            release: Behaviour::from_periods(&leaking).unwrap(),
            previous: Behaviour::from_periods(&flat),
        };
        let table = table(&env, "v2", "v1");
        assert!(
            table.contains(
                "| RSS growth per replica | 0.0 MiB /min | 12.0 MiB /min | +12.0 MiB /min |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| p99 latency | 20.0 ms | 25.0 ms | +5.0 ms (+25 %) |"),
            "{table}"
        );
    }
}
