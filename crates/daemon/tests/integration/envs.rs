//! `up`, `ps`, `status` and `down` with real replica processes.

use crate::support::{
    InProcessDaemon, TestHome, env_spec, eventually, expect_sleep_pids, process, sleep_pids,
    unique_sleep,
};
use daytwo_api::{ClientError, ReplicaInfo, UpRequest};
use daytwo_types::ReplicaState;

fn up_request(spec: daytwo_spec::EnvSpec) -> UpRequest {
    UpRequest {
        spec,
        release: "working-tree".to_string(),
        migrations: None,
    }
}

async fn all_healthy(home: &TestHome, env: &str, count: usize) -> Vec<ReplicaInfo> {
    let client = home.client();
    let env = env.to_string();
    eventually("every replica healthy", || {
        let client = client.clone();
        let env = env.clone();
        async move {
            let replicas = client
                .ps(Some(&env))
                .await
                .map_err(|error| error.to_string())?;
            let healthy = replicas
                .iter()
                .filter(|replica| replica.state == ReplicaState::Healthy)
                .count();
            if healthy == count && replicas.len() == count {
                Ok(replicas)
            } else {
                Err(format!("{replicas:?}"))
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_starts_every_replica_and_ps_and_status_show_them() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    let sleep = unique_sleep();
    let spec = env_spec(
        "dev",
        home.path(),
        vec![
            process("web", &format!("exec sleep {sleep}"), 2),
            process("worker", &format!("exec sleep {sleep}"), 1),
        ],
    );
    let answer = client.up(&up_request(spec)).await.unwrap();
    assert_eq!(answer.env, "dev");
    let keys: Vec<(String, u32)> = answer
        .replicas
        .iter()
        .map(|replica| (replica.process.clone(), replica.replica))
        .collect();
    assert_eq!(
        keys,
        [("web".into(), 1), ("web".into(), 2), ("worker".into(), 1)]
    );
    assert!(answer.replicas.iter().all(|replica| replica.pid.is_some()));
    assert!(
        answer
            .replicas
            .iter()
            .all(|replica| replica.release == "working-tree")
    );

    let replicas = all_healthy(&home, "dev", 3).await;
    let mut pids: Vec<u32> = replicas.iter().filter_map(|replica| replica.pid).collect();
    pids.sort_unstable();
    expect_sleep_pids(&sleep, &pids, "ps to show the real processes").await;
    assert!(replicas.iter().all(|replica| replica.started_at.is_some()));
    assert!(
        replicas
            .iter()
            .all(|replica| replica.log.starts_with(home.path().to_str().unwrap()))
    );

    let status = client.status().await.unwrap();
    assert_eq!(status.envs.len(), 1);
    let env = &status.envs[0];
    assert_eq!(env.name, "dev");
    assert_eq!(env.app, "hello");
    assert_eq!(env.release.version, "working-tree");
    assert_eq!(env.release.digest, None);
    assert_eq!(env.listen, None);
    assert_eq!(
        env.spec,
        home.path().join("daytwo.toml").display().to_string()
    );
    assert_eq!((env.replicas_desired, env.replicas_healthy), (3, 3));

    assert!(client.ps(Some("qa")).await.unwrap().is_empty());
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_stops_every_replica_and_forgets_the_env() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    let sleep = unique_sleep();
    let spec = env_spec(
        "qa",
        home.path(),
        vec![process("web", &format!("exec sleep {sleep}"), 2)],
    );
    client.up(&up_request(spec)).await.unwrap();
    all_healthy(&home, "qa", 2).await;

    let stopped = client.down("qa").await.unwrap();
    assert_eq!(stopped.env, "qa");
    assert_eq!(stopped.replicas.len(), 2);
    assert!(
        stopped
            .replicas
            .iter()
            .all(|replica| !replica.state.is_running()),
        "down answers once all exited: {:?}",
        stopped.replicas
    );
    assert!(sleep_pids(&sleep).is_empty(), "no replica process is left");
    assert!(client.ps(None).await.unwrap().is_empty());
    assert!(client.status().await.unwrap().envs.is_empty());

    let kinds: Vec<String> = client
        .events(Some("qa"), None)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(kinds.contains(&"env.up".to_string()), "{kinds:?}");
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("env.down"),
        "{kinds:?}"
    );

    let again = client.down("qa").await.unwrap_err();
    assert!(
        matches!(again, ClientError::Api { status: 404, .. }),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_not_found_hint_lists_the_envs_that_are_up() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    let spec = env_spec(
        "dev",
        home.path(),
        vec![process("web", &format!("exec sleep {}", unique_sleep()), 1)],
    );
    client.up(&up_request(spec)).await.unwrap();
    let error = client.down("prod").await.unwrap_err();
    assert_eq!(error.hint(), Some("envs that are up: dev"));
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_events_are_recorded_with_their_replica() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    // Exits at once: the engine restarts it, and each crash is an event.
    let spec = env_spec("dev", home.path(), vec![process("job", "exit 3", 1)]);
    client.up(&up_request(spec)).await.unwrap();
    let events = eventually("a crash event", || {
        let client = client.clone();
        async move {
            let events = client
                .events(Some("dev"), None)
                .await
                .map_err(|e| e.to_string())?;
            if events.iter().any(|event| event.kind == "replica.crashed") {
                Ok(events)
            } else {
                Err(format!("{events:?}"))
            }
        }
    })
    .await;
    let crash = events
        .iter()
        .find(|event| event.kind == "replica.crashed")
        .unwrap();
    assert_eq!(crash.env.as_deref(), Some("dev"));
    assert_eq!(crash.replica.as_deref(), Some("dev/job.1"));
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_cannot_be_spawned_fails_up_with_spawn_failed() {
    let home = TestHome::new();
    let config = daytwo_daemon::DaemonConfig {
        shim_exe: home.path().join("no-such-shim"),
        ..home.config()
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let daemon = tokio::spawn(daytwo_daemon::run(config, shutdown.clone()));
    let client = home.client();
    eventually("the daemon to answer", || {
        let client = client.clone();
        async move { client.status().await.map(drop).map_err(|e| e.to_string()) }
    })
    .await;
    let spec = env_spec("dev", home.path(), vec![process("web", "exec sleep 1", 1)]);
    let error = client.up(&up_request(spec)).await.unwrap_err();
    match &error {
        ClientError::Api { status, body } => {
            assert_eq!(*status, 500);
            assert_eq!(body.code, "spawn_failed");
            assert!(body.message.contains("no-such-shim"), "{}", body.message);
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert!(
        client.status().await.unwrap().envs.is_empty(),
        "a start that ran nothing is not recorded for re-adoption"
    );
    let kinds: Vec<String> = client
        .events(Some("dev"), None)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(kinds.contains(&"env.up_failed".to_string()), "{kinds:?}");
    shutdown.cancel();
    daemon.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_is_stored_for_readoption_before_it_answers() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    let spec = env_spec(
        "dev",
        home.path(),
        vec![process("web", &format!("exec sleep {}", unique_sleep()), 2)],
    );
    let answer = client.up(&up_request(spec.clone())).await.unwrap();

    // A second connection, as the next daemon would open it.
    let store = daytwo_store::Store::open(home.path().join(daytwo_daemon::STORE_FILE)).unwrap();
    let env = store.env("dev").unwrap().expect("the env is recorded");
    assert_eq!(env.release, "working-tree");
    let stored: daytwo_spec::EnvSpec = serde_json::from_str(&env.spec_json).unwrap();
    assert_eq!(stored, spec);
    let mut stored_pids: Vec<u64> = store
        .replicas(Some("dev"))
        .unwrap()
        .iter()
        .map(|record| {
            let status: serde_json::Value = serde_json::from_str(&record.status_json).unwrap();
            status["pid"].as_u64().expect("a stored pid")
        })
        .collect();
    stored_pids.sort_unstable();
    let mut answered: Vec<u64> = answer
        .replicas
        .iter()
        .map(|replica| u64::from(replica.pid.unwrap()))
        .collect();
    answered.sort_unstable();
    assert_eq!(stored_pids, answered);

    client.down("dev").await.unwrap();
    assert_eq!(store.env("dev").unwrap(), None, "down forgets the env");
    assert!(store.replicas(None).unwrap().is_empty());
}
