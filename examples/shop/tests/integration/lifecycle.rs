//! Starting and stopping: configuration errors, the database location,
//! sharing one file between replicas, graceful stops on signals.

use crate::http::{get, post_json};
use crate::shop::{Shop, Workdir, migrate, run_to_exit};
use nix::sys::signal::Signal;
use serde_json::json;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn refuses_to_start_without_port() {
    let workdir = Workdir::new();
    let mut command = workdir.command(&[]);
    command.env_remove("PORT");
    let (status, stderr) = run_to_exit(command);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("PORT is not set"), "{stderr}");
}

#[test]
fn refuses_a_port_that_is_not_a_number() {
    let workdir = Workdir::new();
    let mut command = workdir.command(&[]);
    command.env("PORT", "eighty");
    let (status, stderr) = run_to_exit(command);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("\"eighty\""), "{stderr}");
}

#[test]
fn fails_with_exit_1_when_the_port_is_taken() {
    let workdir = Workdir::new();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut command = workdir.command(&[]);
    command.env("PORT", taken.local_addr().unwrap().port().to_string());
    let (status, stderr) = run_to_exit(command);
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("cannot listen on"), "{stderr}");
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let workdir = Workdir::new();
    let (status, stderr) = run_to_exit(workdir.command(&["frobnicate"]));
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("unknown command `frobnicate`"), "{stderr}");
}

#[test]
fn default_database_is_named_after_the_env() {
    let workdir = Workdir::unmigrated();
    migrate(&workdir.path().join("shop-qa.db"));
    let mut command = workdir.command(&[]);
    command.env_remove("SHOP_DB").env("DAYTWO_ENV", "qa");
    let shop = Shop::web(command);
    assert_eq!(get(shop.addr(), "/healthz").status, 200);
    assert!(workdir.path().join("shop-qa.db").exists());
    assert!(!workdir.db().exists());
}

#[test]
fn replicas_share_orders_through_one_database_file() {
    let workdir = Workdir::new();
    let one = Shop::web(workdir.command(&[]));
    let two = Shop::web(workdir.command(&[]));
    let order = post_json(
        one.addr(),
        "/orders",
        &json!({ "product_id": 1, "quantity": 1 }),
    )
    .json();
    let read = get(two.addr(), &format!("/orders/{}", order["id"]));
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), order);
    // Both replicas read the one catalogue the migrations seeded.
    assert_eq!(
        get(one.addr(), "/products").json(),
        get(two.addr(), "/products").json()
    );
}

#[test]
fn sigterm_stops_gracefully_with_exit_0() {
    let workdir = Workdir::new();
    let mut shop = Shop::web(workdir.command(&[]));
    shop.signal(Signal::SIGTERM);
    let status = shop.wait_exit();
    assert_eq!(status.code(), Some(0));
    assert_eq!(shop.wait_for_log("shutting down")["signal"], "SIGTERM");
    shop.wait_for_log("stopped");
}

#[test]
fn sigint_stops_gracefully_with_exit_0() {
    let workdir = Workdir::new();
    let mut shop = Shop::web(workdir.command(&[]));
    shop.signal(Signal::SIGINT);
    assert_eq!(shop.wait_exit().code(), Some(0));
    assert_eq!(shop.wait_for_log("shutting down")["signal"], "SIGINT");
}

#[test]
fn stops_accepting_but_finishes_inflight_requests_after_sigterm() {
    let workdir = Workdir::new();
    let mut shop = Shop::web(workdir.command(&[]));
    let addr = shop.addr();
    let inflight = thread::spawn(move || get(addr, "/slow?ms=800"));
    shop.wait_for_log("slow request started");

    shop.signal(Signal::SIGTERM);
    shop.wait_for_log("shutting down");
    // While the slow request is still running, new connections are refused.
    let deadline = Instant::now() + Duration::from_millis(500);
    while TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !inflight.is_finished(),
        "the slow request ended too early to tell"
    );

    let response = inflight.join().expect("request thread");
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["slept_ms"], 800);
    assert_eq!(shop.wait_exit().code(), Some(0));
}
