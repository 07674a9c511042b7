//! The daemon's Prometheus endpoint: on its loopback TCP listener
//! (`daemon.metrics_url`) and on the control socket, in a format
//! `promtool check metrics` accepts, with replicas and per-release
//! requests measured by the telemetry sampler.

use crate::canary_fixture::{http_get_text, promtool_accepts};
use crate::http_app::{free_listen, get_async, web_up};
use crate::support::{ChildDaemon, TestHome, eventually, raw_request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_cover_replicas_and_requests_per_release_and_pass_promtool() {
    let home = TestHome::new();
    let _daemon = ChildDaemon::start_with(&home, &[("DAYTWO_TELEMETRY_INTERVAL", "200ms")]).await;
    let client = home.client();
    let listen = free_listen();
    client.up(&web_up(&home, listen, 2)).await.expect("up");
    // The first answer once both replicas are routed, then 19 more.
    eventually("both replicas healthy and routed", || async {
        let healthy = client
            .ps(Some("dev"))
            .await
            .map_err(|e| e.to_string())?
            .iter()
            .filter(|r| r.state == daytwo_types::ReplicaState::Healthy)
            .count();
        if healthy < 2 {
            return Err(format!("{healthy} healthy"));
        }
        match get_async(listen, "/whoami").await {
            Ok((200, _)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    for _ in 0..19 {
        let (status, _) = get_async(listen, "/whoami").await.expect("request");
        assert_eq!(status, 200);
    }
    let url = client
        .status()
        .await
        .unwrap()
        .daemon
        .metrics_url
        .expect("metrics on loopback by default");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    // The sampler picks the requests up within a few intervals.
    let text = eventually("the 20 requests in the metrics", || {
        let url = url.clone();
        async move {
            let text = tokio::task::spawn_blocking(move || http_get_text(&url))
                .await
                .unwrap();
            let line = "daytwo_release_requests_total{env=\"dev\",release=\"working-tree\",class=\"2xx\"} 20";
            if text.contains(line) {
                Ok(text)
            } else {
                Err(text)
            }
        }
    })
    .await;
    for expected in [
        "daytwo_replica_state{env=\"dev\",process=\"web\",replica=\"1\",release=\"working-tree\",state=\"healthy\"} 1",
        "daytwo_replica_state{env=\"dev\",process=\"web\",replica=\"2\",release=\"working-tree\",state=\"starting\"} 0",
        "daytwo_replica_restarts_total{env=\"dev\",process=\"web\",replica=\"1\",release=\"working-tree\"} 0",
        "daytwo_release_request_duration_seconds_count{env=\"dev\",release=\"working-tree\"} 20",
        "daytwo_release_request_duration_seconds_bucket{env=\"dev\",release=\"working-tree\",le=\"+Inf\"} 20",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    let rss_line = text
        .lines()
        .find(|line| {
            line.starts_with(
                "daytwo_replica_resident_memory_bytes{env=\"dev\",process=\"web\",replica=\"1\"",
            )
        })
        .expect("an RSS line");
    let rss: u64 = rss_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        rss > 1 << 20,
        "a python replica uses more than 1 MiB: {rss_line}"
    );
    promtool_accepts(&text);

    // The same on the control socket.
    let (status, body) = raw_request(&home.socket(), "GET", "/metrics", "").await;
    assert_eq!(status, 200);
    assert!(body.contains("# TYPE daytwo_replica_state gauge"), "{body}");
    assert!(
        body.contains("daytwo_release_requests_total{env=\"dev\""),
        "{body}"
    );
}
