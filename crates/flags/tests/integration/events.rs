//! The SSE change stream: a `refetchEvaluation` event after every change.

use crate::support::{Server, client};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

async fn open(server: &Server, last_event_id: Option<&str>) -> hyper::Response<Incoming> {
    let mut builder = Request::get(format!("{}/ofrep/v1/events", server.url()));
    if let Some(id) = last_event_id {
        builder = builder.header("last-event-id", id);
    }
    let response = client()
        .request(builder.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    response
}

/// Reads the stream until one event (ending in a blank line) arrives;
/// returns its `id` and parsed `data`.
async fn next_event(body: &mut Incoming, buffer: &mut String) -> (String, Value) {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                event
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .map(|v| v.trim().to_string())
            };
            if let Some(data) = field("data:") {
                assert_eq!(field("event:").as_deref(), Some("message"));
                return (field("id:").unwrap(), serde_json::from_str(&data).unwrap());
            }
            continue; // a keep-alive comment
        }
        let frame = timeout(WAIT, body.frame())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            buffer.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}

#[tokio::test]
async fn a_flag_change_sends_refetch_evaluation_with_the_new_etag() {
    let server = Server::start(None).await;
    let mut body = open(&server, None).await.into_body();
    let mut buffer = String::new();
    let change = server.handle.set_value("analytics", json!(false)).unwrap();
    let (id, data) = next_event(&mut body, &mut buffer).await;
    assert_eq!(id, "1");
    assert_eq!(data["type"], "refetchEvaluation");
    assert_eq!(data["etag"], change.snapshot.etag);
    assert!(data["lastModified"].as_u64().unwrap() > 1_700_000_000);

    server.handle.set_value("page-size", json!(50)).unwrap();
    let (id, _) = next_event(&mut body, &mut buffer).await;
    assert_eq!(id, "2");
}

#[tokio::test]
async fn a_client_that_missed_a_change_is_told_at_once_on_reconnect() {
    let server = Server::start(None).await;
    server.handle.set_value("analytics", json!(false)).unwrap();
    let mut body = open(&server, Some("0")).await.into_body();
    let (id, data) = next_event(&mut body, &mut String::new()).await;
    assert_eq!(id, "1");
    assert_eq!(data["type"], "refetchEvaluation");
}

#[tokio::test]
async fn shutting_down_ends_open_event_streams() {
    let server = Server::start(None).await;
    let mut body = open(&server, None).await.into_body();
    timeout(WAIT, server.stop())
        .await
        .expect("shutdown does not wait for SSE clients");
    let end = timeout(WAIT, async {
        while let Some(frame) = body.frame().await {
            if frame.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the stream ended");
}
