//! Single and bulk evaluation, ETag / If-None-Match.

use crate::support::{Server, post, request};
use hyper::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn single_evaluation_returns_key_value_reason_variant_and_metadata() {
    let server = Server::start(None).await;
    let reply = post(
        &format!("{}/ofrep/v1/evaluate/flags/analytics", server.url()),
        r#"{"context": {"targetingKey": "user-1"}}"#,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.json(),
        json!({
            "key": "analytics",
            "value": true,
            "reason": "STATIC",
            "variant": "on",
            "metadata": {"owner": "data-team"}
        })
    );
}

#[tokio::test]
async fn every_flag_type_evaluates_and_rules_match_on_context_attributes() {
    let server = Server::start(None).await;
    let url = |key: &str| format!("{}/ofrep/v1/evaluate/flags/{key}", server.url());
    for (key, value) in [
        ("page-size", json!(20)),
        ("ratio", json!(0.25)),
        ("limits", json!({"burst": 10})),
        ("banner", json!("blue")),
    ] {
        let reply = post(&url(key), "{}", None).await;
        assert_eq!(reply.status, StatusCode::OK, "{key}");
        assert_eq!(reply.json()["value"], value, "{key}");
    }
    let qa = post(
        &url("banner"),
        r#"{"context": {"email": "qa-7@example.com"}}"#,
        None,
    )
    .await;
    assert_eq!(
        (qa.json()["value"].clone(), qa.json()["reason"].clone()),
        (json!("red"), json!("TARGETING_MATCH"))
    );
    let other = post(
        &url("banner"),
        r#"{"context": {"email": "bob@example.com"}}"#,
        None,
    )
    .await;
    assert_eq!(other.json()["reason"], "DEFAULT");
    // An empty body is an empty context.
    let empty = post(&url("page-size"), "", None).await;
    assert_eq!(empty.status, StatusCode::OK);
}

#[tokio::test]
async fn rollouts_answer_the_same_key_the_same_way_on_every_server() {
    let first = Server::start(None).await;
    let second = Server::start(None).await;
    for i in 0..20 {
        let body = format!(r#"{{"context": {{"targetingKey": "user-{i}"}}}}"#);
        let a = post(
            &format!("{}/ofrep/v1/evaluate/flags/new-search", first.url()),
            &body,
            None,
        )
        .await;
        let b = post(
            &format!("{}/ofrep/v1/evaluate/flags/new-search", second.url()),
            &body,
            None,
        )
        .await;
        assert_eq!(a.json(), b.json());
        let reason = a.json()["reason"].clone();
        assert!(reason == "SPLIT" || reason == "DEFAULT", "{reason}");
    }
}

#[tokio::test]
async fn bulk_evaluation_lists_every_flag_with_an_etag_and_the_event_stream() {
    let server = Server::start(None).await;
    let reply = post(
        &format!("{}/ofrep/v1/evaluate/flags", server.url()),
        r#"{"context": {"targetingKey": "user-1"}}"#,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let etag = reply.header("etag").expect("an ETag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let body = reply.json();
    let keys: Vec<&str> = body["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "analytics",
            "banner",
            "limits",
            "new-search",
            "page-size",
            "ratio"
        ]
    );
    assert_eq!(
        body["eventStreams"],
        json!([{
            "type": "sse",
            "url": format!("{}/ofrep/v1/events", server.url()),
            "inactivityDelaySec": 120
        }])
    );
}

#[tokio::test]
async fn bulk_with_the_current_etag_is_304_until_a_flag_changes() {
    let server = Server::start(None).await;
    let url = format!("{}/ofrep/v1/evaluate/flags", server.url());
    let body = r#"{"context": {"targetingKey": "user-1"}}"#;
    let first = post(&url, body, None).await;
    let etag = first.header("etag").unwrap().to_string();
    let headers = [
        ("content-type", "application/json"),
        ("if-none-match", etag.as_str()),
    ];
    let again = request(Method::POST, &url, &headers, body).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    // Another context evaluates differently, so the same tag does not match.
    let other = request(
        Method::POST,
        &url,
        &headers,
        r#"{"context": {"targetingKey": "u2"}}"#,
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);

    server.handle.set_value("analytics", json!(false)).unwrap();
    let changed = request(Method::POST, &url, &headers, body).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    let analytics = changed.json()["flags"][0].clone();
    assert_eq!(analytics["value"], false);
}

#[tokio::test]
async fn the_configuration_endpoint_advertises_polling_and_types() {
    let server = Server::start(None).await;
    let reply = request(
        Method::GET,
        &format!("{}/ofrep/v1/configuration", server.url()),
        &[],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["name"], "daytwo");
    assert_eq!(
        body["capabilities"]["cacheInvalidation"]["polling"]["enabled"],
        true
    );
}
