//! `daytwo env diff A B`: effective differences.

use crate::contract::CONTRACT;
use daytwo_spec::{Difference, diff, parse_str};
use std::path::Path;

fn difference(key: &str, left: Option<&str>, right: Option<&str>) -> Difference {
    Difference {
        key: key.to_string(),
        left: left.map(str::to_string),
        right: right.map(str::to_string),
    }
}

#[test]
fn diff_of_the_contract_envs_shows_listen_and_replicas() {
    let spec = parse_str(CONTRACT, Path::new("/srv/daytwo.toml"), &|_| None)
        .unwrap()
        .spec;
    let (dev, prod) = (spec.env("dev").unwrap(), spec.env("prod").unwrap());
    assert_eq!(
        diff(&dev, &prod),
        vec![
            difference("listen", Some("127.0.0.1:18080"), Some("127.0.0.1:18083")),
            difference("process.web.replicas", Some("2"), Some("3")),
        ]
    );
    assert!(diff(&prod, &prod).is_empty());
}

#[test]
fn diff_covers_environment_health_limits_and_missing_keys() {
    let text = r#"[app]
name = "shop"
[process.web]
command = "serve"
http = true
environment = { GREETING = "hi" }
[env.qa]
listen = "127.0.0.1:18082"
[env.prod]
listen = "127.0.0.1:18083"
[env.prod.process.web]
environment = { GREETING = "hello", SENTRY = "on" }
memory_limit = "1GiB"
health = { path = "/healthz", interval = "5s" }
"#;
    let spec = parse_str(text, Path::new("/srv/daytwo.toml"), &|_| None)
        .unwrap()
        .spec;
    let differences = diff(&spec.env("qa").unwrap(), &spec.env("prod").unwrap());
    let json = serde_json::to_value(&differences).unwrap();
    insta::assert_json_snapshot!(json);
    let keys: Vec<&str> = differences.iter().map(|d| d.key.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by key");
    assert!(differences.contains(&difference(
        "process.web.environment.SENTRY",
        None,
        Some("on")
    )));
    assert!(differences.contains(&difference("process.web.memory_limit", None, Some("1GiB"))));
}
