//! Every env with a `listen` address serves through the proxy the daemon
//! starts and keeps fed: balancing, health-aware routing, draining on
//! `down`, and no failed request when the daemon or a replica is killed.
//! Real daemon (harness child process), real proxy process, python replicas.

use crate::http_app::{LoadLoop, LoadReport, free_listen, get, get_async, web_up};
use crate::support::{ChildDaemon, TestHome, eventually};
use daytwo_api::{Client, ReplicaInfo};
use daytwo_proxy::{ProxyClient, ProxyInfo, RouteTable};
use daytwo_types::ReplicaState;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

/// Waits until the env's replicas of `web` are exactly `count`, all healthy.
async fn healthy(client: &Client, count: usize) -> Vec<ReplicaInfo> {
    eventually("every replica healthy", || {
        let client = client.clone();
        async move {
            let replicas = client.ps(None).await.map_err(|e| e.to_string())?;
            if replicas.len() == count && replicas.iter().all(|r| r.state == ReplicaState::Healthy)
            {
                Ok(replicas)
            } else {
                Err(format!("{replicas:?}"))
            }
        }
    })
    .await
}

/// Ids of the upstreams the proxy routes to for `env`.
fn routable_ids(table: &RouteTable, env: &str) -> BTreeSet<String> {
    table
        .listeners
        .iter()
        .filter(|listener| listener.env == env)
        .flat_map(|listener| &listener.groups)
        .flat_map(|group| &group.upstreams)
        .filter(|upstream| upstream.routable)
        .map(|upstream| upstream.id.clone())
        .collect()
}

/// Waits until the proxy routes `env` to exactly `ids`; returns its table.
async fn proxy_routes_to(home: &TestHome, env: &str, ids: &[&str]) -> RouteTable {
    let wanted: BTreeSet<String> = ids.iter().map(|id| id.to_string()).collect();
    let proxy = ProxyClient::for_home(home.path());
    eventually("the proxy to route to the healthy replicas", || {
        let proxy = proxy.clone();
        let wanted = wanted.clone();
        let env = env.to_string();
        async move {
            let table = proxy.routes().await.map_err(|e| e.to_string())?;
            if routable_ids(&table, &env) == wanted {
                Ok(table)
            } else {
                Err(format!("{table:?}"))
            }
        }
    })
    .await
}

/// `count` sequential `GET /whoami`: how many each replica answered.
async fn whoami_counts(
    listen: SocketAddr,
    count: usize,
) -> std::collections::BTreeMap<String, u32> {
    let mut counts = std::collections::BTreeMap::new();
    for _ in 0..count {
        let (status, body) = get_async(listen, "/whoami").await.expect("request");
        assert_eq!(status, 200, "{body}");
        *counts.entry(body).or_default() += 1;
    }
    counts
}

fn assert_no_failure(report: &LoadReport) {
    assert!(report.ok > 0, "the loop made requests: {report:?}");
    assert!(
        report.failed.is_empty() && report.errors.is_empty(),
        "{} non-2xx {:?}, {} socket errors {:?} out of {} requests",
        report.failed.len(),
        report.failed.iter().take(3).collect::<Vec<_>>(),
        report.errors.len(),
        report.errors.iter().take(3).collect::<Vec<_>>(),
        report.ok + (report.failed.len() + report.errors.len()) as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_the_env_listener_are_balanced_across_its_replicas() {
    let home = TestHome::new();
    let client = home.client();
    let _daemon = ChildDaemon::start(&home).await;
    let listen = free_listen();
    client.up(&web_up(&home, listen, 2)).await.unwrap();
    healthy(&client, 2).await;
    let table = proxy_routes_to(&home, "dev", &["dev/web.1", "dev/web.2"]).await;
    assert_eq!(table.listeners.len(), 1);
    assert_eq!(table.listeners[0].addr, listen);
    assert_eq!(table.listeners[0].groups[0].name, "stable");
    assert_eq!(table.listeners[0].groups[0].weight_percent, 100);

    let counts = whoami_counts(listen, 40).await;
    assert_eq!(counts.len(), 2, "both replicas answered: {counts:?}");
    assert!(counts.values().all(|&n| n >= 6), "spread: {counts:?}");

    // `status` names the proxy's Prometheus endpoint, which counts them.
    let status = client.status().await.unwrap();
    let metrics_url = status.envs[0].metrics_url.clone().expect("metrics_url");
    assert_eq!(
        metrics_url,
        ProxyInfo::load(home.path()).unwrap().metrics_url
    );
    let metrics_addr: SocketAddr = metrics_url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .parse()
        .unwrap();
    let (code, text) = get_async(metrics_addr, "/metrics").await.unwrap();
    assert_eq!(code, 200);
    assert!(
        text.contains("daytwo_proxy_upstream_requests_total{env=\"dev\",upstream=\"dev/web.1\""),
        "{text}"
    );
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unhealthy_replica_gets_no_requests() {
    let home = TestHome::new();
    let client = home.client();
    let _daemon = ChildDaemon::start(&home).await;
    let listen = free_listen();
    client.up(&web_up(&home, listen, 2)).await.unwrap();
    healthy(&client, 2).await;
    proxy_routes_to(&home, "dev", &["dev/web.1", "dev/web.2"]).await;

    std::fs::write(home.path().join("sick.web.2"), "").unwrap();
    proxy_routes_to(&home, "dev", &["dev/web.1"]).await;
    let replicas = client.ps(None).await.unwrap();
    let web2 = replicas.iter().find(|r| r.replica == 2).unwrap();
    assert_eq!(web2.state, ReplicaState::Unhealthy);
    let counts = whoami_counts(listen, 20).await;
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        vec!["web.1"],
        "{counts:?}"
    );

    // Healthy again: routed again.
    std::fs::remove_file(home.path().join("sick.web.2")).unwrap();
    proxy_routes_to(&home, "dev", &["dev/web.1", "dev/web.2"]).await;
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_drains_an_inflight_slow_request_before_stopping_the_replica() {
    let home = TestHome::new();
    let client = home.client();
    let _daemon = ChildDaemon::start(&home).await;
    let listen = free_listen();
    client.up(&web_up(&home, listen, 1)).await.unwrap();
    healthy(&client, 1).await;
    proxy_routes_to(&home, "dev", &["dev/web.1"]).await;

    let slow = tokio::task::spawn_blocking(move || get(listen, "/slow"));
    let proxy = ProxyClient::for_home(home.path());
    eventually("the slow request to be in flight", || {
        let proxy = proxy.clone();
        async move {
            match proxy.inflight("dev/web.1").await {
                Ok(n) if n > 0 => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;

    let down = client.down("dev").await.unwrap();
    let (status, body) = slow.await.unwrap().expect("the slow request completes");
    assert_eq!((status, body.as_str()), (200, "slow done by web.1"));
    assert_eq!(down.replicas.len(), 1);
    assert_eq!(down.replicas[0].state, ReplicaState::Exited);

    // The env's listener left the table with it.
    let table = proxy.routes().await.unwrap();
    assert!(table.listeners.is_empty(), "{table:?}");
    let kinds: Vec<String> = client
        .events(Some("dev"), None)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(
        !kinds.contains(&"replica.drain_timeout".to_string()),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&"replica.killed".to_string()), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_down_drains_the_removed_replica_before_stopping_it() {
    let home = TestHome::new();
    let client = home.client();
    let _daemon = ChildDaemon::start(&home).await;
    let listen = free_listen();
    client.up(&web_up(&home, listen, 2)).await.unwrap();
    healthy(&client, 2).await;
    proxy_routes_to(&home, "dev", &["dev/web.1", "dev/web.2"]).await;

    // Slow requests until one is in flight on web.2, the replica to go.
    let proxy = ProxyClient::for_home(home.path());
    let mut slow = Vec::new();
    for _ in 0..8 {
        slow.push(tokio::task::spawn_blocking(move || get(listen, "/slow")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        if proxy.inflight("dev/web.2").await.unwrap_or(0) > 0 {
            break;
        }
    }
    assert!(
        proxy.inflight("dev/web.2").await.unwrap() > 0,
        "no slow request reached web.2"
    );

    // The engine stops web.2 by itself: out of routing, drained, then signalled.
    let scaled = client.up(&web_up(&home, listen, 1)).await.unwrap();
    assert_eq!(scaled.replicas.len(), 1);
    let mut bodies = Vec::new();
    for request in slow {
        let (status, body) = request
            .await
            .unwrap()
            .expect("every slow request completes");
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    // Finished by web.2 itself, not retried on web.1 after web.2 was killed.
    assert!(
        bodies.iter().any(|body| body == "slow done by web.2"),
        "{bodies:?}"
    );
    let kinds: Vec<String> = client
        .events(Some("dev"), None)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(!kinds.contains(&"replica.killed".to_string()), "{kinds:?}");
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_daemon_fails_no_request_and_the_next_one_resyncs_the_proxy() {
    let home = TestHome::new();
    let client = home.client();
    let first = ChildDaemon::start(&home).await;
    let listen = free_listen();
    client.up(&web_up(&home, listen, 2)).await.unwrap();
    let before = healthy(&client, 2).await;
    let table_before = proxy_routes_to(&home, "dev", &["dev/web.1", "dev/web.2"]).await;
    let proxy_pid = ProxyInfo::load(home.path()).unwrap().pid;

    let load = LoadLoop::start(listen);
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        daytwo_testkit::pid_alive(proxy_pid),
        "the proxy outlives the daemon"
    );
    // A replica crashes while no daemon watches: the proxy retries elsewhere.
    let web1 = before.iter().find(|r| r.replica == 1).unwrap();
    killpg(Pid::from_raw(web1.pid.unwrap() as i32), Signal::SIGKILL).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let _second = ChildDaemon::start(&home).await;
    let after = healthy(&client, 2).await;
    let new_web1 = after.iter().find(|r| r.replica == 1).unwrap();
    assert_ne!(new_web1.pid, web1.pid, "web.1 was started again");
    let table_after = proxy_routes_to(&home, "dev", &["dev/web.1", "dev/web.2"]).await;
    assert!(
        table_after.generation > table_before.generation,
        "generations keep growing: {} then {}",
        table_before.generation,
        table_after.generation
    );
    // The restarted web.1 gets requests again.
    eventually("web.1 to answer through the proxy again", || async move {
        let counts = whoami_counts(listen, 10).await;
        if counts.contains_key("web.1") {
            Ok(())
        } else {
            Err(format!("{counts:?}"))
        }
    })
    .await;
    let report = load.finish().await;
    assert_no_failure(&report);
    assert_eq!(
        ProxyInfo::load(home.path()).unwrap().pid,
        proxy_pid,
        "the running proxy was reused"
    );
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_replica_under_load_fails_no_request() {
    let home = TestHome::new();
    let client = home.client();
    let _daemon = ChildDaemon::start(&home).await;
    let listen = free_listen();
    client.up(&web_up(&home, listen, 2)).await.unwrap();
    let replicas = healthy(&client, 2).await;
    proxy_routes_to(&home, "dev", &["dev/web.1", "dev/web.2"]).await;

    let load = LoadLoop::start(listen);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let web1 = replicas.iter().find(|r| r.replica == 1).unwrap();
    killpg(Pid::from_raw(web1.pid.unwrap() as i32), Signal::SIGKILL).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let report = load.finish().await;
    assert_no_failure(&report);
    assert!(report.by_body.contains_key("web.2"), "{report:?}");
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_on_a_listen_address_in_use_fails_before_starting_replicas() {
    let home = TestHome::new();
    let client = home.client();
    let _daemon = ChildDaemon::start(&home).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap();

    let error = client.up(&web_up(&home, listen, 1)).await.unwrap_err();
    match &error {
        daytwo_api::ClientError::Api { status, body } => {
            assert_eq!(
                (*status, body.code.as_str()),
                (409, "listen_failed"),
                "{body:?}"
            );
            assert!(body.message.contains(&listen.to_string()), "{body:?}");
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(client.ps(None).await.unwrap().is_empty(), "nothing started");
    assert!(client.status().await.unwrap().envs.is_empty());

    // Another env on a free address is served meanwhile.
    let free = free_listen();
    client.up(&web_up(&home, free, 1)).await.unwrap();
    healthy(&client, 1).await;
    proxy_routes_to(&home, "dev", &["dev/web.1"]).await;
    assert_eq!(get_async(free, "/whoami").await.unwrap().0, 200);
    client.down("dev").await.unwrap();
}
