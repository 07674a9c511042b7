//! The `analytics` flag read over OFREP from a real daytwo flags server,
//! and the analytics feature it switches, as a replica under daytwo sees
//! them: `DAYTWO_FLAGS_URL`, `DAYTWO_FLAGS_TOKEN`, `DAYTWO_FLAG_ANALYTICS`.

use crate::flag_server::{FlagServer, TOKEN};
use crate::http::get;
use crate::shop::{Shop, Workdir, run_to_exit};
use serde_json::Value;
use std::process::Command;
use std::thread;
use std::time::Duration;

/// The promise: a flip is seen by the app within a second.
const FLIP_WITHIN: Duration = Duration::from_secs(1);
/// Bytes per recorded request in these tests (small: only counts matter).
const BYTES: usize = 1024;

fn command(
    workdir: &Workdir,
    server: Option<(&FlagServer, &str)>,
    initial: Option<&str>,
) -> Command {
    let mut command = workdir.command(&[]);
    command
        .env("SHOP_ANALYTICS_BYTES", BYTES.to_string())
        .env("SHOP_ANALYTICS_LOG_EVERY", "5")
        .env("SHOP_FLAGS_POLL_MS", "200")
        .env("DAYTWO_REPLICA", "prod/web.1");
    if let Some((server, token)) = server {
        command
            .env("DAYTWO_FLAGS_URL", server.url())
            .env("OFREP_ENDPOINT", server.url())
            .env("DAYTWO_FLAGS_TOKEN", token);
    }
    if let Some(initial) = initial {
        command.env("DAYTWO_FLAG_ANALYTICS", initial);
    }
    command
}

fn browse(shop: &Shop, requests: usize) {
    for _ in 0..requests {
        assert_eq!(get(shop.addr(), "/products").status, 200);
    }
}

fn analytics(shop: &Shop) -> Value {
    let response = get(shop.addr(), "/analytics");
    assert_eq!(response.status, 200, "{response:?}");
    response.json()
}

#[test]
fn turning_analytics_off_stops_recording_within_a_second_and_on_resumes_it() {
    let server = FlagServer::start("prod");
    let workdir = Workdir::new();
    let mut command = command(&workdir, Some((&server, TOKEN)), Some("true"));
    // Polls too rarely to matter: the change event alone must deliver the flip.
    command.env("SHOP_FLAGS_POLL_MS", "60000");
    let shop = Shop::web(command);
    shop.wait_for_log("flags connected");
    shop.wait_for_log("flag events connected");

    browse(&shop, 5);
    let summary = analytics(&shop);
    assert_eq!(summary["enabled"], true, "{summary}");
    assert_eq!(summary["entries"], 5, "{summary}");
    assert!(
        summary["bytes"].as_u64().unwrap() >= 5 * BYTES as u64,
        "{summary}"
    );
    let buckets = shop.wait_for_log("analytics buckets");
    assert_eq!(buckets["entries"], 5, "{buckets}");

    server.set_analytics(false);
    let changed =
        shop.wait_for_log_within(FLIP_WITHIN, "flag changed", |line| line["value"] == false);
    assert_eq!(changed["flag"], "analytics", "{changed}");
    assert_eq!(changed["previous"], true, "{changed}");
    assert_eq!(changed["trigger"], "event", "{changed}");
    assert_eq!(changed["replica"], "prod/web.1", "{changed}");

    browse(&shop, 5);
    let summary = analytics(&shop);
    assert_eq!(summary["enabled"], false, "{summary}");
    assert_eq!(
        summary["entries"], 5,
        "the kill switch stops the growth: {summary}"
    );

    server.set_analytics(true);
    shop.wait_for_log_within(FLIP_WITHIN, "flag changed", |line| line["value"] == true);
    browse(&shop, 2);
    assert_eq!(analytics(&shop)["entries"], 7);
}

#[test]
fn a_flip_is_seen_by_polling_when_the_event_stream_is_unreachable() {
    // The server advertises its event stream at an address nobody serves.
    let server = FlagServer::start_with("prod", Some("http://127.0.0.1:9"));
    let workdir = Workdir::new();
    let shop = Shop::web(command(&workdir, Some((&server, TOKEN)), Some("true")));
    shop.wait_for_log("flags connected");
    shop.wait_for_log("flag events unavailable");

    server.set_analytics(false);
    let changed =
        shop.wait_for_log_within(FLIP_WITHIN, "flag changed", |line| line["value"] == false);
    assert_eq!(changed["trigger"], "poll", "{changed}");
    browse(&shop, 2);
    assert_eq!(analytics(&shop)["entries"], 0);
}

#[test]
fn the_served_value_replaces_the_initial_value_once_fetched() {
    let server = FlagServer::start("prod");
    let workdir = Workdir::new();
    let shop = Shop::web(command(&workdir, Some((&server, TOKEN)), Some("false")));
    let changed = shop.wait_for_log_where("flag changed", |line| line["value"] == true);
    assert_eq!(changed["flag"], "analytics");
    assert_eq!(changed["reason"], "STATIC", "prod's env value: {changed}");
    browse(&shop, 2);
    assert_eq!(analytics(&shop)["entries"], 2);
}

#[test]
fn a_wrong_token_is_logged_once_and_the_default_stays() {
    let server = FlagServer::start("prod"); // serves analytics = true
    let workdir = Workdir::new();
    let shop = Shop::web(command(&workdir, Some((&server, "not-the-token")), None));
    let failure = shop.wait_for_log("flags unavailable");
    assert_eq!(failure["level"], "error", "{failure}");
    assert_eq!(failure["status"], 403, "{failure}");
    let error = failure["error"].as_str().unwrap();
    assert!(
        error.contains("DAYTWO_FLAGS_TOKEN"),
        "says what to fix: {error}"
    );
    assert_eq!(failure["kept"], "analytics=false", "{failure}");

    // Several polls later: still the default, and the failure logged once.
    thread::sleep(Duration::from_millis(600));
    browse(&shop, 3);
    let summary = analytics(&shop);
    assert_eq!(
        (&summary["enabled"], &summary["entries"]),
        (&Value::Bool(false), &Value::from(0))
    );
    let logs = shop.logs();
    let count = |msg: &str| logs.iter().filter(|line| line["msg"] == msg).count();
    assert_eq!(count("flags unavailable"), 1, "{logs:#?}");
    assert_eq!(count("flag changed"), 0, "{logs:#?}");
}

#[test]
fn losing_the_flags_server_keeps_the_last_served_value() {
    let server = FlagServer::start("prod");
    let workdir = Workdir::new();
    let shop = Shop::web(command(&workdir, Some((&server, TOKEN)), Some("true")));
    shop.wait_for_log("flags connected");
    drop(server);
    let failure = shop.wait_for_log("flags unavailable");
    assert_eq!(failure["kept"], "analytics=true", "{failure}");
    browse(&shop, 2);
    assert_eq!(analytics(&shop)["entries"], 2);
}

#[test]
fn without_a_flags_url_the_initial_value_is_used_for_good() {
    let workdir = Workdir::new();
    let shop = Shop::web(command(&workdir, None, Some("true")));
    let line = shop.wait_for_log("flags not configured");
    assert_eq!(
        (&line["flag"], &line["value"]),
        (&Value::from("analytics"), &Value::Bool(true))
    );

    browse(&shop, 5);
    let buckets = shop.wait_for_log("analytics buckets");
    assert_eq!(buckets["entries"], 5, "{buckets}");
    // Health checks and the summary itself are never recorded.
    assert_eq!(get(shop.addr(), "/healthz").status, 200);
    let summary = analytics(&shop);
    assert_eq!(summary["entries"], 5, "{summary}");
    assert_eq!(summary["bytes_per_request"], BYTES, "{summary}");
}

#[test]
fn analytics_is_off_when_nothing_turns_it_on() {
    let workdir = Workdir::new();
    let shop = Shop::web(command(&workdir, None, None));
    browse(&shop, 3);
    let summary = analytics(&shop);
    assert_eq!(
        (&summary["enabled"], &summary["entries"]),
        (&Value::Bool(false), &Value::from(0))
    );
}

#[test]
fn an_initial_value_that_is_not_a_boolean_is_a_usage_error() {
    let workdir = Workdir::new();
    let (status, stderr) = run_to_exit(command(&workdir, None, Some("yes")));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("DAYTWO_FLAG_ANALYTICS"), "{stderr}");
}
