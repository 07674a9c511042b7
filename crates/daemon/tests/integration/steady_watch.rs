//! The steady-state watch end to end: a real child daemon, the real proxy,
//! python replicas under steady keep-alive traffic, the env's real OFREP
//! server and a webhook receiver on 127.0.0.1. The app keeps 64 KiB per
//! request while its flag `leak` is on (it polls the flag over OFREP every
//! 200 ms), so a leak starts after promotion exactly when someone turns the
//! flag on at run time. The daemon samples every 500 ms, reads an 8 s
//! window (`DAYTWO_WATCH_WINDOW`) and looks every second. One test per
//! remediation (`flag-off leak`, `alert`, `rollback`), and the alert of a
//! canary rolled back by its memory guard.

use crate::canary_fixture::Traffic;
use crate::deploy_fixture::{build_bundle, deploy, finish, import, trust};
use crate::http_app::free_listen;
use crate::support::{ChildDaemon, TestHome};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use daytwo_api::{Client, DeployRequest, Event, FlagChangeInfo, Incident, SetFlagRequest};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The daemon's sampling interval and the watch's window in these tests.
const TELEMETRY: (&str, &str) = ("DAYTWO_TELEMETRY_INTERVAL", "500ms");
const WINDOW: (&str, &str) = (daytwo_daemon::WATCH_WINDOW_VAR, "8s");
/// Requests per second of the steady traffic (over 2 keep-alive clients):
/// with the flag on, ~20 a second per replica × 64 KiB ≈ 1.25 MiB/s each.
const RATE: u32 = 40;
/// How long the watch has to act on the leak (it needs ~7 s).
const DETECT_LIMIT: Duration = Duration::from_secs(30);
/// How long the watch has to clear once the leak stopped (~12 s).
const CLEAR_LIMIT: Duration = Duration::from_secs(40);

/// Answers every path with its release; `/healthz` too. A thread polls the
/// env's OFREP server for the boolean flag `leak` every 200 ms; while it is
/// on, each request (not health checks) keeps 64 KiB forever — in a release
/// built with `LEAKS=1` (all but the rollback test's first release).
const APP_PY: &str = r#"
import http.server, json, os, threading, time, urllib.request

RELEASE = os.environ["DAYTWO_RELEASE"]
FLAG_URL = os.environ["DAYTWO_FLAGS_URL"] + "/ofrep/v1/evaluate/flags/leak"
TOKEN = os.environ["DAYTWO_FLAGS_TOKEN"]
LEAKS = os.environ.get("LEAKS") == "1"
LEAK = False
KEPT = []

def poll():
    global LEAK
    while True:
        try:
            request = urllib.request.Request(
                FLAG_URL,
                data=b'{"context":{}}',
                headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=2) as answer:
                LEAK = json.load(answer).get("value") is True
        except Exception:
            pass
        time.sleep(0.2)

threading.Thread(target=poll, daemon=True).start()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):
        if self.path != "/healthz" and LEAK and LEAKS:
            KEPT.append(b"x" * 65536)
        data = RELEASE.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
server.daemon_threads = True
server.serve_forever()
"#;

/// An app directory whose spec declares the flag `leak`, the watch's
/// `remediation`, a webhook, env `prod` with a listener, and a short
/// canary for `--strategy canary` (50 % for 10 s).
struct LeakApp {
    dir: tempfile::TempDir,
    prod: SocketAddr,
}

impl LeakApp {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("app dir");
        std::fs::write(dir.path().join("app.py"), APP_PY).unwrap();
        Self {
            dir,
            prod: free_listen(),
        }
    }

    /// A signed bundle of `version` whose watch runs `remediation` and
    /// alerts `webhook`; it leaks while the flag is on when `leaks`.
    fn build(&self, version: &str, leaks: bool, remediation: &str, webhook: &str) -> PathBuf {
        let spec = format!(
            r#"[app]
name = "shop"

[process.web]
command = "python3 app.py"
http = true
replicas = 2
stop_timeout = "3s"
memory_limit = "1GiB"
environment = {{ LEAKS = "{leaks}" }}
health = {{ path = "/healthz", interval = "200ms", timeout = "500ms", start_period = "5s" }}

[build]
artifacts = ["app.py", "version.txt"]

[flags.leak]
type = "boolean"
default = false
description = "Keeps 64 KiB per request (the test's leak)"

[rollout]
steps = [50, 100]
step_duration = "10s"

[rollout.guards]
analysis_interval = "1s"
memory_growth = {{ absolute_tolerance_bytes_per_sec = "64KiB" }}
remediation = "{remediation}"

[alerts]
webhooks = ["{webhook}"]

[env.prod]
listen = "{prod}"
"#,
            prod = self.prod,
            leaks = u8::from(leaks),
        );
        build_bundle(self.dir.path(), &spec, version)
    }
}

/// The webhook messages a receiver on 127.0.0.1 got.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    fn messages(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }

    /// The messages whose `status` is `status`.
    fn with_status(&self, status: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|message| message["status"] == status)
            .collect()
    }
}

async fn receive(State(receiver): State<Receiver>, body: axum::body::Bytes) -> StatusCode {
    let json: Value = serde_json::from_slice(&body).expect("the webhook body is JSON");
    receiver.seen.lock().unwrap().push(json);
    StatusCode::OK
}

/// A webhook receiver on 127.0.0.1:0: its `/hook` URL and what it got.
async fn start_receiver() -> (String, Receiver) {
    let receiver = Receiver::default();
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), receiver)
}

struct Setup {
    app: LeakApp,
    /// The receiver's URL.
    webhook: String,
    home: TestHome,
    _daemon: ChildDaemon,
    client: Client,
    receiver: Receiver,
    traffic: Traffic,
}

/// A daemon whose env `prod` runs the leak app (flag off) with
/// `remediation`, under steady traffic: `releases` (version, whether it
/// leaks) deployed in order, the last one serving.
async fn setup(remediation: &str, releases: &[(&str, bool)]) -> Setup {
    let (webhook, receiver) = start_receiver().await;
    let home = TestHome::new();
    trust(&home, "prod");
    let app = LeakApp::new();
    let bundles: Vec<PathBuf> = releases
        .iter()
        .map(|(version, leaks)| app.build(version, *leaks, remediation, &webhook))
        .collect();
    let daemon = ChildDaemon::start_with(&home, &[TELEMETRY, WINDOW]).await;
    let client = home.client();
    for ((version, _), bundle) in releases.iter().zip(&bundles) {
        import(&client, bundle).await;
        let record = deploy(&client, "prod", version).await;
        assert_eq!(record.outcome, "succeeded", "{record:?}");
    }
    let traffic = Traffic::start(app.prod, RATE, 2);
    Setup {
        app,
        webhook,
        home,
        _daemon: daemon,
        client,
        receiver,
        traffic,
    }
}

async fn events(client: &Client) -> Vec<Event> {
    client.events(Some("prod"), Some(1000)).await.unwrap()
}

fn kinds(events: &[Event]) -> Vec<&str> {
    events.iter().map(|event| event.kind.as_str()).collect()
}

fn watch_events(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|event| event.kind.starts_with("watch.") || event.kind.starts_with("incident."))
        .map(|event| format!("{}: {}", event.kind, event.message))
        .collect()
}

fn incidents(home: &TestHome) -> Vec<Incident> {
    daytwo_daemon::list_incidents(home.path(), Some("prod"), 10).expect("read the incidents")
}

async fn leak_history(client: &Client) -> Vec<FlagChangeInfo> {
    client
        .flag_history(Some("prod"), Some("leak"))
        .await
        .unwrap()
}

/// Polls `probe` every 200 ms until it yields `Ok`, at most `limit`.
async fn wait_for<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + limit;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {limit:?} waiting for {what}; last: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// `POST {url}/ofrep/v1/evaluate/flags/{key}` with the home's token: the value.
async fn served_value(home: &TestHome, client: &Client, key: &str) -> Value {
    let url = client.status().await.unwrap().envs[0]
        .flags_url
        .clone()
        .expect("prod serves flags");
    let token = std::fs::read_to_string(home.path().join(daytwo_daemon::FLAGS_TOKEN_FILE)).unwrap();
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = r#"{"context":{}}"#;
    let request = format!(
        "POST /ofrep/v1/evaluate/flags/{key} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        token.trim(),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: Value = serde_json::from_str(body).expect("an OFREP answer");
    json["value"].clone()
}

/// The largest RSS of prod's replicas.
async fn max_rss(client: &Client) -> u64 {
    client
        .ps(Some("prod"))
        .await
        .unwrap()
        .iter()
        .map(|replica| replica.rss_bytes)
        .max()
        .unwrap_or(0)
}

async fn set_leak(client: &Client, on: bool, user: &str, reason: &str) {
    client
        .set_flag(
            "prod",
            "leak",
            &SetFlagRequest {
                value: json!(on),
                reason: reason.to_string(),
                user: user.to_string(),
            },
        )
        .await
        .expect("set the flag");
}

/// The firing (or resolved) messages' single alert: its labels are the
/// app, env, release (1.0.0) and guard.
fn assert_alert(message: &Value, status: &str) {
    assert_alert_about(message, status, "1.0.0");
}

fn assert_alert_about(message: &Value, status: &str, release: &str) {
    assert_eq!(message["version"], "4", "{message:#}");
    assert_eq!(message["status"], status, "{message:#}");
    let alert = &message["alerts"][0];
    assert_eq!(alert["status"], status, "{message:#}");
    let labels = &alert["labels"];
    assert_eq!(labels["alertname"], "DaytwoGuardFailed", "{message:#}");
    assert_eq!(labels["app"], "shop");
    assert_eq!(labels["env"], "prod");
    assert_eq!(labels["release"], release);
    assert_eq!(labels["guard"], "memory_growth");
    assert_eq!(message["commonLabels"], *labels);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_turned_on_after_promotion_is_turned_off_by_the_watch() {
    let setup = setup("flag-off leak", &[("1.0.0", true)]).await;
    let client = &setup.client;

    // Healthy for a while: the watch looks every second and stays quiet.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let quiet = events(client).await;
    assert!(
        watch_events(&quiet).is_empty(),
        "no watch event while nothing leaks: {:?}",
        watch_events(&quiet)
    );
    assert!(incidents(&setup.home).is_empty());
    assert_eq!(
        served_value(&setup.home, client, "leak").await,
        json!(false)
    );
    let rss_before = max_rss(client).await;

    // Someone turns the feature on at run time: memory starts to grow.
    let turned_on = Instant::now();
    set_leak(client, true, "tester", "try the new cache").await;
    let change = wait_for(DETECT_LIMIT, "the watch to turn the flag off", || async {
        let history = leak_history(client).await;
        history
            .iter()
            .find(|change| change.user == daytwo_daemon::WATCH_USER)
            .cloned()
            .ok_or_else(|| format!("{history:?}"))
    })
    .await;
    let detected = turned_on.elapsed();
    eprintln!("the watch turned the flag off {detected:?} after it was turned on");
    assert_eq!((&change.old, &change.new), (&json!(true), &json!(false)));
    assert!(
        change.reason.contains("memory_growth") && change.reason.contains("steady-state watch"),
        "the reason names the guard: {}",
        change.reason
    );
    // Served at once, and the app stops leaking (it polls every 200 ms).
    assert_eq!(
        served_value(&setup.home, client, "leak").await,
        json!(false)
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_off = max_rss(client).await;
    assert!(
        rss_off > rss_before + 4 * 1024 * 1024,
        "memory grew while the flag was on: {rss_before} → {rss_off}"
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let rss_later = max_rss(client).await;
    assert!(
        rss_later < rss_off + 1024 * 1024,
        "memory stops growing once the flag is off: {rss_off} → {rss_later} in 4 s (it grew ~5 MiB in 4 s with the flag on)"
    );

    // An incident opened at the detection; the receiver got a firing alert.
    let opened = incidents(&setup.home);
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(opened[0].guard.as_deref(), Some("memory_growth"));
    assert_eq!(
        opened[0].release.as_ref().map(|r| r.version.as_str()),
        Some("1.0.0")
    );
    let firing = setup.receiver.with_status("firing");
    assert_eq!(firing.len(), 1, "one firing alert: {firing:#?}");
    assert_alert(&firing[0], "firing");
    let description = firing[0]["alerts"][0]["annotations"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        description.contains("flag leak turned off"),
        "the alert says what was done: {description}"
    );

    // Flat again: after a window of clean looks the incident closes and
    // the alert resolves.
    let id = opened[0].id;
    let closed = wait_for(CLEAR_LIMIT, "the watch to clear", || async {
        let incidents = incidents(&setup.home);
        match incidents.iter().find(|incident| incident.id == id) {
            Some(incident) if incident.closed_at.is_some() => Ok(incident.clone()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    eprintln!("the incident closed after {:?}", turned_on.elapsed());
    assert!(
        closed.summary.contains("flag leak turned off"),
        "{closed:?}"
    );
    let resolved = wait_for(Duration::from_secs(5), "the resolved alert", || async {
        let resolved = setup.receiver.with_status("resolved");
        if resolved.is_empty() {
            Err("none yet".to_string())
        } else {
            Ok(resolved)
        }
    })
    .await;
    assert_eq!(resolved.len(), 1, "{resolved:#?}");
    assert_alert(&resolved[0], "resolved");
    assert_eq!(
        resolved[0]["alerts"][0]["fingerprint"], firing[0]["alerts"][0]["fingerprint"],
        "the same alert resolves"
    );
    assert_eq!(
        served_value(&setup.home, client, "leak").await,
        json!(false),
        "the flag stays off"
    );

    // The incident's timeline tells the story in order.
    let timeline = daytwo_daemon::incident_timeline(setup.home.path(), Some(id), None)
        .unwrap()
        .expect("the incident's timeline");
    for entry in &timeline.timeline {
        eprintln!(
            "{:>6} ms {}: {}",
            entry.offset_ms, entry.kind, entry.message
        );
    }
    let told: Vec<&str> = timeline
        .timeline
        .iter()
        .map(|entry| entry.kind.as_str())
        .collect();
    let story = [
        "watch.guard_failed",
        "incident.opened",
        "flag.set",
        "watch.remediated",
        "alert.sent",
        "watch.cleared",
        "alert.sent",
    ];
    let mut rest = told.iter();
    for kind in story {
        assert!(
            rest.any(|told| *told == kind),
            "{kind} in order in the timeline: {told:?}"
        );
    }
    let failed = timeline
        .timeline
        .iter()
        .find(|entry| entry.kind == "watch.guard_failed")
        .unwrap();
    assert!(
        failed.message.contains("RSS slope") && failed.message.contains("memory limit in"),
        "the measured slope and the projected time to the limit: {}",
        failed.message
    );
    let all = events(client).await;
    assert_eq!(
        kinds(&all)
            .iter()
            .filter(|kind| **kind == "watch.guard_failed")
            .count(),
        1,
        "one incident, one remediation: {:?}",
        watch_events(&all)
    );
    let report = setup.traffic.finish().await;
    assert!(report.total() > 0 && report.errors.is_empty(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_remediation_alert_the_watch_alerts_and_leaves_the_flag_alone() {
    let setup = setup("alert", &[("1.0.0", true)]).await;
    let client = &setup.client;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(watch_events(&events(client).await).is_empty());

    set_leak(client, true, "tester", "try the new cache").await;
    let opened = wait_for(DETECT_LIMIT, "the watch to open an incident", || async {
        let incidents = incidents(&setup.home);
        incidents.first().cloned().ok_or_else(|| "none".to_string())
    })
    .await;
    assert_eq!(opened.guard.as_deref(), Some("memory_growth"));
    let firing = wait_for(Duration::from_secs(5), "the firing alert", || async {
        let firing = setup.receiver.with_status("firing");
        firing
            .first()
            .cloned()
            .ok_or_else(|| "none yet".to_string())
    })
    .await;
    assert_alert(&firing, "firing");
    let logged = events(client).await;
    let watch = watch_events(&logged);
    assert!(
        kinds(&logged).contains(&"watch.alert"),
        "the event log says it only alerted: {watch:?}"
    );
    assert!(!kinds(&logged).contains(&"watch.remediated"), "{watch:?}");
    // The flag is untouched: only the tester's change, still served on.
    let history = leak_history(client).await;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].user, "tester");
    assert_eq!(served_value(&setup.home, client, "leak").await, json!(true));
    assert!(
        opened.closed_at.is_none(),
        "open while it leaks: {opened:?}"
    );

    // A person turns it off; once memory is flat the incident closes.
    set_leak(client, false, "tester", "the cache leaks").await;
    wait_for(CLEAR_LIMIT, "the watch to clear", || async {
        match incidents(&setup.home).first() {
            Some(incident) if incident.closed_at.is_some() => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    wait_for(Duration::from_secs(5), "the resolved alert", || async {
        let resolved = setup.receiver.with_status("resolved");
        resolved
            .first()
            .cloned()
            .ok_or_else(|| "none yet".to_string())
    })
    .await;
    assert_eq!(setup.receiver.with_status("firing").len(), 1);
    drop(setup.traffic);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_remediation_rollback_the_watch_rolls_back_to_the_previous_release() {
    // 1.0.0 ignores the flag; 2.0.0 leaks while it is on.
    let setup = setup("rollback", &[("1.0.0", false), ("2.0.0", true)]).await;
    let client = &setup.client;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(watch_events(&events(client).await).is_empty());

    set_leak(client, true, "tester", "try the new cache").await;
    let rollback = wait_for(DETECT_LIMIT, "the watch's rollback", || async {
        let history = client.history(Some("prod")).await.unwrap();
        history
            .iter()
            .find(|record| record.kind == "rollback" && record.outcome != "running")
            .cloned()
            .ok_or_else(|| format!("{history:?}"))
    })
    .await;
    assert_eq!(rollback.outcome, "succeeded", "{rollback:?}");
    assert_eq!(rollback.user, daytwo_daemon::WATCH_USER);
    assert_eq!(rollback.to.version, "1.0.0");
    assert_eq!(
        rollback.from.as_ref().map(|r| r.version.as_str()),
        Some("2.0.0")
    );
    let message = rollback.message.clone().unwrap_or_default();
    assert!(
        message.contains("steady-state watch") && message.contains("memory_growth"),
        "history names the guard: {message}"
    );
    // 1.0.0 serves every replica of prod again.
    let releases = wait_for(Duration::from_secs(10), "2.0.0 to stop", || async {
        let replicas = client.ps(Some("prod")).await.unwrap();
        let versions: std::collections::BTreeSet<String> = replicas
            .iter()
            .map(|replica| replica.release.clone())
            .collect();
        if versions.len() == 1 {
            Ok(versions)
        } else {
            Err(format!("{versions:?}"))
        }
    })
    .await;
    let v1 = client
        .releases()
        .await
        .unwrap()
        .into_iter()
        .find(|release| release.version == "1.0.0")
        .expect("1.0.0 is stored");
    assert_eq!(releases.into_iter().next(), Some(v1.digest.clone()));

    // The incident is about 2.0.0 and over once 1.0.0 serves.
    let closed = wait_for(Duration::from_secs(10), "the incident to close", || async {
        match incidents(&setup.home).first() {
            Some(incident) if incident.closed_at.is_some() => Ok(incident.clone()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(
        closed.release.as_ref().map(|r| r.version.as_str()),
        Some("2.0.0")
    );
    assert!(closed.summary.contains("rolled back"), "{closed:?}");
    let firing = setup.receiver.with_status("firing");
    assert_eq!(firing.len(), 1, "{firing:#?}");
    assert_alert_about(&firing[0], "firing", "2.0.0");
    wait_for(Duration::from_secs(5), "the resolved alert", || async {
        let resolved = setup.receiver.with_status("resolved");
        resolved
            .first()
            .cloned()
            .ok_or_else(|| "none yet".to_string())
    })
    .await;
    let logged = events(client).await;
    for event in logged.iter().filter(|event| event.ts >= closed.opened_at) {
        eprintln!("{} {}: {}", event.ts, event.kind, event.message);
    }
    assert!(
        kinds(&logged).contains(&"watch.remediated"),
        "{:?}",
        watch_events(&logged)
    );
    let report = setup.traffic.finish().await;
    assert!(
        report.errors.is_empty(),
        "no request failed: {:?}",
        report.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_rolled_back_by_a_guard_alerts_the_envs_webhooks() {
    // 1.0.0 ignores the flag; 2.0.0 leaks while it is on, from its start.
    let setup = setup("alert", &[("1.0.0", false)]).await;
    let client = &setup.client;
    set_leak(client, true, "tester", "try the new cache").await;
    let bundle = setup.app.build("2.0.0", true, "alert", &setup.webhook);
    import(client, &bundle).await;
    let stream = client
        .deploy(
            "prod",
            &DeployRequest {
                release: "2.0.0".to_string(),
                strategy: Some("canary".to_string()),
                user: "tester".to_string(),
                allow_contract: false,
            },
        )
        .await
        .expect("deploy accepted");
    let (_, record) = tokio::time::timeout(Duration::from_secs(60), finish(stream))
        .await
        .expect("the canary ends in time");
    assert_eq!(record.outcome, "rolled_back", "{record:?}");
    assert_eq!(record.failed_guard.as_deref(), Some("memory_growth"));

    let firing = wait_for(Duration::from_secs(10), "the firing alert", || async {
        let firing = setup.receiver.with_status("firing");
        firing
            .first()
            .cloned()
            .ok_or_else(|| "none yet".to_string())
    })
    .await;
    assert_alert_about(&firing, "firing", "2.0.0");
    let annotations = &firing["alerts"][0]["annotations"];
    assert!(
        annotations["summary"]
            .as_str()
            .is_some_and(|summary| summary.contains("canary") && summary.contains("rolled back")),
        "{annotations:#}"
    );
    // The rollback ended it: the same alert resolves.
    let resolved = wait_for(Duration::from_secs(10), "the resolved alert", || async {
        let resolved = setup.receiver.with_status("resolved");
        resolved
            .first()
            .cloned()
            .ok_or_else(|| "none yet".to_string())
    })
    .await;
    assert_alert_about(&resolved, "resolved", "2.0.0");
    assert_eq!(
        resolved["alerts"][0]["fingerprint"],
        firing["alerts"][0]["fingerprint"]
    );
    let logged = events(client).await;
    assert!(
        kinds(&logged).contains(&"alert.sent"),
        "{:?}",
        kinds(&logged)
    );
    assert!(
        !kinds(&logged).contains(&"watch.guard_failed"),
        "1.0.0 does not leak: the watch stays quiet: {:?}",
        watch_events(&logged)
    );
    drop(setup.traffic);
}
