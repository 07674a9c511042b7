//! Canaries end to end: a real child daemon, the real proxy and python
//! replicas under steady keep-alive traffic through the env's listener; the
//! releases differ only in how they misbehave (`canary_fixture`). The
//! daemon samples every 500 ms and the canary looks every second, so each
//! test takes tens of seconds, not minutes.

use crate::canary_fixture::{
    Behaviour, Canary, CanaryApp, Traffic, TrafficReport, http_get_text, promtool_accepts,
};
use crate::deploy_fixture::{finish, import, trust};
use crate::support::{ChildDaemon, TestHome};
use daytwo_api::{Client, DeployRecord, DeployRequest, Event, ReleaseInfo};
use std::time::{Duration, Instant};

/// The daemon's sampling interval in these tests.
const TELEMETRY: (&str, &str) = ("DAYTWO_TELEMETRY_INTERVAL", "500ms");
/// Requests per second of the steady traffic (over 2 keep-alive clients).
const RATE: u32 = 240;
/// No canary here may take longer.
const DEPLOY_LIMIT: Duration = Duration::from_secs(90);

struct Setup {
    home: TestHome,
    _daemon: ChildDaemon,
    client: Client,
    app: CanaryApp,
    stable: ReleaseInfo,
    candidate: ReleaseInfo,
}

/// A daemon whose env `prod` runs a well-behaved 1.0.0 (2 replicas), and
/// a 2.0.0 behaving as `candidate`, both deployed as `canary`.
async fn setup(candidate: Behaviour, canary: Canary) -> Setup {
    let home = TestHome::new();
    trust(&home, "prod");
    let app = CanaryApp::new();
    let v1 = app.build("1.0.0", Behaviour::default(), &canary);
    let v2 = app.build("2.0.0", candidate, &canary);
    let daemon = ChildDaemon::start_with(&home, &[TELEMETRY]).await;
    let client = home.client();
    let stable = import(&client, &v1).await;
    let candidate = import(&client, &v2).await;
    let first = deploy_canary(&client, "1.0.0").await;
    assert_eq!(first.outcome, "succeeded", "{first:?}");
    Setup {
        home,
        _daemon: daemon,
        client,
        app,
        stable,
        candidate,
    }
}

async fn deploy_canary(client: &Client, release: &str) -> DeployRecord {
    let stream = client
        .deploy(
            "prod",
            &DeployRequest {
                release: release.to_string(),
                strategy: Some("canary".to_string()),
                user: "tester".to_string(),
                allow_contract: false,
            },
        )
        .await
        .expect("deploy accepted");
    tokio::time::timeout(DEPLOY_LIMIT, finish(stream))
        .await
        .expect("the canary ends in time")
        .1
}

async fn events(client: &Client) -> Vec<Event> {
    client.events(Some("prod"), Some(1000)).await.unwrap()
}

fn kinds(events: &[Event]) -> Vec<&str> {
    events.iter().map(|event| event.kind.as_str()).collect()
}

fn time_of(events: &[Event], kind: &str) -> Option<jiff::Timestamp> {
    events
        .iter()
        .find(|event| event.kind == kind)
        .map(|event| event.time.parse().expect("RFC 3339 time"))
}

/// The canary under traffic: `(record, what the clients saw, how long the
/// deploy took)`.
async fn canary_under_traffic(setup: &Setup, rate: u32) -> (DeployRecord, TrafficReport, Duration) {
    let traffic = Traffic::start(setup.app.prod, rate, 2);
    // The stable replicas have a few samples before the canary starts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let started = Instant::now();
    let record = deploy_canary(&setup.client, "2.0.0").await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    (record, traffic.finish().await, took)
}

/// The web replicas of `prod` by release digest.
async fn web_releases(client: &Client) -> Vec<String> {
    let mut releases: Vec<String> = client
        .ps(Some("prod"))
        .await
        .unwrap()
        .into_iter()
        .map(|replica| replica.release)
        .collect();
    releases.sort();
    releases.dedup();
    releases
}

async fn metrics_text(client: &Client) -> String {
    let url = client
        .status()
        .await
        .unwrap()
        .daemon
        .metrics_url
        .expect("the daemon serves metrics on loopback");
    tokio::task::spawn_blocking(move || http_get_text(&url))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaking_candidate_is_rolled_back_by_the_memory_guard_within_a_minute() {
    let canary = Canary {
        steps: vec![25, 50, 100],
        step_duration: "15s",
        analysis_interval: "1s",
        max_extensions: 1,
    };
    let leak = Behaviour {
        leak_bytes_per_request: 64 * 1024,
        ..Behaviour::default()
    };
    let setup = setup(leak, canary).await;
    let (record, report, took) = canary_under_traffic(&setup, RATE).await;

    assert_eq!(record.outcome, "rolled_back", "{record:?}");
    assert_eq!(
        record.failed_guard.as_deref(),
        Some("memory_growth"),
        "{record:?}"
    );
    assert!(took < Duration::from_secs(60), "rolled back after {took:?}");
    assert!(
        report.errors.is_empty(),
        "socket errors: {:?}",
        report.errors
    );
    let failures = report.failures_not_from("");
    assert!(failures.is_empty(), "non-2xx answers: {failures:?}");
    assert!(
        report.count(200, &setup.candidate.digest) > 0,
        "the candidate served its share before the rollback: {:?}",
        report.answers
    );
    assert_eq!(
        web_releases(&setup.client).await,
        vec![setup.stable.digest.clone()],
        "the candidate's replicas are stopped"
    );

    let log = events(&setup.client).await;
    let seen = kinds(&log);
    for kind in [
        "canary.step",
        "canary.guard_failed",
        "incident.opened",
        "canary.rolled_back",
    ] {
        assert!(seen.contains(&kind), "{kind} in {seen:?}");
    }
    let failed = log
        .iter()
        .find(|event| event.kind == "canary.guard_failed")
        .unwrap();
    assert!(
        failed.message.contains("memory_growth"),
        "{}",
        failed.message
    );
    let step = time_of(&log, "canary.step").unwrap();
    let detected = time_of(&log, "canary.guard_failed").unwrap();
    let rolled_back = time_of(&log, "canary.rolled_back").unwrap();
    eprintln!(
        "leak: deploy {took:?}; first look → detected {:?}; detected → rolled back {:?}",
        detected.duration_since(step),
        rolled_back.duration_since(detected)
    );

    let store =
        daytwo_store::Store::open(setup.home.path().join(daytwo_daemon::STORE_FILE)).unwrap();
    let incidents = store.incidents(Some("prod"), 10).unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let incident = &incidents[0];
    assert_eq!(incident.guard.as_deref(), Some("memory_growth"));
    assert_eq!(incident.deployment_id, Some(record.id));
    assert_eq!(
        incident.release.as_ref().map(|r| r.version.as_str()),
        Some("2.0.0")
    );
    assert!(incident.closed_at.is_some(), "the rollback closed it");
    let (_, timeline) = store.incident_timeline(incident.id, 100).unwrap().unwrap();
    let timeline: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert!(timeline.contains(&"canary.guard_failed"), "{timeline:?}");

    let metrics = metrics_text(&setup.client).await;
    assert!(
        metrics.contains(
            "daytwo_canary_guard_verdicts_total{env=\"prod\",guard=\"memory_growth\",verdict=\"fail\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "daytwo_deploys_total{env=\"prod\",kind=\"deploy\",outcome=\"rolled_back\"} 1"
        ),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_candidate_passes_every_step_and_is_promoted() {
    let canary = Canary {
        steps: vec![25, 50, 100],
        step_duration: "7s",
        analysis_interval: "1s",
        max_extensions: 2,
    };
    let setup = setup(Behaviour::default(), canary).await;
    let (record, report, took) = canary_under_traffic(&setup, RATE).await;

    assert_eq!(record.outcome, "succeeded", "{record:?} after {took:?}");
    assert_eq!(record.strategy, "canary");
    assert_eq!(record.failed_guard, None);
    assert!(
        report.errors.is_empty(),
        "socket errors: {:?}",
        report.errors
    );
    let failures = report.failures_not_from("");
    assert!(failures.is_empty(), "non-2xx answers: {failures:?}");
    assert!(report.count(200, &setup.candidate.digest) > 0);
    let last_stable = report.last_seen[&setup.stable.digest];
    let last_candidate = report.last_seen[&setup.candidate.digest];
    assert!(
        last_candidate > last_stable,
        "only the candidate answers at the end: {:?}",
        report.last_seen
    );

    let log = events(&setup.client).await;
    let steps: Vec<&str> = log
        .iter()
        .filter(|event| event.kind == "canary.step")
        .map(|event| event.message.as_str())
        .collect();
    assert_eq!(steps.len(), 2, "two held steps: {steps:?}");
    assert!(
        steps[0].contains("25%") && steps[1].contains("50%"),
        "{steps:?}"
    );
    assert!(
        kinds(&log).contains(&"canary.promoted"),
        "{:?}",
        kinds(&log)
    );
    assert!(!kinds(&log).contains(&"canary.guard_failed"));
    eprintln!(
        "healthy canary promoted after {took:?} ({} requests)",
        report.total()
    );

    // The measured behaviour of both releases is in the store's summaries.
    let store =
        daytwo_store::Store::open(setup.home.path().join(daytwo_daemon::STORE_FILE)).unwrap();
    for release in [&setup.stable, &setup.candidate] {
        let behaviour = store
            .release_behaviour("prod", &release.digest)
            .unwrap()
            .unwrap_or_else(|| panic!("no telemetry rows of {}", release.version));
        assert!(behaviour.requests > 0, "{behaviour:?}");
        assert!(behaviour.rss_bytes > 1 << 20, "{behaviour:?}");
        assert_eq!(behaviour.errors_5xx, 0, "{behaviour:?}");
        assert!(
            behaviour.p99_ms.is_some_and(|p99| p99 > 0.0),
            "{behaviour:?}"
        );
    }

    let metrics = metrics_text(&setup.client).await;
    promtool_accepts(&metrics);
    for expected in [
        "daytwo_canary_looks_total{env=\"prod\",decision=\"pass\"}",
        "daytwo_canary_guard_verdicts_total{env=\"prod\",guard=\"error_rate\",verdict=\"pass\"}",
        "daytwo_deploys_total{env=\"prod\",kind=\"deploy\",outcome=\"succeeded\"} 2",
        "daytwo_replica_state{env=\"prod\",process=\"web\"",
        "daytwo_release_request_duration_seconds_bucket{env=\"prod\"",
    ] {
        assert!(metrics.contains(expected), "{expected} in\n{metrics}");
    }
    let candidate_requests = format!(
        "daytwo_release_requests_total{{env=\"prod\",release=\"{}\",class=\"2xx\"}}",
        setup.candidate.digest
    );
    assert!(metrics.contains(&candidate_requests), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_with_5_percent_5xx_is_rolled_back_by_the_error_rate_guard() {
    let canary = Canary {
        steps: vec![25, 50, 100],
        step_duration: "15s",
        analysis_interval: "1s",
        max_extensions: 1,
    };
    let failing = Behaviour {
        fail_percent: 5,
        ..Behaviour::default()
    };
    let setup = setup(failing, canary).await;
    let (record, report, took) = canary_under_traffic(&setup, RATE).await;

    assert_eq!(record.outcome, "rolled_back", "{record:?}");
    assert_eq!(
        record.failed_guard.as_deref(),
        Some("error_rate"),
        "{record:?}"
    );
    assert!(
        report.errors.is_empty(),
        "socket errors: {:?}",
        report.errors
    );
    assert_eq!(
        report.failures_not_from(&setup.candidate.digest),
        vec![],
        "every 5xx came from the candidate"
    );
    assert!(report.count(500, &setup.candidate.digest) > 0);
    assert_eq!(
        web_releases(&setup.client).await,
        vec![setup.stable.digest.clone()]
    );
    let log = events(&setup.client).await;
    assert!(kinds(&log).contains(&"canary.rolled_back"));
    eprintln!("5% 5xx: rolled back after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_with_too_little_traffic_is_held_then_fails_closed() {
    let canary = Canary {
        steps: vec![25, 100],
        step_duration: "4s",
        analysis_interval: "1s",
        max_extensions: 1,
    };
    let setup = setup(Behaviour::default(), canary).await;
    // 4 requests a second: the stable group gets ~24 in the held step,
    // the candidate ~8 — far below the 100 the error-rate guard needs.
    let (record, report, took) = canary_under_traffic(&setup, 4).await;

    assert_eq!(record.outcome, "rolled_back", "{record:?}");
    assert_eq!(record.failed_guard, None);
    let message = record.message.clone().unwrap_or_default();
    assert!(message.contains("inconclusive"), "{message}");
    assert!(
        took >= Duration::from_secs(8),
        "held through its extension: {took:?}"
    );
    assert!(
        report.errors.is_empty(),
        "socket errors: {:?}",
        report.errors
    );
    let log = events(&setup.client).await;
    let seen = kinds(&log);
    assert!(!seen.contains(&"canary.promoted"), "{seen:?}");
    assert!(
        !seen.contains(&"incident.opened"),
        "no guard failed: {seen:?}"
    );
    let steps: Vec<&Event> = log.iter().filter(|e| e.kind == "canary.step").collect();
    assert_eq!(steps.len(), 1, "never past the first step: {steps:?}");
    assert!(
        log.iter()
            .any(|e| e.kind == "canary.verdict" && e.message.contains("inconclusive")),
        "{seen:?}"
    );
    assert_eq!(
        web_releases(&setup.client).await,
        vec![setup.stable.digest.clone()],
        "the candidate never took over"
    );
    assert!(report.last_seen[&setup.stable.digest] > took);
}
