//! The daemon's metrics in the Prometheus text format (0.0.4): replicas
//! (state, restarts, RSS, CPU) from the engine, requests and latency per
//! release from the telemetry ring, deploy outcomes from the history,
//! canary looks and guard verdicts, open incidents. See `docs/metrics.md`.

use super::ring::{Point, ReleaseCounts};
use daytwo_engine::ReplicaStatus;
use daytwo_types::{ReplicaKey, ReplicaState};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Everything one scrape renders.
#[derive(Debug, Default)]
pub(crate) struct MetricsInput {
    pub(crate) replicas: Vec<ReplicaStatus>,
    pub(crate) cpu_seconds: BTreeMap<ReplicaKey, f64>,
    /// The newest telemetry point per env.
    pub(crate) latest: BTreeMap<String, Point>,
    /// Digest → version of the stored releases.
    pub(crate) versions: BTreeMap<String, String>,
    /// `(env, kind, outcome, count)` of finished deploys.
    pub(crate) deploys: Vec<(String, String, String, u64)>,
    /// `(env, "", decision) → count`.
    pub(crate) looks: BTreeMap<(String, String, String), u64>,
    /// `(env, guard, decision) → count`.
    pub(crate) verdicts: BTreeMap<(String, String, String), u64>,
    /// `(env, open incidents)`.
    pub(crate) open_incidents: Vec<(String, u64)>,
}

/// Escapes a label value.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn replica_labels(status: &ReplicaStatus) -> String {
    format!(
        "env=\"{}\",process=\"{}\",replica=\"{}\",release=\"{}\"",
        escape(&status.key.env),
        escape(&status.key.process),
        status.key.replica,
        escape(&status.release)
    )
}

pub(crate) fn render(input: &MetricsInput) -> String {
    let mut out = String::new();
    let mut replicas: Vec<&ReplicaStatus> = input.replicas.iter().collect();
    replicas.sort_by(|a, b| a.key.cmp(&b.key));

    family(
        &mut out,
        "daytwo_replica_state",
        "gauge",
        "1 for the state each replica is in, 0 for the other states.",
    );
    for status in &replicas {
        let labels = replica_labels(status);
        for state in ReplicaState::ALL {
            let _ = writeln!(
                out,
                "daytwo_replica_state{{{labels},state=\"{}\"}} {}",
                state.as_str(),
                u8::from(status.state == state)
            );
        }
    }
    family(
        &mut out,
        "daytwo_replica_restarts_total",
        "counter",
        "Restarts of each replica after an exit.",
    );
    for status in &replicas {
        let _ = writeln!(
            out,
            "daytwo_replica_restarts_total{{{}}} {}",
            replica_labels(status),
            status.restarts
        );
    }
    family(
        &mut out,
        "daytwo_replica_resident_memory_bytes",
        "gauge",
        "RSS of each replica's process group, latest sample.",
    );
    for status in &replicas {
        let _ = writeln!(
            out,
            "daytwo_replica_resident_memory_bytes{{{}}} {}",
            replica_labels(status),
            status.rss_bytes
        );
    }
    family(
        &mut out,
        "daytwo_replica_cpu_seconds_total",
        "counter",
        "CPU time (user and system) of each replica's process group since its process started.",
    );
    for status in &replicas {
        let seconds = input.cpu_seconds.get(&status.key).copied().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "daytwo_replica_cpu_seconds_total{{{}}} {seconds}",
            replica_labels(status)
        );
    }

    let releases: Vec<(&String, &String, &ReleaseCounts)> = input
        .latest
        .iter()
        .flat_map(|(env, point)| {
            point
                .releases
                .iter()
                .map(move |(release, counts)| (env, release, counts))
        })
        .collect();
    family(
        &mut out,
        "daytwo_release_info",
        "gauge",
        "1 for each release with requests in an env; names its version.",
    );
    for (env, release, _) in &releases {
        let version = input.versions.get(*release).map_or("", String::as_str);
        let _ = writeln!(
            out,
            "daytwo_release_info{{env=\"{}\",release=\"{}\",version=\"{}\"}} 1",
            escape(env),
            escape(release),
            escape(version)
        );
    }
    family(
        &mut out,
        "daytwo_release_requests_total",
        "counter",
        "Requests the proxy answered per release, by status class.",
    );
    for (env, release, counts) in &releases {
        for (class, count) in ["1xx", "2xx", "3xx", "4xx", "5xx"]
            .iter()
            .zip(counts.classes)
        {
            let _ = writeln!(
                out,
                "daytwo_release_requests_total{{env=\"{}\",release=\"{}\",class=\"{class}\"}} {count}",
                escape(env),
                escape(release)
            );
        }
    }
    family(
        &mut out,
        "daytwo_release_request_duration_seconds",
        "histogram",
        "Time to the end of the response per release, as the proxy measured it.",
    );
    for (env, release, counts) in &releases {
        let labels = format!("env=\"{}\",release=\"{}\"", escape(env), escape(release));
        for (le, count) in counts.bounds.iter().zip(counts.buckets.iter()) {
            let _ = writeln!(
                out,
                "daytwo_release_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {count}"
            );
        }
        let total = counts.total();
        let _ = writeln!(
            out,
            "daytwo_release_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {total}"
        );
        let _ = writeln!(
            out,
            "daytwo_release_request_duration_seconds_sum{{{labels}}} {}",
            counts.latency_sum_seconds
        );
        let _ = writeln!(
            out,
            "daytwo_release_request_duration_seconds_count{{{labels}}} {total}"
        );
    }

    family(
        &mut out,
        "daytwo_deploys_total",
        "counter",
        "Finished deploys, promotes and rollbacks, by outcome (succeeded, failed, rolled_back, …).",
    );
    for (env, kind, outcome, count) in &input.deploys {
        let _ = writeln!(
            out,
            "daytwo_deploys_total{{env=\"{}\",kind=\"{}\",outcome=\"{}\"}} {count}",
            escape(env),
            escape(kind),
            escape(outcome)
        );
    }
    family(
        &mut out,
        "daytwo_canary_looks_total",
        "counter",
        "Looks of the canary analysis, by decision (pass, fail, inconclusive).",
    );
    for ((env, _, decision), count) in &input.looks {
        let _ = writeln!(
            out,
            "daytwo_canary_looks_total{{env=\"{}\",decision=\"{}\"}} {count}",
            escape(env),
            escape(decision)
        );
    }
    family(
        &mut out,
        "daytwo_canary_guard_verdicts_total",
        "counter",
        "Verdicts of each canary guard at each look, by guard and verdict.",
    );
    for ((env, guard, verdict), count) in &input.verdicts {
        let _ = writeln!(
            out,
            "daytwo_canary_guard_verdicts_total{{env=\"{}\",guard=\"{}\",verdict=\"{}\"}} {count}",
            escape(env),
            escape(guard),
            escape(verdict)
        );
    }
    family(
        &mut out,
        "daytwo_incidents_open",
        "gauge",
        "Incidents not closed yet, per env.",
    );
    for (env, count) in &input.open_incidents {
        let _ = writeln!(
            out,
            "daytwo_incidents_open{{env=\"{}\"}} {count}",
            escape(env)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::ring::CompactMap;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn every_family_has_help_and_type_and_histograms_end_with_inf() {
        let mut latest = BTreeMap::new();
        let mut point = Point {
            at: Instant::now(),
            wall: jiff::Timestamp::now(),
            releases: CompactMap::new(),
            replicas: CompactMap::new(),
        };
        point.releases.insert(
            "sha256:a\"b".into(),
            ReleaseCounts {
                classes: [0, 9, 0, 0, 1],
                bounds: Arc::from(vec![0.01, 0.1]),
                buckets: vec![8, 10].into_boxed_slice(),
                latency_sum_seconds: 0.25,
            },
        );
        latest.insert("prod".to_string(), point);
        let text = render(&MetricsInput {
            latest,
            deploys: vec![("prod".into(), "deploy".into(), "rolled_back".into(), 2)],
            ..MetricsInput::default()
        });
        assert!(text.contains(
            "daytwo_release_request_duration_seconds_bucket{env=\"prod\",release=\"sha256:a\\\"b\",le=\"+Inf\"} 10"
        ));
        assert!(text.contains(
            "daytwo_release_requests_total{env=\"prod\",release=\"sha256:a\\\"b\",class=\"5xx\"} 1"
        ));
        assert!(text.contains(
            "daytwo_deploys_total{env=\"prod\",kind=\"deploy\",outcome=\"rolled_back\"} 2"
        ));
        for line in text.lines().filter(|line| line.starts_with("# TYPE")) {
            let name = line.split_whitespace().nth(2).unwrap();
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "{name} has a HELP line"
            );
        }
    }
}
