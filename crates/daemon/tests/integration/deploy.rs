//! Deploys through the daemon: real bundles (built and signed in the test),
//! a real child daemon, the real proxy and python replicas; traffic goes
//! through the env's listener.

use crate::deploy_fixture::{
    AppSource, CRASHING, SERVING, SMOKE_OK, deploy, deploy_request, finish, import, serving, trust,
};
use crate::http_app::{LoadLoop, get};
use crate::support::{ChildDaemon, TestHome, eventually};
use daytwo_api::{ClientError, ImportRequest, PromoteRequest, RollbackRequest};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn one(release: &str) -> BTreeSet<String> {
    BTreeSet::from([release.to_string()])
}

fn api_code(error: ClientError) -> String {
    match error {
        ClientError::Api { body, .. } => body.code,
        other => panic!("expected an API error, got {other}"),
    }
}

/// `(replica number, pid)` of the env's web replicas, sorted.
async fn web_replicas(client: &daytwo_api::Client, env: &str) -> Vec<(u32, Option<u32>)> {
    let mut replicas: Vec<(u32, Option<u32>)> = client
        .ps(Some(env))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.replica, r.pid))
        .collect();
    replicas.sort();
    replicas
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_under_load_fails_no_request_and_a_warm_rollback_switches_back_at_once() {
    let home = TestHome::new();
    trust(&home, "prod");
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let v2 = app.build("2.0.0", SERVING, SMOKE_OK);
    let _daemon = ChildDaemon::start(&home).await;
    let client = home.client();
    let r1 = import(&client, &v1).await;
    let r2 = import(&client, &v2).await;
    assert_ne!(r1.digest, r2.digest);

    let first = deploy(&client, "prod", "1.0.0").await;
    assert_eq!(first.outcome, "succeeded", "{first:?}");
    assert_eq!(first.from, None);
    assert_eq!(serving(app.prod, 10).await, one(&r1.digest));
    let v1_replicas = web_replicas(&client, "prod").await;

    let load = LoadLoop::start(app.prod);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stream = client
        .deploy("prod", &deploy_request(&r2.digest[..20]))
        .await
        .unwrap();
    let (steps, second) = finish(stream).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let report = load.finish().await;
    assert_eq!(second.outcome, "succeeded", "{second:?}");
    assert!(
        report.failed.is_empty() && report.errors.is_empty(),
        "{} ok, failed {:?}, errors {:?}",
        report.ok,
        report.failed,
        report.errors
    );
    assert!(!steps.is_empty(), "progress steps are streamed");
    assert_eq!(serving(app.prod, 10).await, one(&r2.digest));
    let status = client.status().await.unwrap();
    let prod = status.envs.iter().find(|e| e.name == "prod").unwrap();
    assert_eq!(prod.release.version, "2.0.0");
    assert_eq!(prod.release.digest.as_deref(), Some(r2.digest.as_str()));
    let releases = client.releases().await.unwrap();
    let deployed: Vec<(String, Vec<String>)> = releases
        .into_iter()
        .map(|r| (r.version, r.deployed_to))
        .collect();
    assert!(deployed.contains(&("2.0.0".to_string(), vec!["prod".to_string()])));
    assert!(deployed.contains(&("1.0.0".to_string(), vec![])));

    // Warm: v1's replicas still run (unroutable); the rollback reuses them.
    let started = Instant::now();
    let stream = client
        .rollback(
            "prod",
            &RollbackRequest {
                to: None,
                user: "tester".into(),
                force: false,
            },
        )
        .await
        .unwrap();
    let (_, back) = finish(stream).await;
    let took = started.elapsed();
    assert_eq!(back.outcome, "succeeded", "{back:?}");
    assert_eq!(back.strategy, "warm");
    assert_eq!(serving(app.prod, 10).await, one(&r1.digest));
    assert_eq!(
        web_replicas(&client, "prod").await,
        v1_replicas,
        "the rollback started no new replica (took {took:?})"
    );

    let history = client.history(Some("prod")).await.unwrap();
    let summary: Vec<(String, String, String)> = history
        .iter()
        .map(|r| (r.kind.clone(), r.to.version.clone(), r.outcome.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("rollback".into(), "1.0.0".into(), "succeeded".into()),
            ("deploy".into(), "2.0.0".into(), "succeeded".into()),
            ("deploy".into(), "1.0.0".into(), "succeeded".into()),
        ]
    );
    assert!(
        history
            .iter()
            .all(|r| r.user == "tester" && r.duration_ms.is_some())
    );
    assert_eq!(
        history[1].from.as_ref().and_then(|f| f.digest.clone()),
        Some(r1.digest.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_that_cannot_start_fails_preflight_and_the_old_one_keeps_serving() {
    let home = TestHome::new();
    trust(&home, "prod");
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let broken = app.build("2.0.0", CRASHING, SMOKE_OK);
    let _daemon = ChildDaemon::start(&home).await;
    let client = home.client();
    let r1 = import(&client, &v1).await;
    import(&client, &broken).await;
    assert_eq!(deploy(&client, "prod", "1.0.0").await.outcome, "succeeded");
    let before = web_replicas(&client, "prod").await;

    let load = LoadLoop::start(app.prod);
    let failed = deploy(&client, "prod", "2.0.0").await;
    let report = load.finish().await;
    assert_eq!(failed.outcome, "failed", "{failed:?}");
    assert!(
        failed
            .logs
            .iter()
            .any(|line| line.contains("booting the broken release")),
        "the failing replica's last lines: {:?}",
        failed.logs
    );
    assert!(
        report.failed.is_empty() && report.errors.is_empty(),
        "{report:?}"
    );
    assert_eq!(serving(app.prod, 10).await, one(&r1.digest));
    assert_eq!(web_replicas(&client, "prod").await, before, "only v1 runs");
    let status = client.status().await.unwrap();
    assert_eq!(status.envs[0].release.version, "1.0.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_smoke_check_keeps_the_new_release_away_from_traffic() {
    let home = TestHome::new();
    trust(&home, "prod");
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let v2 = app.build(
        "2.0.0",
        SERVING,
        "echo smoke says no at $DAYTWO_SMOKE_URL; exit 1",
    );
    let _daemon = ChildDaemon::start(&home).await;
    let client = home.client();
    let r1 = import(&client, &v1).await;
    import(&client, &v2).await;
    assert_eq!(deploy(&client, "prod", "1.0.0").await.outcome, "succeeded");

    let failed = deploy(&client, "prod", "2.0.0").await;
    assert_eq!(failed.outcome, "failed");
    let message = failed.message.unwrap_or_default();
    assert!(
        message.contains("smoke says no at http://127.0.0.1:"),
        "{message}"
    );
    assert_eq!(serving(app.prod, 10).await, one(&r1.digest));
    assert_eq!(client.ps(Some("prod")).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_deploys_exactly_the_digest_the_source_env_runs() {
    let home = TestHome::new();
    trust(&home, "qa");
    trust(&home, "prod");
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let v2 = app.build("2.0.0", SERVING, SMOKE_OK);
    let _daemon = ChildDaemon::start(&home).await;
    let client = home.client();
    import(&client, &v1).await;
    let r2 = import(&client, &v2).await;
    assert_eq!(deploy(&client, "qa", &r2.digest).await.outcome, "succeeded");

    let stream = client
        .promote(
            "prod",
            &PromoteRequest {
                from: "qa".into(),
                strategy: Some("blue-green".into()),
                user: "tester".into(),
            },
        )
        .await
        .unwrap();
    let (_, promoted) = finish(stream).await;
    assert_eq!(promoted.outcome, "succeeded", "{promoted:?}");
    assert_eq!(promoted.kind, "promote");
    assert_eq!(promoted.strategy, "blue-green");
    assert_eq!(promoted.to.digest.as_deref(), Some(r2.digest.as_str()));
    assert_eq!(serving(app.prod, 10).await, one(&r2.digest));

    // An env that does not run a built release cannot be promoted from.
    let refused = client
        .promote(
            "qa",
            &PromoteRequest {
                from: "staging".into(),
                strategy: None,
                user: "tester".into(),
            },
        )
        .await
        .err()
        .expect("refused");
    assert_eq!(api_code(refused), "source_unhealthy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_warm_window_a_rollback_is_a_cold_deploy_of_the_previous_release() {
    let home = TestHome::new();
    trust(&home, "prod");
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let v2 = app.build("2.0.0", SERVING, SMOKE_OK);
    let _daemon =
        ChildDaemon::start_with(&home, &[(daytwo_daemon::WARM_WINDOW_VAR, "300ms")]).await;
    let client = home.client();
    let r1 = import(&client, &v1).await;
    import(&client, &v2).await;
    assert_eq!(deploy(&client, "prod", "1.0.0").await.outcome, "succeeded");
    assert_eq!(deploy(&client, "prod", "2.0.0").await.outcome, "succeeded");
    eventually("the warm v1 replicas to stop after the window", || {
        let client = client.clone();
        async move {
            let count = client.ps(Some("prod")).await.unwrap().len();
            if count == 2 {
                Ok(())
            } else {
                Err(format!("{count} replicas"))
            }
        }
    })
    .await;

    let load = LoadLoop::start(app.prod);
    let stream = client
        .rollback(
            "prod",
            &RollbackRequest {
                to: None,
                user: "tester".into(),
                force: false,
            },
        )
        .await
        .unwrap();
    let (_, back) = finish(stream).await;
    let report = load.finish().await;
    assert_eq!(back.outcome, "succeeded", "{back:?}");
    assert_eq!(back.strategy, "rolling", "cold: a normal deploy");
    assert_eq!(back.to.version, "1.0.0");
    assert!(
        report.failed.is_empty() && report.errors.is_empty(),
        "{report:?}"
    );
    assert_eq!(serving(app.prod, 10).await, one(&r1.digest));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_deploy_of_a_busy_env_is_refused_naming_the_running_one() {
    let home = TestHome::new();
    trust(&home, "prod");
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let _daemon = ChildDaemon::start(&home).await;
    let client = home.client();
    import(&client, &v1).await;
    let running = client
        .deploy("prod", &deploy_request("1.0.0"))
        .await
        .unwrap();
    let refused = client
        .deploy("prod", &deploy_request("1.0.0"))
        .await
        .err()
        .expect("the env is busy");
    match refused {
        ClientError::Api { status, body } => {
            assert_eq!((status, body.code.as_str()), (409, "deploy_in_progress"));
            assert!(
                body.message.contains("deploy #") && body.message.contains("by tester"),
                "{}",
                body.message
            );
        }
        other => panic!("{other}"),
    }
    assert_eq!(finish(running).await.1.outcome, "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_and_tampered_bundles_are_refused_before_anything_changes() {
    let home = TestHome::new();
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let v2 = app.build("2.0.0", SERVING, SMOKE_OK);
    let _daemon = ChildDaemon::start(&home).await;
    let client = home.client();

    let request = ImportRequest {
        path: v1.display().to_string(),
    };
    let refused = client.import(&request).await.expect_err("no key trusted");
    assert_eq!(api_code(refused), "no_trusted_keys");

    // Trusted for dev only: importable, but prod does not accept it.
    trust(&home, "dev");
    import(&client, &v1).await;
    let refused = client
        .deploy("prod", &deploy_request("1.0.0"))
        .await
        .err()
        .expect("prod trusts no key");
    assert_eq!(api_code(refused), "no_trusted_keys");
    assert!(client.status().await.unwrap().envs.is_empty());

    trust(&home, "prod");
    let r2 = import(&client, &v2).await;
    assert_eq!(deploy(&client, "prod", "1.0.0").await.outcome, "succeeded");
    // The stored bundle of v2 is modified after import.
    let mut bytes = std::fs::read(&r2.path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&r2.path, bytes).unwrap();
    let refused = client
        .deploy("prod", &deploy_request("2.0.0"))
        .await
        .err()
        .expect("tampered");
    assert!(api_code(refused).starts_with("release::"));
    assert_eq!(client.ps(Some("prod")).await.unwrap().len(), 2);
    assert!(client.history(Some("prod")).await.unwrap().len() == 1);
    let (status, _) = tokio::task::spawn_blocking({
        let addr = app.prod;
        move || get(addr, "/whoami").unwrap()
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
}

/// The replicas' releases (`ps`), as a set.
async fn running_releases(client: &daytwo_api::Client, env: &str) -> BTreeSet<String> {
    client
        .ps(Some(env))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.release)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_during_preflight_comes_back_fully_on_the_old_release() {
    let home = TestHome::new();
    trust(&home, "prod");
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let v2 = app.build("2.0.0", SERVING, "sleep 5");
    let daemon = ChildDaemon::start(&home).await;
    let client = home.client();
    let r1 = import(&client, &v1).await;
    import(&client, &v2).await;
    assert_eq!(deploy(&client, "prod", "1.0.0").await.outcome, "succeeded");

    let _stream = client
        .deploy("prod", &deploy_request("2.0.0"))
        .await
        .unwrap();
    eventually("the candidates to run", || {
        let client = client.clone();
        async move {
            let count = client.ps(Some("prod")).await.unwrap().len();
            if count == 4 {
                Ok(())
            } else {
                Err(format!("{count} replicas"))
            }
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let load = LoadLoop::start(app.prod);
    daemon.kill();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let _daemon = ChildDaemon::start(&home).await;
    let report = load.finish().await;
    assert!(
        report.failed.is_empty() && report.errors.is_empty(),
        "{report:?}"
    );
    let history = client.history(Some("prod")).await.unwrap();
    assert_eq!(history[0].outcome, "reconciled-old", "{:?}", history[0]);
    assert!(
        history[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("1.0.0")
    );
    assert_eq!(running_releases(&client, "prod").await, one(&r1.digest));
    assert_eq!(serving(app.prod, 10).await, one(&r1.digest));
    assert_eq!(
        client.status().await.unwrap().envs[0].release.version,
        "1.0.0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_during_the_switch_comes_back_fully_on_one_release() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let home = TestHome::new();
    trust(&home, "prod");
    let app = AppSource::new();
    let v1 = app.build("1.0.0", SERVING, SMOKE_OK);
    let v2 = app.build("2.0.0", SERVING, SMOKE_OK);
    let daemon = ChildDaemon::start(&home).await;
    let client = home.client();
    let r1 = import(&client, &v1).await;
    let r2 = import(&client, &v2).await;
    assert_eq!(deploy(&client, "prod", "1.0.0").await.outcome, "succeeded");

    // Slow requests in flight keep every drain of the switch busy.
    let stop = Arc::new(AtomicBool::new(false));
    let slow: Vec<_> = (0..3)
        .map(|_| {
            let stop = Arc::clone(&stop);
            let addr = app.prod;
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = get(addr, "/slow");
                }
            })
        })
        .collect();
    let _stream = client
        .deploy("prod", &deploy_request("2.0.0"))
        .await
        .unwrap();
    let proxy = daytwo_proxy::ProxyClient::for_home(home.path());
    eventually("the switch to begin", || {
        let proxy = proxy.clone();
        async move {
            let table = proxy.routes().await.map_err(|e| e.to_string())?;
            let switching = table.listener("prod").is_some_and(|listener| {
                listener.groups.iter().any(|group| {
                    group.name == daytwo_proxy::CANDIDATE_GROUP
                        && group.weight_percent > 0
                        && group.upstreams.iter().any(|u| u.routable)
                })
            });
            if switching {
                Ok(())
            } else {
                Err("no candidate routed yet".to_string())
            }
        }
    })
    .await;
    daemon.kill();
    stop.store(true, Ordering::Relaxed);

    let _daemon = ChildDaemon::start(&home).await;
    for thread in slow {
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
    let history = client.history(Some("prod")).await.unwrap();
    let outcome = history[0].outcome.clone();
    let ends_on = match outcome.as_str() {
        "reconciled-new" => &r2.digest,
        "reconciled-old" => &r1.digest,
        other => panic!("not reconciled: {other} {:?}", history[0]),
    };
    // The candidates were healthy and receiving: the deploy finishes.
    assert_eq!(outcome, "reconciled-new", "{:?}", history[0]);
    assert_eq!(running_releases(&client, "prod").await, one(ends_on));
    assert_eq!(serving(app.prod, 10).await, one(ends_on));
    let status = client.status().await.unwrap();
    assert_eq!(
        status.envs[0].release.digest.as_deref(),
        Some(ends_on.as_str())
    );
}
