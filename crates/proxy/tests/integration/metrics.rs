use crate::support::*;

/// Checks the Prometheus text format line by line: comments are HELP/TYPE,
/// samples are `name{labels} value` with a float value.
fn assert_prometheus_text(text: &str) {
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(
                comment.starts_with("HELP ") || comment.starts_with("TYPE "),
                "{line}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        assert!(value.parse::<f64>().is_ok(), "bad value in {line}");
        let name = series.split('{').next().unwrap();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad name in {line}"
        );
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            assert!(
                labels.starts_with('{') && labels.ends_with('}'),
                "bad labels in {line}"
            );
            for pair in labels[1..labels.len() - 1].split("\",") {
                let (key, value) = pair
                    .split_once("=\"")
                    .unwrap_or_else(|| panic!("bad label in {line}"));
                assert!(
                    key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                assert!(!value.contains('\n'), "{line}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exposes_per_replica_and_per_release_metrics() {
    let (a, b) = (
        TestUpstream::start("dev/web.1").await,
        TestUpstream::start("dev/web.2").await,
    );
    let proxy = TestProxy::start().await;
    let addr = free_addr();
    proxy
        .put(&table(
            7,
            addr,
            vec![
                ("stable", 50, vec![a.upstream("r1", true)]),
                ("candidate", 50, vec![b.upstream("r2", true)]),
            ],
        ))
        .await;
    for _ in 0..20 {
        assert_eq!(get(addr, "/whoami").await.status, 200);
    }

    let snapshot = proxy.client.metrics().await.unwrap();
    assert_eq!(snapshot.generation, 7);
    let total: u64 = snapshot
        .upstreams
        .iter()
        .map(|u| u.requests.status_2xx)
        .sum();
    assert_eq!(total, 20);
    let releases: Vec<_> = snapshot
        .releases
        .iter()
        .map(|r| r.release.as_str())
        .collect();
    assert_eq!(releases, ["r1", "r2"]);

    let text = get(proxy.info.metrics_addr, "/metrics").await;
    assert_eq!(text.status, 200);
    assert!(
        text.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    assert_prometheus_text(&text.body);
    let a_2xx = format!(
        "daytwo_proxy_upstream_requests_total{{env=\"dev\",upstream=\"dev/web.1\",release=\"r1\",class=\"2xx\"}} {}",
        a.hits()
    );
    assert!(
        text.body.contains(&a_2xx),
        "missing `{a_2xx}` in\n{}",
        text.body
    );
    assert!(text.body.contains(
        "daytwo_proxy_release_request_duration_seconds_count{env=\"dev\",release=\"r2\"}"
    ));
    assert!(text.body.contains("daytwo_proxy_upstream_inflight_requests{env=\"dev\",upstream=\"dev/web.2\",release=\"r2\"} 0"));
    assert_eq!(
        proxy.info.metrics_url,
        format!("http://{}/metrics", proxy.info.metrics_addr)
    );

    if let Ok(output) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.body.as_bytes())?;
            child.wait_with_output()
        })
    {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("error"), "promtool: {stderr}");
    }
}
