//! The control-API server itself: status, errors with stable codes, the
//! socket, the pid file, the home lock and shutdown.

use crate::support::{InProcessDaemon, TestHome, raw_request};
use daytwo_api::ClientError;
use daytwo_daemon::DaemonError;
use std::os::unix::fs::PermissionsExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_the_daemon_and_no_envs_on_a_fresh_home() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let status = home.client().status().await.unwrap();
    assert_eq!(status.daemon.pid, std::process::id());
    assert_eq!(status.daemon.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(status.daemon.home, home.path().display().to_string());
    assert!(
        status.daemon.started_at.parse::<jiff::Timestamp>().is_ok(),
        "started_at is RFC 3339: {}",
        status.daemon.started_at
    );
    assert!(!status.daemon.memory_enforcement.is_empty());
    assert!(status.envs.is_empty());
    assert!(home.client().ps(None).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_of_an_env_that_is_not_up_is_env_not_found_with_a_hint() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let error = home.client().down("staging").await.unwrap_err();
    match &error {
        ClientError::Api { status, body } => {
            assert_eq!(*status, 404);
            assert_eq!(body.code, "env_not_found");
            assert_eq!(body.message, "env `staging` is not up");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert_eq!(
        error.hint(),
        Some("no env is up; start one with `daytwo up --env ENV`")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_answer_json_errors() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let (status, body) = raw_request(&home.socket(), "GET", "/v1/nope", "").await;
    assert_eq!(status, 404);
    let body: daytwo_api::ApiErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(body.code, "not_found");

    let (status, body) = raw_request(&home.socket(), "POST", "/v1/status", "").await;
    assert_eq!(status, 405);
    let body: daytwo_api::ApiErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(body.code, "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_request_is_bad_request() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let (status, body) =
        raw_request(&home.socket(), "POST", "/v1/envs/dev/up", r#"{"spec": 1}"#).await;
    assert_eq!(status, 400, "{body}");
    let body: daytwo_api::ApiErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(body.code, "bad_request");

    let (status, body) = raw_request(&home.socket(), "GET", "/v1/events?limit=many", "").await;
    assert_eq!(status, 400, "{body}");
    let body: daytwo_api::ApiErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(body.code, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_for_another_env_than_its_spec_is_refused() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let spec = crate::support::env_spec("qa", home.path(), vec![]);
    let request = daytwo_api::UpRequest {
        spec,
        release: "working-tree".to_string(),
        migrations: None,
    };
    let body = serde_json::to_string(&request).unwrap();
    let (status, body) = raw_request(&home.socket(), "POST", "/v1/envs/dev/up", &body).await;
    assert_eq!(status, 400);
    let body: daytwo_api::ApiErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(body.code, "bad_request");
    assert!(body.message.contains("env `dev`"), "{}", body.message);
    assert!(home.client().status().await.unwrap().envs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_is_private_and_the_pid_file_names_the_daemon() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let mode = std::fs::metadata(home.socket())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let pid = std::fs::read_to_string(home.pid_file()).unwrap();
    assert_eq!(pid.trim(), std::process::id().to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_daemon_on_the_same_home_is_refused_and_the_first_keeps_serving() {
    let home = TestHome::new();
    let _first = InProcessDaemon::start(&home).await;
    let error = daytwo_daemon::run(home.config(), Default::default())
        .await
        .unwrap_err();
    match &error {
        DaemonError::AlreadyRunning { pid, .. } => assert_eq!(*pid, Some(std::process::id())),
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    assert!(error.to_string().contains("already running"), "{error}");
    assert!(home.socket().exists(), "the loser leaves the socket alone");
    home.client()
        .status()
        .await
        .expect("the first daemon still answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_over_the_api_removes_the_socket_and_the_pid_file() {
    let home = TestHome::new();
    let daemon = InProcessDaemon::start(&home).await;
    home.client().shutdown().await.unwrap();
    daemon.finished().await.unwrap();
    assert!(!home.socket().exists());
    assert!(!home.pid_file().exists());
    assert!(matches!(
        home.client().status().await,
        Err(ClientError::Connect { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_socket_of_a_dead_daemon_is_replaced() {
    let home = TestHome::new();
    // A socket file nobody listens on, as a SIGKILLed daemon leaves it.
    drop(std::os::unix::net::UnixListener::bind(home.socket()).unwrap());
    assert!(home.socket().exists());
    let daemon = InProcessDaemon::start(&home).await;
    home.client().status().await.unwrap();
    daemon.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_record_the_daemon_starting_and_stopping() {
    let home = TestHome::new();
    let daemon = InProcessDaemon::start(&home).await;
    daemon.stop().await.unwrap();
    let daemon = InProcessDaemon::start(&home).await;
    let events = home.client().events(None, None).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["daemon.started", "daemon.stopped", "daemon.started"]
    );
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id));
    let last = home.client().events(None, Some(1)).await.unwrap();
    assert_eq!(last, events[2..]);
    daemon.stop().await.unwrap();
}
