use crate::support::*;
use daytwo_proxy::Upstream;

fn dead(id: &str) -> Upstream {
    Upstream {
        id: id.into(),
        addr: closed_port_addr(),
        release: "r1".into(),
        routable: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_a_refused_connection_on_another_replica() {
    let alive = TestUpstream::start("dev/web.2").await;
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![(
                "stable",
                100,
                vec![dead("dev/web.1"), alive.upstream("r1", true)],
            )],
        ))
        .await;
    for _ in 0..50 {
        let reply = get(addr, "/whoami").await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.body, "dev/web.2");
    }
    // Nothing was sent to the dead replica, so a POST is retried as well.
    let reply = send(
        addr,
        "POST",
        "/orders",
        &[("content-type", "text/plain")],
        "one order",
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(alive.hits(), 51);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_resends_a_post_whose_bytes_reached_a_replica() {
    let (a, b) = (
        TestUpstream::start("dev/web.1").await,
        TestUpstream::start("dev/web.2").await,
    );
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![(
                "stable",
                100,
                vec![a.upstream("r1", true), b.upstream("r1", true)],
            )],
        ))
        .await;
    let reply = send(addr, "POST", "/drop", &[], "pay 10 EUR")
        .await
        .unwrap();
    assert_eq!(reply.status, 502, "{reply:?}");
    assert_eq!(
        a.hits() + b.hits(),
        1,
        "a POST reached the replicas more than once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_an_idempotent_request_once_when_the_connection_fails() {
    let (a, b) = (
        TestUpstream::start("dev/web.1").await,
        TestUpstream::start("dev/web.2").await,
    );
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![(
                "stable",
                100,
                vec![a.upstream("r1", true), b.upstream("r1", true)],
            )],
        ))
        .await;
    let reply = get(addr, "/drop").await;
    assert_eq!(reply.status, 502, "{reply:?}");
    assert_eq!(a.hits(), 1);
    assert_eq!(b.hits(), 1);
}
