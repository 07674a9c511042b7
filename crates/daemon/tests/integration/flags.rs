//! Flags end to end through the daemon: an env with flags gets an OFREP
//! server and its replicas the URL; a run-time change is served at once,
//! recorded, and survives a daemon restart.

use crate::support::{InProcessDaemon, TestHome, env_spec, eventually, process, unique_sleep};
use daytwo_api::{SetFlagRequest, UpRequest};
use daytwo_spec::{EnvFlag, FlagType};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn analytics() -> EnvFlag {
    EnvFlag {
        name: "analytics".into(),
        description: "New analytics pipeline".into(),
        kind: FlagType::Boolean,
        enabled: true,
        value: json!(true),
        default: json!(false),
        variants: BTreeMap::new(),
        targeting: None,
        owner: Some("data".into()),
        expires: None,
    }
}

/// `POST {url}/ofrep/v1/evaluate/flags/{key}` with the bearer token.
async fn evaluate(url: &str, token: &str, key: &str) -> (u16, Value) {
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = r#"{"context":{"targetingKey":"u1"}}"#;
    let request = format!(
        "POST /ofrep/v1/evaluate/flags/{key} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_set_at_run_time_is_served_recorded_and_survives_a_restart() {
    let home = TestHome::new();
    let client = home.client();
    let daemon = InProcessDaemon::start(&home).await;
    let env_file = home.path().join("replica.env");
    let command = format!(
        "env > {}; exec sleep {}",
        env_file.display(),
        unique_sleep()
    );
    let mut spec = env_spec("prod", home.path(), vec![process("web", &command, 1)]);
    spec.flags.insert("analytics".into(), analytics());
    client
        .up(&UpRequest {
            spec,
            release: "working-tree".into(),
            migrations: None,
        })
        .await
        .unwrap();

    let status = client.status().await.unwrap();
    let url = status.envs[0].flags_url.clone().expect("a flags URL");
    let token = std::fs::read_to_string(home.path().join(daytwo_daemon::FLAGS_TOKEN_FILE)).unwrap();
    let replica_env = eventually("the replica wrote its environment", || {
        let env_file = env_file.clone();
        async move { std::fs::read_to_string(&env_file).map_err(|e| e.to_string()) }
    })
    .await;
    assert!(
        replica_env.contains(&format!("DAYTWO_FLAGS_URL={url}\n")),
        "{replica_env}"
    );
    assert!(replica_env.contains(&format!("OFREP_ENDPOINT={url}\n")));
    assert!(replica_env.contains("DAYTWO_FLAG_ANALYTICS=true\n"));
    assert!(replica_env.contains(&format!("DAYTWO_FLAGS_TOKEN={token}\n")));

    let (code, body) = evaluate(&url, &token, "analytics").await;
    assert_eq!((code, &body["value"]), (200, &json!(true)), "{body}");
    let (code, _) = evaluate(&url, "wrong", "analytics").await;
    assert_eq!(code, 403);

    let request = |value: Value| SetFlagRequest {
        value,
        reason: "db overloaded".into(),
        user: "ada".into(),
    };
    let wrong = client
        .set_flag("prod", "analytics", &request(json!("off")))
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("analytics"), "{wrong}");
    let served = client
        .set_flag("prod", "analytics", &request(json!(false)))
        .await
        .unwrap();
    assert_eq!(served.value, json!(false));
    // Answered once served: the very next evaluation sees it.
    let (_, body) = evaluate(&url, &token, "analytics").await;
    assert_eq!(body["value"], json!(false), "{body}");

    daemon.stop().await.unwrap();
    let daemon = InProcessDaemon::start(&home).await;
    let status = client.status().await.unwrap();
    assert_eq!(
        status.envs[0].flags_url.as_deref(),
        Some(url.as_str()),
        "same URL after a restart"
    );
    let (_, body) = evaluate(&url, &token, "analytics").await;
    assert_eq!(
        body["value"],
        json!(false),
        "the run-time value survives: {body}"
    );

    let flags = client.flags(Some("prod")).await.unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].value, json!(false));
    assert_eq!(flags[0].last_change.as_ref().unwrap().user, "ada");
    let history = client
        .flag_history(Some("prod"), Some("analytics"))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (&history[0].old, &history[0].new),
        (&json!(true), &json!(false))
    );
    assert_eq!(history[0].reason, "db overloaded");

    client.down("prod").await.unwrap();
    daemon.stop().await.unwrap();
}
