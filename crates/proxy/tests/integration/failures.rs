use crate::support::*;
use daytwo_proxy::{Listener, RouteTable, Upstream};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_503_when_no_replica_is_routable() {
    let a = TestUpstream::start("dev/web.1").await;
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![("stable", 100, vec![a.upstream("r1", false)])],
        ))
        .await;
    let reply = get(addr, "/whoami").await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.contains("no healthy replica"), "{}", reply.body);
    assert!(reply.headers.contains_key("x-request-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_502_when_every_replica_refuses_connections() {
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    let dead = Upstream {
        id: "dev/web.1".into(),
        addr: closed_port_addr(),
        release: "r1".into(),
        routable: true,
    };
    proxy
        .put(&table(1, addr, vec![("stable", 100, vec![dead])]))
        .await;
    let reply = get(addr, "/whoami").await;
    assert_eq!(reply.status, 502);
    assert!(reply.body.contains("connect refused"), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_504_when_the_replica_is_too_slow() {
    let slow = TestUpstream::start("dev/web.1").await;
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    let mut routes = table(
        1,
        addr,
        vec![("stable", 100, vec![slow.upstream("r1", true)])],
    );
    routes.listeners[0].response_timeout_ms = Some(200);
    proxy.put(&routes).await;
    let start = Instant::now();
    let reply = get(addr, "/slow?ms=3000").await;
    assert_eq!(reply.status, 504);
    assert!(reply.body.contains("upstream timeout"), "{}", reply.body);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_503_on_a_listener_of_an_env_without_groups() {
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&RouteTable {
            generation: 1,
            listeners: vec![Listener {
                env: "empty".into(),
                addr,
                groups: vec![],
                response_timeout_ms: None,
            }],
        })
        .await;
    let reply = get(addr, "/").await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.contains("`empty`"), "{}", reply.body);
}
