use crate::support::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inflight_request_of_a_removed_replica_completes() {
    let (old, new) = (
        TestUpstream::start("dev/web.1").await,
        TestUpstream::start("dev/web.2").await,
    );
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![("stable", 100, vec![old.upstream("r1", true)])],
        ))
        .await;

    let slow = tokio::spawn(async move { get(addr, "/slow?ms=800").await });
    let client = proxy.client.clone();
    for _ in 0..100 {
        if client.inflight("dev/web.1").await.unwrap() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(client.inflight("dev/web.1").await.unwrap(), 1);

    // Remove it from routing (unroutable, then gone) while its request runs.
    proxy
        .put(&table(
            2,
            addr,
            vec![(
                "stable",
                100,
                vec![old.upstream("r1", false), new.upstream("r1", true)],
            )],
        ))
        .await;
    proxy
        .put(&table(
            3,
            addr,
            vec![("stable", 100, vec![new.upstream("r1", true)])],
        ))
        .await;
    assert_eq!(get(addr, "/whoami").await.body, "dev/web.2");
    assert_eq!(
        client.inflight("dev/web.1").await.unwrap(),
        1,
        "still draining"
    );

    let reply = slow.await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "dev/web.1");
    assert_eq!(
        client
            .wait_drained("dev/web.1", Duration::from_secs(2))
            .await
            .unwrap(),
        0
    );
}
