use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spreads_requests_across_replicas() {
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
    for _ in 0..200 {
        let reply = get(addr, "/whoami").await;
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    assert_eq!(a.hits() + b.hits(), 200);
    assert!(
        a.hits() >= 60 && b.hits() >= 60,
        "uneven: {} / {}",
        a.hits(),
        b.hits()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn splits_traffic_by_group_weight_within_five_points() {
    let (stable, candidate) = (
        TestUpstream::start("dev/web.1").await,
        TestUpstream::start("dev/web.2").await,
    );
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![
                ("stable", 90, vec![stable.upstream("r1", true)]),
                ("candidate", 10, vec![candidate.upstream("r2", true)]),
            ],
        ))
        .await;
    for _ in 0..1000 {
        assert_eq!(get(addr, "/whoami").await.status, 200);
    }
    // 10 % ± 5 points of 1000 requests.
    let share = candidate.hits();
    assert!((50..=150).contains(&share), "candidate got {share} of 1000");
    assert_eq!(stable.hits() + share, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_no_request_to_an_unroutable_replica() {
    let (healthy, starting) = (
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
                vec![healthy.upstream("r1", true), starting.upstream("r1", false)],
            )],
        ))
        .await;
    for _ in 0..100 {
        assert_eq!(get(addr, "/whoami").await.body, "dev/web.1");
    }
    assert_eq!(starting.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuses_keep_alive_connections_to_the_replica() {
    const WORKERS: usize = 2;
    let upstream = TestUpstream::start("dev/web.1").await;
    let proxy = TestProxy::start_with(|config| config.workers = WORKERS).await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![("stable", 100, vec![upstream.upstream("r1", true)])],
        ))
        .await;
    for _ in 0..50 {
        let reply = get(addr, "/whoami").await;
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    assert_eq!(upstream.hits(), 50);
    // One pooled connection per worker at most, not one per request.
    let connections = upstream
        .connections
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        connections <= WORKERS as u64,
        "{connections} upstream connections for 50 sequential requests"
    );
}
