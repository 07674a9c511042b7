//! Every OFREP error shape: 404 FLAG_NOT_FOUND and the 400 codes.

use crate::support::{Server, post};
use daytwo_spec::{EnvFlag, Serve};
use hyper::StatusCode;
use serde_json::{Value, json};

fn assert_failure(
    reply: &crate::support::Reply,
    status: StatusCode,
    key: Option<&str>,
    code: &str,
) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["errorCode"], code, "{body}");
    assert!(
        body["errorDetails"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    match key {
        Some(key) => assert_eq!(body["key"], key),
        None => assert!(body.get("key").is_none(), "{body}"),
    }
    assert!(body.get("value").is_none(), "{body}");
}

#[tokio::test]
async fn an_unknown_flag_is_404_flag_not_found() {
    let server = Server::start(None).await;
    let reply = post(
        &format!("{}/ofrep/v1/evaluate/flags/nope", server.url()),
        "{}",
        None,
    )
    .await;
    assert_failure(
        &reply,
        StatusCode::NOT_FOUND,
        Some("nope"),
        "FLAG_NOT_FOUND",
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400_parse_error() {
    let server = Server::start(None).await;
    let single = post(
        &format!("{}/ofrep/v1/evaluate/flags/analytics", server.url()),
        "{context:",
        None,
    )
    .await;
    assert_failure(
        &single,
        StatusCode::BAD_REQUEST,
        Some("analytics"),
        "PARSE_ERROR",
    );
    let bulk = post(
        &format!("{}/ofrep/v1/evaluate/flags", server.url()),
        "[1]",
        None,
    )
    .await;
    assert_failure(&bulk, StatusCode::BAD_REQUEST, None, "PARSE_ERROR");
}

#[tokio::test]
async fn a_context_that_is_not_an_object_is_400_invalid_context() {
    let server = Server::start(None).await;
    let single = post(
        &format!("{}/ofrep/v1/evaluate/flags/analytics", server.url()),
        r#"{"context": "user-1"}"#,
        None,
    )
    .await;
    assert_failure(
        &single,
        StatusCode::BAD_REQUEST,
        Some("analytics"),
        "INVALID_CONTEXT",
    );
    let bulk = post(
        &format!("{}/ofrep/v1/evaluate/flags", server.url()),
        r#"{"context": {"targetingKey": 42}}"#,
        None,
    )
    .await;
    assert_failure(&bulk, StatusCode::BAD_REQUEST, None, "INVALID_CONTEXT");
}

#[tokio::test]
async fn a_rollout_without_a_targeting_key_is_400_targeting_key_missing() {
    let server = Server::start(None).await;
    let single = post(
        &format!("{}/ofrep/v1/evaluate/flags/new-search", server.url()),
        r#"{"context": {"email": "a@b.c"}}"#,
        None,
    )
    .await;
    assert_failure(
        &single,
        StatusCode::BAD_REQUEST,
        Some("new-search"),
        "TARGETING_KEY_MISSING",
    );
    // In bulk, only that flag fails; the others evaluate.
    let bulk = post(
        &format!("{}/ofrep/v1/evaluate/flags", server.url()),
        "{}",
        None,
    )
    .await;
    assert_eq!(bulk.status, StatusCode::OK);
    let flags = bulk.json()["flags"].as_array().unwrap().clone();
    let search: &Value = flags.iter().find(|f| f["key"] == "new-search").unwrap();
    assert_eq!(search["errorCode"], "TARGETING_KEY_MISSING");
    assert!(
        flags
            .iter()
            .any(|f| f["key"] == "analytics" && f["value"] == true)
    );
}

#[tokio::test]
async fn a_flag_that_cannot_be_served_is_400_general() {
    let mut broken: EnvFlag = crate::support::test_flags().remove(0);
    broken.targeting = Some(daytwo_spec::Targeting {
        rules: vec![],
        rollout: Some(daytwo_spec::Rollout {
            percentage: 100.0,
            serve: Serve::Variant("missing".into()),
        }),
    });
    let server = Server::start_with(vec![broken], None).await;
    let reply = post(
        &format!("{}/ofrep/v1/evaluate/flags/analytics", server.url()),
        &json!({"context": {"targetingKey": "u"}}).to_string(),
        None,
    )
    .await;
    assert_failure(
        &reply,
        StatusCode::BAD_REQUEST,
        Some("analytics"),
        "GENERAL",
    );
}
