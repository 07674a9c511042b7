//! The env's `listen` address serves through the proxy the daemon starts:
//! `GET http://<listen>/whoami` reaches a replica, and `status --json` names
//! the proxy's Prometheus endpoint.

use crate::app::{Project, home, web_spec};
use crate::lifecycle::http_get;
use daytwo_testkit::{eventually, free_port, pid_alive};
use std::time::Duration;

#[test]
fn up_serves_the_env_listen_address_through_the_proxy_with_metrics() {
    let listen = free_port();
    let project = Project::new(&web_spec(listen));
    let home = home();
    let spec = project.spec_arg();
    home.run(&["up", "--spec", &spec, "--env", "dev", "--detach"])
        .success();

    let whoami = eventually(
        "GET /whoami through the proxy",
        Duration::from_secs(20),
        || http_get(listen, "/whoami"),
    );
    let whoami: serde_json::Value = serde_json::from_str(&whoami).unwrap();
    assert_eq!(whoami["DAYTWO_ENV"], "dev");
    assert!(
        ["web.1", "web.2"].contains(&whoami["DAYTWO_REPLICA"].as_str().unwrap()),
        "{whoami}"
    );
    let proxy = home.proxy_pid().expect("proxy.json names the proxy");
    assert!(pid_alive(proxy));
    assert_ne!(
        Some(proxy),
        home.daemon_pid(),
        "the proxy is its own process"
    );

    let status = home.run(&["status", "--json"]).success().json();
    let env = &status["envs"][0];
    assert_eq!(env["listen"], format!("127.0.0.1:{listen}"));
    let metrics_url = env["metrics_url"]
        .as_str()
        .expect("metrics_url")
        .to_string();
    let port: u16 = metrics_url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/metrics")
        .parse()
        .unwrap_or_else(|_| panic!("metrics_url {metrics_url}"));
    let metrics = http_get(port, "/metrics").expect("the metrics endpoint answers");
    assert!(
        metrics.contains("daytwo_proxy_upstream_requests_total{env=\"dev\""),
        "{metrics}"
    );
    home.run(&["down", "--env", "dev"]).success();
}
