//! `shop worker`: the second process type.

use crate::http::{get, post_json};
use crate::shop::{Shop, Workdir};
use nix::sys::signal::Signal;
use serde_json::json;

fn fast_worker(workdir: &Workdir) -> Shop {
    let mut command = workdir.command(&["worker"]);
    command
        .env_remove("PORT")
        .env("SHOP_WORKER_INTERVAL_MS", "50")
        .env("DAYTWO_REPLICA", "dev/worker.1");
    Shop::worker(command)
}

#[test]
fn worker_fulfils_orders_taken_by_the_web_process() {
    let workdir = Workdir::new();
    let web = Shop::web(workdir.command(&[]));
    let worker = fast_worker(&workdir);
    let order = post_json(
        web.addr(),
        "/orders",
        &json!({ "product_id": 3, "quantity": 2 }),
    )
    .json();

    let fulfilled = worker.wait_for_log("orders fulfilled");
    assert_eq!(fulfilled["count"], 1);
    assert_eq!(fulfilled["replica"], "dev/worker.1");
    let read = get(web.addr(), &format!("/orders/{}", order["id"])).json();
    assert_eq!(read["status"], "fulfilled");
    assert!(read["fulfilled_at"].is_string());
}

#[test]
fn worker_logs_the_pending_order_count_each_pass() {
    let workdir = Workdir::new();
    let worker = fast_worker(&workdir);
    let line = worker.wait_for_log("pending orders");
    assert_eq!(line["count"], 0);
}

#[test]
fn worker_needs_no_port_and_stops_on_sigterm_with_exit_0() {
    let workdir = Workdir::new();
    let mut worker = fast_worker(&workdir);
    worker.signal(Signal::SIGTERM);
    assert_eq!(worker.wait_exit().code(), Some(0));
    worker.wait_for_log("shutting down");
}
