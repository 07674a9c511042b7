//! A real OpenFeature SDK (`@openfeature/server-sdk`) with its OFREP
//! provider (`@openfeature/ofrep-provider`), run by node, as the client.
//!
//! The packages live in `crates/flags/tests/js` (package-lock.json
//! committed). CI installs them with `npm ci --prefix crates/flags/tests/js`;
//! with `CI=true` and no node_modules these tests fail. Locally they run
//! `npm ci` themselves the first time.

use crate::support::{Server, TOKEN};
use serde_json::{Value, json};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};
use tokio::time::timeout;

/// How long a flip may take to reach the client (the bound).
const FLIP_BOUND: Duration = Duration::from_secs(1);
const NODE_RUN_LIMIT: Duration = Duration::from_secs(30);

fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Makes sure node_modules is there: an error under CI (its install step
/// is missing), else `npm ci` once, serialised across test processes.
fn ensure_node_modules() {
    let dir = js_dir();
    let installed = || {
        dir.join("node_modules/@openfeature/ofrep-provider/package.json")
            .exists()
    };
    if installed() {
        return;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{}/node_modules is missing: CI must run `npm ci --prefix crates/flags/tests/js` before the tests",
        dir.display()
    );
    let lock = File::create(dir.join(".npm-install.lock")).unwrap();
    lock.lock().unwrap();
    if !installed() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm runs (node and npm must be installed)");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
}

fn node(mode: &str, server: &Server, token: Option<&str>) -> Command {
    ensure_node_modules();
    let mut command = Command::new("node");
    command
        .arg("client.mjs")
        .arg(mode)
        .arg(server.url())
        .args(token)
        .current_dir(js_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    command
}

/// Runs a mode to completion and returns its one JSON line.
async fn run(mode: &str, server: &Server, token: Option<&str>) -> Value {
    let output = timeout(NODE_RUN_LIMIT, node(mode, server, token).output())
        .await
        .expect("node finished in time")
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "node {mode} failed: {stdout}");
    serde_json::from_str(stdout.lines().last().expect("a line")).unwrap()
}

async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> Value {
    let line = timeout(NODE_RUN_LIMIT, lines.next_line())
        .await
        .expect("node printed in time")
        .unwrap()
        .expect("node printed a line");
    serde_json::from_str(&line).unwrap()
}

#[tokio::test]
async fn the_sdk_evaluates_every_type_with_reasons_variants_and_errors() {
    let server = Server::start(None).await;
    let result = run("evaluate", &server, None).await;
    assert_eq!(
        result["analytics"],
        json!({"value": true, "variant": "on", "reason": "STATIC", "errorCode": null,
               "flagMetadata": {"owner": "data-team"}})
    );
    assert_eq!(result["banner"]["value"], "blue");
    assert_eq!(result["banner"]["reason"], "DEFAULT");
    assert_eq!(result["bannerQa"]["value"], "red");
    assert_eq!(result["bannerQa"]["reason"], "TARGETING_MATCH");
    assert_eq!(result["pageSize"]["value"], 20);
    assert_eq!(result["ratio"]["value"], 0.25);
    assert_eq!(result["limits"]["value"], json!({"burst": 10}));
    assert_eq!(result["missing"]["value"], false);
    assert_eq!(result["missing"]["errorCode"], "FLAG_NOT_FOUND");
    assert_eq!(
        result["noTargetingKey"]["errorCode"],
        "TARGETING_KEY_MISSING"
    );
    assert_eq!(result["wrongType"]["value"], 7);
    assert_eq!(result["wrongType"]["errorCode"], "TYPE_MISMATCH");
}

#[tokio::test]
async fn the_ofrep_client_bulk_evaluates_and_revalidates_with_its_etag() {
    let server = Server::start(None).await;
    let result = run("bulk", &server, None).await;
    assert_eq!(result["status"], 200);
    assert_eq!(result["revalidatedStatus"], 304);
    let flags = result["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 6);
    assert!(
        flags
            .iter()
            .any(|f| f["key"] == "analytics" && f["value"] == true)
    );
    assert_eq!(result["eventStreams"][0]["type"], "sse");
}

/// Starts `mode`, waits for its `ready` line, flips `analytics` off and
/// returns how long the client took to report the change.
async fn flip_observed_after(mode: &str) -> Duration {
    let server = Server::start(None).await;
    let mut child = node(mode, &server, None).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(
        next_line(&mut lines).await,
        json!({"event": "ready", "value": true})
    );
    let flipped = Instant::now();
    server.handle.set_value("analytics", json!(false)).unwrap();
    let changed = next_line(&mut lines).await;
    let elapsed = flipped.elapsed();
    assert_eq!(changed["event"], "changed", "{changed}");
    assert_eq!(changed["value"], false);
    let status = timeout(NODE_RUN_LIMIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    elapsed
}

#[tokio::test]
async fn a_flip_reaches_the_sdk_within_a_second() {
    let elapsed = flip_observed_after("flip").await;
    assert!(elapsed < FLIP_BOUND, "took {elapsed:?}");
}

#[tokio::test]
async fn a_flip_reaches_an_sse_following_client_within_a_second() {
    let elapsed = flip_observed_after("events").await;
    assert!(elapsed < FLIP_BOUND, "took {elapsed:?}");
}

#[tokio::test]
async fn the_sdk_gets_its_default_and_an_error_when_the_token_is_wrong() {
    let server = Server::start(Some(TOKEN)).await;
    let denied = run("auth", &server, Some("wrong")).await;
    assert_eq!(denied["analytics"]["value"], false);
    assert_eq!(denied["analytics"]["reason"], "ERROR");
    assert_eq!(denied["analytics"]["errorCode"], "GENERAL");
    let anonymous = run("auth", &server, None).await;
    assert_eq!(anonymous["analytics"]["reason"], "ERROR");
    let allowed = run("auth", &server, Some(TOKEN)).await;
    assert_eq!(allowed["analytics"]["value"], true);
    assert_eq!(allowed["analytics"]["errorCode"], Value::Null);
}
