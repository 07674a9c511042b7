//! Bearer-token auth: 401 without credentials, 403 with wrong ones.

use crate::support::{Server, TOKEN, post, request};
use hyper::{Method, StatusCode};

#[tokio::test]
async fn without_a_token_every_route_is_401() {
    let server = Server::start(Some(TOKEN)).await;
    for path in [
        "/ofrep/v1/evaluate/flags/analytics",
        "/ofrep/v1/evaluate/flags",
    ] {
        let reply = post(&format!("{}{path}", server.url()), "{}", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert!(reply.json()["errorDetails"].is_string());
    }
    for path in ["/ofrep/v1/events", "/ofrep/v1/configuration"] {
        let reply = request(Method::GET, &format!("{}{path}", server.url()), &[], "").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn a_wrong_token_is_403_and_the_right_one_evaluates() {
    let server = Server::start(Some(TOKEN)).await;
    let url = format!("{}/ofrep/v1/evaluate/flags/analytics", server.url());
    let wrong = post(&url, "{}", Some("guess")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let right = post(&url, "{}", Some(TOKEN)).await;
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(right.json()["value"], true);
    let api_key = request(Method::POST, &url, &[("x-api-key", TOKEN)], "{}").await;
    assert_eq!(api_key.status, StatusCode::OK);
}
