//! `bench/canary.sh`: many canaries in a row under steady traffic, healthy
//! and leaking, with real processes; prints per canary and in total the
//! time to detect a leak, the time to roll it back and the false
//! rollbacks. In the test suite it runs small (one healthy and one leaking
//! canary after each other in the same env) and checks that the healthy one
//! is promoted, the leak is rolled back by the memory guard and no client
//! request fails; `bench/canary.sh` runs it at size.
//!
//! Environment: `BENCH_HEALTHY` (1; the bench: 20), `BENCH_LEAKING` (1; the
//! bench: 5), `BENCH_STEP` (step duration, `11s`; the bench: `15s`),
//! `BENCH_LOOK` (analysis interval, `2s`),
//! `BENCH_LEAK_BYTES` (bytes kept per request by a leaking release,
//! 16384), `BENCH_RATE` (requests per second, 240). The daemon samples
//! every second (its default); steps are 10 → 50 → 100 %.

use crate::canary_fixture::{Behaviour, Canary, CanaryApp, Traffic};
use crate::deploy_fixture::{import, trust};
use crate::support::{ChildDaemon, TestHome};
use daytwo_api::{Client, DeployProgress, DeployRecord, DeployRequest};
use jiff::Timestamp;
use std::time::Duration;

fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

/// One canary: the record and, from the progress stream and the event
/// log, when its first step was routed, when a guard failed and when the
/// routing was restored.
struct Run {
    leaking: bool,
    record: DeployRecord,
    total: Duration,
    detect: Option<Duration>,
    restore: Option<Duration>,
}

async fn run_canary(client: &Client, version: &str, leaking: bool, after_event: i64) -> Run {
    let requested = Timestamp::now();
    let mut stream = client
        .deploy(
            "prod",
            &DeployRequest {
                release: version.to_string(),
                strategy: Some("canary".to_string()),
                user: "bench".to_string(),
                allow_contract: false,
            },
        )
        .await
        .expect("deploy accepted");
    let mut routes: Vec<Timestamp> = Vec::new();
    let record = loop {
        match stream.next().await.expect("read the stream") {
            Some(DeployProgress::Result { record }) => break *record,
            Some(DeployProgress::StepFinished { message, .. }) if message.starts_with("route ") => {
                routes.push(Timestamp::now());
            }
            Some(_) => {}
            None => panic!("the stream ended without a result"),
        }
    };
    let total = Timestamp::now().duration_since(requested).unsigned_abs();
    let events = client.events(Some("prod"), Some(1000)).await.unwrap();
    let failed_at = events
        .iter()
        .filter(|event| event.id > after_event)
        .find(|event| event.kind == "canary.guard_failed")
        .map(|event| event.time.parse::<Timestamp>().unwrap());
    let since = |from: Timestamp, to: Timestamp| to.duration_since(from).unsigned_abs();
    let detect = failed_at
        .zip(routes.first().copied())
        .map(|(failed, step)| since(step, failed));
    let restore = failed_at
        .zip(routes.get(1).copied())
        .map(|(failed, restored)| since(failed, restored));
    Run {
        leaking,
        record,
        total,
        detect,
        restore,
    }
}

fn median(mut values: Vec<Duration>) -> Option<Duration> {
    values.sort();
    values.get(values.len() / 2).copied()
}

fn max(values: &[Duration]) -> Option<Duration> {
    values.iter().max().copied()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_bench() {
    let healthy: u32 = var("BENCH_HEALTHY", 1);
    let leaking: u32 = var("BENCH_LEAKING", 1);
    let rate: u32 = var("BENCH_RATE", 240);
    let leak_bytes: u64 = var("BENCH_LEAK_BYTES", 16 * 1024);
    // Long enough for the memory guard's 10 RSS points per replica, so a
    // healthy step concludes without an extension.
    let step: &'static str = var("BENCH_STEP", "11s".to_string()).leak();
    let look: &'static str = var("BENCH_LOOK", "2s".to_string()).leak();
    let canary = Canary {
        steps: vec![10, 50, 100],
        step_duration: step,
        analysis_interval: look,
        max_extensions: 2,
    };
    let home = TestHome::new();
    trust(&home, "prod");
    let app = CanaryApp::new();
    let _daemon = ChildDaemon::start_with(&home, &[("DAYTWO_WARM_WINDOW", "0s")]).await;
    let client = home.client();
    let first = app.build("0.0.0", Behaviour::default(), &canary);
    import(&client, &first).await;
    let stream = client
        .deploy(
            "prod",
            &DeployRequest {
                release: "0.0.0".to_string(),
                strategy: None,
                user: "bench".to_string(),
                allow_contract: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        crate::deploy_fixture::finish(stream).await.1.outcome,
        "succeeded"
    );
    let traffic = Traffic::start(app.prod, rate, 2);
    tokio::time::sleep(Duration::from_secs(2)).await;

    eprintln!(
        "canary bench: {healthy} healthy + {leaking} leaking ({leak_bytes} B kept per request), \
         {rate} req/s, steps 10/50/100 % of {step}, a look every {look}, sampling every 1 s"
    );
    let runs_total = healthy + leaking;
    let every = (runs_total / leaking.max(1)).max(1);
    let mut leaks_left = leaking;
    let mut runs = Vec::new();
    for n in 0..runs_total {
        let healthy_left = runs_total - n - leaks_left;
        let leak = leaks_left > 0 && (n % every == every - 1 || healthy_left == 0);
        if leak {
            leaks_left -= 1;
        }
        let behaviour = Behaviour {
            leak_bytes_per_request: if leak { leak_bytes } else { 0 },
            ..Behaviour::default()
        };
        let version = format!("1.{n}.0");
        let bundle = app.build(&version, behaviour, &canary);
        import(&client, &bundle).await;
        let last_event = client
            .events(Some("prod"), Some(1))
            .await
            .unwrap()
            .last()
            .map_or(0, |event| event.id);
        let run = run_canary(&client, &version, leak, last_event).await;
        eprintln!(
            "{:>2} {:<8} {:<12} guard {:<14} total {:>6.1} s  detect {:>6}  restore {:>6}",
            n + 1,
            if leak { "leaking" } else { "healthy" },
            run.record.outcome,
            run.record.failed_guard.as_deref().unwrap_or("-"),
            run.total.as_secs_f64(),
            run.detect
                .map_or("-".to_string(), |d| format!("{:.1} s", d.as_secs_f64())),
            run.restore.map_or("-".to_string(), |d| format!(
                "{:.0} ms",
                d.as_secs_f64() * 1000.0
            )),
        );
        runs.push(run);
    }
    let report = traffic.finish().await;

    let false_rollbacks = runs
        .iter()
        .filter(|run| !run.leaking && run.record.outcome != "succeeded")
        .count();
    let caught: Vec<&Run> = runs
        .iter()
        .filter(|run| run.leaking && run.record.outcome == "rolled_back")
        .collect();
    let detects: Vec<Duration> = caught.iter().filter_map(|run| run.detect).collect();
    let restores: Vec<Duration> = caught.iter().filter_map(|run| run.restore).collect();
    let promote: Vec<Duration> = runs
        .iter()
        .filter(|run| !run.leaking && run.record.outcome == "succeeded")
        .map(|run| run.total)
        .collect();
    let fmt =
        |d: Option<Duration>| d.map_or("-".to_string(), |d| format!("{:.1} s", d.as_secs_f64()));
    eprintln!("---");
    eprintln!(
        "healthy promoted: {}/{healthy} (false rollbacks: {false_rollbacks}); median deploy {}",
        promote.len(),
        fmt(median(promote.clone()))
    );
    eprintln!(
        "leaks rolled back: {}/{leaking}; time to detect median {} max {}; detect → routing restored median {} max {}",
        caught.len(),
        fmt(median(detects.clone())),
        fmt(max(&detects)),
        median(restores.clone()).map_or("-".into(), |d| format!("{} ms", d.as_millis())),
        max(&restores).map_or("-".into(), |d| format!("{} ms", d.as_millis())),
    );
    eprintln!(
        "traffic: {} requests, {} non-2xx, {} socket errors",
        report.total(),
        report
            .failures_not_from("")
            .iter()
            .map(|f| f.2)
            .sum::<u64>(),
        report.errors.len()
    );
    assert_eq!(false_rollbacks, 0, "a healthy canary was rolled back");
    assert_eq!(caught.len() as u32, leaking, "a leak was not rolled back");
    assert!(
        caught
            .iter()
            .all(|run| run.record.failed_guard.as_deref() == Some("memory_growth")),
        "a leak was rolled back by another guard"
    );
    assert!(
        report.errors.is_empty(),
        "socket errors: {:?}",
        report.errors
    );
    assert!(
        report.failures_not_from("").is_empty(),
        "non-2xx answers: {:?}",
        report.failures_not_from("")
    );
}
