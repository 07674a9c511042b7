use crate::support::*;
use daytwo_proxy::{ProxyClientError, RouteTable};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignores_a_table_older_than_the_current_one() {
    let (a, b) = (
        TestUpstream::start("dev/web.1").await,
        TestUpstream::start("dev/web.2").await,
    );
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            5,
            addr,
            vec![("stable", 100, vec![a.upstream("r1", true)])],
        ))
        .await;
    let stale = proxy
        .client
        .put_routes(&table(
            4,
            addr,
            vec![("stable", 100, vec![b.upstream("r1", true)])],
        ))
        .await
        .unwrap();
    assert!(!stale.applied);
    assert_eq!(stale.generation, 5);
    let again = proxy
        .client
        .put_routes(&table(
            5,
            addr,
            vec![("stable", 100, vec![a.upstream("r1", true)])],
        ))
        .await
        .unwrap();
    assert!(!again.applied, "the same generation twice is a no-op");
    assert_eq!(proxy.client.routes().await.unwrap().generation, 5);
    assert_eq!(get(addr, "/whoami").await.body, "dev/web.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_new_listeners_and_closes_removed_ones() {
    let a = TestUpstream::start("dev/web.1").await;
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![("stable", 100, vec![a.upstream("r1", true)])],
        ))
        .await;
    assert_eq!(get(addr, "/whoami").await.status, 200);
    assert_eq!(proxy.client.status().await.unwrap().listeners, vec![addr]);

    proxy
        .put(&RouteTable {
            generation: 2,
            listeners: vec![],
        })
        .await;
    let mut refused = false;
    for _ in 0..40 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(refused, "listener {addr} still accepts after its removal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_an_invalid_table_and_keeps_the_current_one() {
    let a = TestUpstream::start("dev/web.1").await;
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            1,
            addr,
            vec![("stable", 100, vec![a.upstream("r1", true)])],
        ))
        .await;
    let invalid = table(
        2,
        addr,
        vec![("stable", 90, vec![]), ("candidate", 20, vec![])],
    );
    match proxy.client.put_routes(&invalid).await {
        Err(ProxyClientError::Api { status, body, .. }) => {
            assert_eq!(status, 400);
            assert_eq!(body.code, "invalid_table");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let occupied = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = table(3, occupied.local_addr().unwrap(), vec![]);
    match proxy.client.put_routes(&busy).await {
        Err(ProxyClientError::Api { status, body, .. }) => {
            assert_eq!(status, 409);
            assert_eq!(body.code, "bind_failed");
        }
        other => panic!("expected a bind failure, got {other:?}"),
    }
    assert_eq!(proxy.client.routes().await.unwrap().generation, 1);
    assert_eq!(get(addr, "/whoami").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_socket_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let proxy = TestProxy::start().await;
    let mode = std::fs::metadata(proxy.home.path().join("proxy.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
