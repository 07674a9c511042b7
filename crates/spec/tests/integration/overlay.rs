//! `[env.NAME]` overlays: what they replace and what they merge.

use daytwo_spec::{HealthProbe, parse_str};
use std::path::Path;
use std::time::Duration;

const SPEC: &str = r#"
[app]
name = "shop"

[process.web]
command = "serve --port $PORT"
http = true
health = { path = "/healthz", interval = "2s", timeout = "1s" }
memory_limit = "256MiB"
environment = { GREETING = "hi", LOG_LEVEL = "info" }
restart = { backoff = "2s" }

[process.worker]
command = "work"
stop_signal = "INT"

[env.prod]
listen = "127.0.0.1:18083"

[env.prod.process.web]
command = "serve --port $PORT --release"
replicas = 4
health = { interval = "5s" }
memory_limit = "1GiB"
stop_timeout = "30s"
environment = { LOG_LEVEL = "warn", SENTRY = "on" }
restart = { max_backoff = "10s" }

[env.qa]
listen = "127.0.0.1:18082"

[env.qa.process.web.health]
tcp = true
"#;

fn spec() -> daytwo_spec::Spec {
    parse_str(SPEC, Path::new("/srv/shop/daytwo.toml"), &|_| None)
        .unwrap()
        .spec
}

#[test]
fn overlay_keys_replace_base_keys() {
    let prod = spec().env("prod").unwrap();
    let web = &prod.processes["web"];
    assert_eq!(web.command, "serve --port $PORT --release");
    assert_eq!(web.replicas, 4);
    assert_eq!(web.memory_limit, Some(1 << 30));
    assert_eq!(web.stop_timeout, Duration::from_secs(30));
    assert!(
        web.http,
        "keys the overlay does not name stay as in the base"
    );
}

#[test]
fn environment_merges_over_the_base() {
    let prod = spec().env("prod").unwrap();
    let environment = &prod.processes["web"].environment;
    assert_eq!(environment["GREETING"], "hi");
    assert_eq!(environment["LOG_LEVEL"], "warn");
    assert_eq!(environment["SENTRY"], "on");
}

#[test]
fn health_and_restart_merge_field_by_field() {
    let prod = spec().env("prod").unwrap();
    let web = &prod.processes["web"];
    let health = web.health.as_ref().unwrap();
    assert_eq!(
        health.probe,
        HealthProbe::Http {
            path: "/healthz".into()
        }
    );
    assert_eq!(health.interval, Duration::from_secs(5));
    assert_eq!(health.timeout, Duration::from_secs(1));
    assert_eq!(web.restart.backoff, Duration::from_secs(2));
    assert_eq!(web.restart.max_backoff, Duration::from_secs(10));
}

#[test]
fn a_probe_in_the_overlay_replaces_the_base_probe() {
    let qa = spec().env("qa").unwrap();
    let health = qa.processes["web"].health.as_ref().unwrap();
    assert_eq!(health.probe, HealthProbe::Tcp);
    assert_eq!(
        health.interval,
        Duration::from_secs(2),
        "timings still come from the base"
    );
}

#[test]
fn stop_signal_is_normalised_and_defaults_apply() {
    let spec = spec();
    let worker = &spec.base.processes["worker"];
    assert_eq!(worker.stop_signal, "SIGINT");
    assert_eq!(worker.replicas, daytwo_spec::DEFAULT_REPLICAS);
    assert_eq!(worker.stop_timeout, daytwo_spec::DEFAULT_STOP_TIMEOUT);
    assert_eq!(worker.restart, daytwo_spec::RestartPolicy::default());
    assert_eq!(
        spec.base.processes["web"].stop_signal,
        daytwo_spec::DEFAULT_STOP_SIGNAL
    );
}

#[test]
fn http_process_without_health_has_no_explicit_check() {
    let spec = parse_str(
        "[app]\nname = \"a\"\n[process.web]\ncommand = \"x\"\nhttp = true\n",
        Path::new("/a/daytwo.toml"),
        &|_| None,
    )
    .unwrap()
    .spec;
    assert_eq!(spec.base.processes["web"].health, None);
}
