//! Alertmanager-compatible webhooks: a real HTTP receiver on 127.0.0.1
//! (axum) gets daytwo's POSTs; the tests check the message's fields and
//! values, retries, bounded failures, and that `https://` speaks TLS.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use daytwo_daemon::alerts::{
    Alert, AlertSender, AlertStatus, GUARD_FAILED, UNRESOLVED_ENDS_AT, WebhookMessage,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// What the receiver saw: each request's headers and JSON body.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    /// Statuses to answer before answering 200, in order.
    failures: Arc<Mutex<Vec<StatusCode>>>,
}

impl Receiver {
    fn requests(&self) -> Vec<(HeaderMap, Value)> {
        self.seen.lock().unwrap().clone()
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let json: Value = serde_json::from_slice(&body).expect("the webhook body is JSON");
    receiver.seen.lock().unwrap().push((headers, json));
    let mut failures = receiver.failures.lock().unwrap();
    if failures.is_empty() {
        StatusCode::OK
    } else {
        failures.remove(0)
    }
}

/// A webhook receiver on 127.0.0.1:0, answering `failures` first.
async fn start_receiver(failures: Vec<StatusCode>) -> (SocketAddr, Receiver) {
    let receiver = Receiver {
        failures: Arc::new(Mutex::new(failures)),
        ..Receiver::default()
    };
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, receiver)
}

fn leak_alert() -> Alert {
    Alert::guard_failed(
        "shop",
        "prod",
        "2.0.0",
        "memory_growth",
        "shop 2.0.0 in prod: memory grows 1.0 MiB/min per replica",
        "web.3: RSS slope 17.5 KiB/s (lower bound 15.2 KiB/s) vs stable 0.1 KiB/s; rolled back to 1.0.0",
        "2026-11-27T02:00:00.5Z".parse().unwrap(),
    )
}

fn fast() -> AlertSender {
    AlertSender::new("http://daytwo.example:7070").with_timing(
        Duration::from_secs(2),
        3,
        Duration::from_millis(50),
    )
}

fn strings(value: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(value.clone()).expect("an object of strings")
}

#[tokio::test]
async fn a_firing_then_resolved_alert_arrives_as_alertmanager_sends_it() {
    let (addr, receiver) = start_receiver(Vec::new()).await;
    let url = format!("http://{addr}/hook");
    let sender = fast();
    let firing = leak_alert();

    let deliveries = sender.send(std::slice::from_ref(&url), &firing).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].result, Ok(200), "{deliveries:?}");
    assert_eq!(deliveries[0].attempts, 1);

    let resolved_at: jiff::Timestamp = "2026-11-27T02:01:00Z".parse().unwrap();
    let deliveries = sender
        .send(std::slice::from_ref(&url), &firing.resolved(resolved_at))
        .await;
    assert!(deliveries[0].is_delivered(), "{deliveries:?}");

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    let (headers, message) = &requests[0];
    assert_eq!(headers["content-type"], "application/json");
    assert!(
        headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("daytwo/")
    );

    // Exactly Alertmanager's top-level fields, no more.
    let mut keys: Vec<&str> = message
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "alerts",
            "commonAnnotations",
            "commonLabels",
            "externalURL",
            "groupKey",
            "groupLabels",
            "receiver",
            "status",
            "truncatedAlerts",
            "version"
        ]
    );
    assert_eq!(message["version"], "4");
    assert_eq!(message["status"], "firing");
    assert_eq!(message["receiver"], "daytwo");
    assert_eq!(message["truncatedAlerts"], 0);
    assert_eq!(message["externalURL"], "http://daytwo.example:7070");
    assert_eq!(
        message["groupKey"],
        "{}:{alertname=\"DaytwoGuardFailed\", app=\"shop\", env=\"prod\"}"
    );
    let expected_labels: BTreeMap<String, String> = [
        ("alertname", GUARD_FAILED),
        ("app", "shop"),
        ("env", "prod"),
        ("release", "2.0.0"),
        ("guard", "memory_growth"),
        ("severity", "critical"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(strings(&message["commonLabels"]), expected_labels);
    assert_eq!(
        strings(&message["groupLabels"]),
        expected_labels
            .iter()
            .filter(|(k, _)| ["alertname", "app", "env"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    );

    let alerts = message["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    let mut alert_keys: Vec<&str> = alert
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    alert_keys.sort();
    assert_eq!(
        alert_keys,
        [
            "annotations",
            "endsAt",
            "fingerprint",
            "generatorURL",
            "labels",
            "startsAt",
            "status"
        ]
    );
    assert_eq!(alert["status"], "firing");
    assert_eq!(strings(&alert["labels"]), expected_labels);
    let annotations = strings(&alert["annotations"]);
    assert_eq!(annotations["summary"], firing.summary);
    assert_eq!(annotations["description"], firing.description);
    assert_eq!(strings(&message["commonAnnotations"]), annotations);
    let starts_at: jiff::Timestamp = alert["startsAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(starts_at, firing.starts_at);
    assert_eq!(alert["endsAt"], UNRESOLVED_ENDS_AT);
    let fingerprint = alert["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 16);
    assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit()));

    // The resolved message: same labels and fingerprint, an end time.
    let (_, message) = &requests[1];
    assert_eq!(message["status"], "resolved");
    let alert = &message["alerts"][0];
    assert_eq!(alert["status"], "resolved");
    assert_eq!(strings(&alert["labels"]), expected_labels);
    assert_eq!(alert["fingerprint"], fingerprint.as_str());
    let ends_at: jiff::Timestamp = alert["endsAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(ends_at, resolved_at);

    // The typed message reads back what was sent.
    let typed: WebhookMessage = serde_json::from_value(message.clone()).unwrap();
    assert_eq!(typed.status, AlertStatus::Resolved);
}

#[test]
fn another_release_or_guard_is_another_fingerprint() {
    let alert = leak_alert();
    let mut other_guard = alert.clone();
    other_guard.guard = "error_rate".into();
    let mut other_release = alert.clone();
    other_release.release = "2.0.1".into();
    let fingerprints = [
        alert.fingerprint(),
        other_guard.fingerprint(),
        other_release.fingerprint(),
    ];
    assert_ne!(fingerprints[0], fingerprints[1]);
    assert_ne!(fingerprints[0], fingerprints[2]);
    assert_eq!(alert.fingerprint(), leak_alert().fingerprint(), "stable");
}

#[tokio::test]
async fn user_info_in_the_url_is_sent_as_basic_auth_not_in_the_host() {
    let (addr, receiver) = start_receiver(Vec::new()).await;
    let deliveries = fast()
        .send(
            &[format!("http://bot:s3cret@{addr}/hook?team=ops")],
            &leak_alert(),
        )
        .await;
    assert!(deliveries[0].is_delivered(), "{deliveries:?}");
    let (headers, _) = &receiver.requests()[0];
    // base64("bot:s3cret")
    assert_eq!(headers["authorization"], "Basic Ym90OnMzY3JldA==");
    assert_eq!(headers["host"], addr.to_string().as_str());
}

#[tokio::test]
async fn a_failing_receiver_is_retried_and_a_dead_one_does_not_hold_up_the_others() {
    let (flaky, flaky_receiver) = start_receiver(vec![
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::BAD_GATEWAY,
    ])
    .await;
    let (refusing, refusing_receiver) = start_receiver(vec![StatusCode::BAD_REQUEST]).await;
    // A port nothing listens on: bound, then closed.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let urls = vec![
        format!("http://{flaky}/hook"),
        format!("http://{dead}/hook"),
        format!("http://{refusing}/hook"),
    ];
    let sender = fast();
    let started = Instant::now();
    let deliveries = sender.send(&urls, &leak_alert()).await;
    assert!(
        started.elapsed() <= sender.max_duration(),
        "took {:?}",
        started.elapsed()
    );

    assert_eq!(deliveries[0].result, Ok(200), "{deliveries:?}");
    assert_eq!(deliveries[0].attempts, 3, "503, 502, then 200");
    assert_eq!(flaky_receiver.requests().len(), 3);

    assert_eq!(deliveries[1].attempts, 3, "{deliveries:?}");
    let error = deliveries[1].result.clone().unwrap_err();
    assert!(error.contains("cannot connect"), "{error}");

    // A 4xx is the receiver refusing the message: not retried.
    assert_eq!(deliveries[2].attempts, 1, "{deliveries:?}");
    let error = deliveries[2].result.clone().unwrap_err();
    assert!(error.contains("400"), "{error}");
    assert_eq!(refusing_receiver.requests().len(), 1);
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_in_the_background() {
    // Accepts connections and reads, never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let sender =
        AlertSender::new("").with_timing(Duration::from_millis(300), 2, Duration::from_millis(50));
    let started = Instant::now();
    let handle = sender.spawn(vec![format!("http://{addr}/hook")], leak_alert());
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "spawn returns at once"
    );
    let deliveries = handle.await.unwrap();
    assert_eq!(deliveries[0].attempts, 2);
    let error = deliveries[0].result.clone().unwrap_err();
    assert!(error.contains("no answer within 0.3s"), "{error}");
    assert!(started.elapsed() < sender.max_duration() + Duration::from_millis(500));
}

#[tokio::test]
async fn an_https_url_is_sent_over_tls_with_the_host_as_server_name() {
    // A plain TCP listener records the first bytes the sender writes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let first_bytes = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0u8; 2048];
        let n = stream.read(&mut buffer).await.unwrap();
        buffer.truncate(n);
        buffer
    });
    let sender =
        AlertSender::new("").with_timing(Duration::from_millis(500), 1, Duration::from_millis(10));
    let deliveries = sender
        .send(&[format!("https://localhost:{port}/hook")], &leak_alert())
        .await;
    let hello = first_bytes.await.unwrap();
    assert_eq!(hello.first(), Some(&0x16), "a TLS handshake record");
    assert_eq!(hello.get(5), Some(&0x01), "a ClientHello");
    assert!(
        hello.windows(b"localhost".len()).any(|w| w == b"localhost"),
        "the server name (SNI) is the URL's host"
    );
    assert!(
        !deliveries[0].is_delivered(),
        "no TLS server answered: {deliveries:?}"
    );
}
