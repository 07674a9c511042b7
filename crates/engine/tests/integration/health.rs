//! Starting replicas and their health states (HTTP, TCP, command checks), and
//! the environment a replica sees.

use crate::support::*;
use daytwo_spec::HealthProbe;
use daytwo_types::ReplicaState;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_replicas_get_distinct_ports_and_become_healthy() {
    let h = Harness::new();
    h.write_app_file("http_app.py", HTTP_APP);
    let web = http_process(
        "web",
        2,
        Some(HealthProbe::Http {
            path: "/healthz".to_owned(),
        }),
    );
    let started = h
        .engine
        .up(h.spec(vec![web]), RELEASE.to_owned())
        .await
        .unwrap();

    assert_eq!(started.len(), 2);
    let ports: BTreeSet<u16> = started.iter().filter_map(|s| s.port).collect();
    assert_eq!(ports.len(), 2, "{started:?}");
    for status in &started {
        assert!(status.pid.is_some() && status.shim_pid.is_some());
        assert_eq!(status.release, RELEASE);
    }
    for replica in [1, 2] {
        let status = h
            .wait_state(&key("web", replica), ReplicaState::Healthy)
            .await;
        assert_eq!(http_get(status.port.unwrap(), "/healthz").await.0, 200);
    }
    h.wait_event(&key("web", 1), "replica.healthy").await;
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_sees_port_daytwo_variables_and_its_environment() {
    let h = Harness::new();
    h.write_app_file("http_app.py", HTTP_APP);
    let mut web = http_process("web", 2, None);
    web.environment
        .insert("GREETING".to_owned(), "hi".to_owned());
    h.engine
        .up(h.spec(vec![web]), RELEASE.to_owned())
        .await
        .unwrap();

    let status = h.wait_state(&key("web", 2), ReplicaState::Healthy).await;
    let port = status.port.unwrap();
    let (code, body) = http_get(port, "/env").await;
    assert_eq!(code, 200);
    let data_dir = h.config.home.join("data/test");
    let expected = format!(
        "PORT={port}\nDAYTWO_APP=testapp\nDAYTWO_ENV=test\nDAYTWO_PROCESS=web\n\
         DAYTWO_REPLICA=web.2\nDAYTWO_RELEASE={RELEASE}\nDAYTWO_DATA_DIR={}\nGREETING=hi\n",
        data_dir.display()
    );
    assert_eq!(body, expected);
    assert!(
        data_dir.is_dir(),
        "the env's data directory exists before the replica starts"
    );
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_http_check_marks_replica_unhealthy_and_passing_again_heals_it() {
    let h = Harness::new();
    h.write_app_file("http_app.py", HTTP_APP);
    let web = http_process(
        "web",
        1,
        Some(HealthProbe::Http {
            path: "/healthz".to_owned(),
        }),
    );
    h.engine
        .up(h.spec(vec![web]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("web", 1);
    let healthy = h.wait_state(&k, ReplicaState::Healthy).await;

    h.write_app_file("unhealthy", "");
    let unhealthy = h.wait_state(&k, ReplicaState::Unhealthy).await;
    assert_eq!(
        unhealthy.pid, healthy.pid,
        "an unhealthy replica is not restarted"
    );
    let message = h.wait_event(&k, "replica.unhealthy").await;
    assert!(message.contains("503"), "{message}");

    std::fs::remove_file(h.app_dir.join("unhealthy")).unwrap();
    h.wait_state(&k, ReplicaState::Healthy).await;
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_check_passes_once_the_port_accepts_connections() {
    let h = Harness::new();
    // Listens only after a delay: the replica stays starting until then.
    h.write_app_file(
        "late.py",
        "import os, socket, time\ntime.sleep(0.6)\ns = socket.socket()\n\
         s.bind(('127.0.0.1', int(os.environ['PORT'])))\ns.listen()\ntime.sleep(600)\n",
    );
    let mut web = http_process("web", 1, Some(HealthProbe::Tcp));
    web.command = "exec python3 late.py".to_owned();
    let started = h
        .engine
        .up(h.spec(vec![web]), RELEASE.to_owned())
        .await
        .unwrap();
    assert_eq!(started[0].state, ReplicaState::Starting);
    h.wait_state(&key("web", 1), ReplicaState::Healthy).await;
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_check_runs_with_the_replica_environment() {
    let h = Harness::new();
    let mut worker = process(
        "worker",
        "sleep 0.5; touch ready.$DAYTWO_REPLICA; exec sleep 600",
    );
    worker.health = Some(fast_check(HealthProbe::Command {
        command: "test -f ready.$DAYTWO_REPLICA".to_owned(),
    }));
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);
    assert_eq!(h.replica(&k).unwrap().state, ReplicaState::Starting);
    h.wait_state(&k, ReplicaState::Healthy).await;
    assert!(h.app_dir.join("ready.worker.1").exists());
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_without_check_is_healthy_once_running() {
    let h = Harness::new();
    let worker = process("worker", "exec sleep 600");
    let started = h
        .engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    assert_eq!(started[0].state, ReplicaState::Healthy);
    assert_eq!(started[0].port, None);
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_shim_executable_fails_up_with_a_spawn_error() {
    let h = Harness::with_config(|config| config.shim_exe = "/nonexistent/daytwo".into());
    let error = h
        .engine
        .up(
            h.spec(vec![process("worker", "sleep 600")]),
            RELEASE.to_owned(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, daytwo_engine::EngineError::Spawn { .. }),
        "{error:?}"
    );
    assert!(h.engine.replicas(Some("test")).is_empty());
}
