//! The contract example of issue 2 must load exactly as written.

use daytwo_spec::{HealthProbe, load_with};
use std::time::Duration;

pub const CONTRACT: &str = r#"[app]
name = "hello"

[process.web]
command = "python3 app.py"      # run in the spec file's directory
http = true                      # serves HTTP on $PORT; the env's listener routes to it
replicas = 2
health = { path = "/healthz", interval = "1s", timeout = "1s" }
memory_limit = "256MiB"
stop_timeout = "5s"
environment = { GREETING = "hi" }   # env vars of the process

[process.worker]
command = "python3 worker.py"

[env.dev]
listen = "127.0.0.1:18080"

[env.prod]
listen = "127.0.0.1:18083"

[env.prod.process.web]
replicas = 3
"#;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn contract_example_loads_with_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daytwo.toml");
    std::fs::write(&path, CONTRACT).unwrap();

    let loaded = load_with(&path, &no_env).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let spec = loaded.spec;
    let dir = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(spec.app, "hello");
    assert_eq!(spec.file, dir.join("daytwo.toml"));
    assert_eq!(spec.dir, dir);

    let dev = spec.env("dev").unwrap();
    assert_eq!(dev.env, "dev");
    assert_eq!(dev.listen, Some("127.0.0.1:18080".parse().unwrap()));
    let web = &dev.processes["web"];
    assert_eq!(web.command, "python3 app.py");
    assert!(web.http);
    assert_eq!(web.replicas, 2);
    let health = web.health.as_ref().unwrap();
    assert_eq!(
        health.probe,
        HealthProbe::Http {
            path: "/healthz".into()
        }
    );
    assert_eq!(health.interval, Duration::from_secs(1));
    assert_eq!(health.timeout, Duration::from_secs(1));
    assert_eq!(web.memory_limit, Some(256 * 1024 * 1024));
    assert_eq!(web.stop_timeout, Duration::from_secs(5));
    assert_eq!(web.stop_signal, "SIGTERM");
    assert_eq!(web.environment["GREETING"], "hi");
    assert_eq!(dev.http_process().unwrap().name, "web");

    let worker = &dev.processes["worker"];
    assert!(!worker.http);
    assert_eq!(worker.replicas, 1);
    assert_eq!(worker.health, None);

    let prod = spec.env("prod").unwrap();
    assert_eq!(prod.listen, Some("127.0.0.1:18083".parse().unwrap()));
    assert_eq!(prod.processes["web"].replicas, 3);
    assert_eq!(prod.processes["web"].environment["GREETING"], "hi");
    assert_eq!(prod.processes["worker"], worker.clone());
}
