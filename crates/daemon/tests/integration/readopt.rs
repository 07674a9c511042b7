//! Re-adoption: a daemon that dies (SIGKILL) or stops leaves its replicas
//! running; the next daemon on the same home takes them over without
//! restarting them, duplicating them or leaving orphans.

use crate::support::{
    ChildDaemon, InProcessDaemon, TestHome, env_spec, eventually, expect_sleep_pids, process,
    sleep_pids, unique_sleep,
};
use daytwo_api::{Client, ReplicaInfo, UpRequest};
use daytwo_types::ReplicaState;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

fn up_request(env: &str, home: &TestHome, sleep: &str, replicas: u32) -> UpRequest {
    UpRequest {
        spec: env_spec(
            env,
            home.path(),
            vec![process("web", &format!("exec sleep {sleep}"), replicas)],
        ),
        release: "working-tree".to_string(),
        migrations: None,
    }
}

async fn healthy(client: &Client, count: usize) -> Vec<ReplicaInfo> {
    eventually("every replica healthy", || {
        let client = client.clone();
        async move {
            let replicas = client.ps(None).await.map_err(|error| error.to_string())?;
            if replicas.len() == count
                && replicas
                    .iter()
                    .all(|replica| replica.state == ReplicaState::Healthy)
            {
                Ok(replicas)
            } else {
                Err(format!("{replicas:?}"))
            }
        }
    })
    .await
}

fn pids(replicas: &[ReplicaInfo]) -> Vec<u32> {
    let mut pids: Vec<u32> = replicas.iter().filter_map(|replica| replica.pid).collect();
    pids.sort_unstable();
    pids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_daemon_is_replaced_and_its_live_replicas_are_readopted() {
    let home = TestHome::new();
    let client = home.client();
    let sleep = unique_sleep();
    let first = ChildDaemon::start(&home).await;
    client
        .up(&up_request("dev", &home, &sleep, 2))
        .await
        .unwrap();
    let before = healthy(&client, 2).await;
    let first_pid = first.pid();

    first.kill();
    assert!(!daytwo_testkit::pid_alive(first_pid));
    expect_sleep_pids(&sleep, &pids(&before), "replicas to outlive the daemon").await;

    let second = ChildDaemon::start(&home).await;
    assert_ne!(second.pid(), first_pid);
    let after = healthy(&client, 2).await;
    assert_eq!(
        pids(&after),
        pids(&before),
        "the same processes, not restarted"
    );
    assert!(
        after.iter().all(|replica| replica.restarts == 0),
        "{after:?}"
    );
    expect_sleep_pids(&sleep, &pids(&before), "no duplicate replica").await;
    let status = client.status().await.unwrap();
    assert_eq!(status.envs.len(), 1);
    assert_eq!(status.envs[0].replicas_healthy, 2);

    client.down("dev").await.unwrap();
    assert!(sleep_pids(&sleep).is_empty(), "no orphan after down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_that_died_with_the_daemon_are_started_again() {
    let home = TestHome::new();
    let client = home.client();
    let sleep = unique_sleep();
    let first = ChildDaemon::start(&home).await;
    client
        .up(&up_request("dev", &home, &sleep, 2))
        .await
        .unwrap();
    let before = healthy(&client, 2).await;
    first.kill();
    // Web.1 dies while no daemon watches it.
    let dead = before.iter().find(|replica| replica.replica == 1).unwrap();
    let dead_pid = dead.pid.unwrap();
    killpg(Pid::from_raw(dead_pid as i32), Signal::SIGKILL).unwrap();
    eventually("web.1 to be gone", || async move {
        if std::path::Path::new(&format!("/proc/{dead_pid}")).exists() {
            Err("still in /proc".to_string())
        } else {
            Ok(())
        }
    })
    .await;

    let _second = ChildDaemon::start(&home).await;
    let after = healthy(&client, 2).await;
    let web1 = after.iter().find(|replica| replica.replica == 1).unwrap();
    let web2 = after.iter().find(|replica| replica.replica == 2).unwrap();
    assert_ne!(web1.pid, dead.pid, "web.1 was started again");
    assert_eq!(
        web2.pid,
        before
            .iter()
            .find(|replica| replica.replica == 2)
            .unwrap()
            .pid,
        "web.2 was adopted as it was"
    );
    expect_sleep_pids(&sleep, &pids(&after), "exactly the two replicas").await;
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_shutdown_leaves_replicas_running_for_the_next_daemon() {
    let home = TestHome::new();
    let client = home.client();
    let sleep = unique_sleep();
    let first = InProcessDaemon::start(&home).await;
    client
        .up(&up_request("qa", &home, &sleep, 1))
        .await
        .unwrap();
    let before = healthy(&client, 1).await;
    client.shutdown().await.unwrap();
    first.finished().await.unwrap();
    expect_sleep_pids(&sleep, &pids(&before), "the replica to outlive the daemon").await;

    let second = InProcessDaemon::start(&home).await;
    let after = healthy(&client, 1).await;
    assert_eq!(pids(&after), pids(&before));
    let kinds: Vec<String> = client
        .events(None, None)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(kinds.contains(&"replica.adopted".to_string()), "{kinds:?}");
    client.down("qa").await.unwrap();
    second.stop().await.unwrap();
}
