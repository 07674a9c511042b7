//! `daytwo flags`: list, set (served at once over OFREP), history, export,
//! and the replica's view (`DAYTWO_FLAGS_URL`).

use crate::app::{Project, home};
use daytwo_testkit::eventually;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const SPEC: &str = r#"
[app]
name = "hello"

[process.worker]
command = "env > replica.env; exec sleep 600"

[flags.analytics]
type = "boolean"
default = false
description = "New analytics pipeline"

[env.dev.flags]
analytics = true
"#;

/// OFREP single evaluation of `key` at `url` with the bearer `token`.
fn evaluate(url: &str, token: &str, key: &str) -> Value {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    let body = "{}";
    write!(
        stream,
        "POST /ofrep/v1/evaluate/flags/{key} HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("");
    serde_json::from_str(body).unwrap_or(Value::Null)
}

#[test]
fn flags_set_is_served_at_once_and_replicas_get_the_flags_url() {
    let project = Project::new(SPEC);
    let home = home();
    let spec = project.spec_arg();
    home.run(&["up", "--spec", &spec, "--env", "dev", "--detach"])
        .success();

    let flags = home
        .run(&["flags", "--env", "dev", "--json"])
        .success()
        .json();
    let flag = &flags[0];
    assert_eq!(
        (&flag["name"], &flag["type"], &flag["value"]),
        (&json!("analytics"), &json!("boolean"), &json!(true))
    );
    assert_eq!(flag["description"], "New analytics pipeline");

    let status = home.run(&["status", "--json"]).success().json();
    let url = status["envs"][0]["flags_url"].as_str().unwrap().to_string();
    let token = std::fs::read_to_string(home.path().join("flags.token")).unwrap();

    let bad = home.run(&[
        "flags",
        "set",
        "analytics",
        "maybe",
        "--env",
        "dev",
        "--reason",
        "x",
    ]);
    assert_ne!(bad.code, Some(0));
    assert!(bad.stderr.contains("analytics"), "{bad:#?}");

    home.run(&[
        "flags",
        "set",
        "analytics",
        "false",
        "--env",
        "dev",
        "--reason",
        "db overloaded",
    ])
    .success();
    assert_eq!(evaluate(&url, &token, "analytics")["value"], json!(false));

    let history = home
        .run(&["flags", "history", "analytics", "--json"])
        .success()
        .json();
    assert_eq!(history[0]["reason"], "db overloaded");

    let replica_env = eventually("the replica wrote its env", Duration::from_secs(10), || {
        std::fs::read_to_string(project.path().join("replica.env")).map_err(|e| e.to_string())
    });
    assert!(
        replica_env.contains(&format!("DAYTWO_FLAGS_URL={url}\n")),
        "{replica_env}"
    );

    let flagd = home
        .run(&[
            "flags", "export", "--format", "flagd", "--env", "dev", "--spec", &spec,
        ])
        .success()
        .json();
    assert_eq!(flagd["flags"]["analytics"]["state"], "ENABLED");

    home.run(&["down", "--env", "dev"]).success();
}
