use crate::support::*;
use std::collections::BTreeMap;

async fn seen_headers(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
) -> (Reply, BTreeMap<String, String>) {
    let reply = send(addr, "GET", "/headers", headers, "").await.unwrap();
    let seen = serde_json::from_str(&reply.body).unwrap();
    (reply, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sets_forwarded_headers_and_request_id() {
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

    let (reply, seen) = seen_headers(
        addr,
        &[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-request-id", "req-42"),
            ("connection", "x-secret"),
            ("x-secret", "hop"),
        ],
    )
    .await;
    assert_eq!(seen["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
    assert_eq!(seen["x-forwarded-proto"], "http");
    assert_eq!(
        seen["x-forwarded-host"],
        format!("app.test:{}", addr.port())
    );
    assert_eq!(seen["host"], format!("app.test:{}", addr.port()));
    assert_eq!(seen["x-request-id"], "req-42");
    assert!(
        !seen.contains_key("x-secret"),
        "hop-by-hop header forwarded: {seen:?}"
    );
    assert_eq!(reply.headers["x-request-id"], "req-42");

    let (reply, seen) = seen_headers(addr, &[]).await;
    let generated = &seen["x-request-id"];
    assert_eq!(generated.len(), 32);
    assert!(generated.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(reply.headers["x-request-id"], generated.as_str());
    assert_eq!(seen["x-forwarded-for"], "127.0.0.1");
}
