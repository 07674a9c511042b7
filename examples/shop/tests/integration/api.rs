//! The HTTP API as a client sees it.

use crate::http::{self, get, post_json};
use crate::shop::{Shop, Workdir};
use serde_json::{Value, json};

fn start(workdir: &Workdir) -> Shop {
    Shop::web(workdir.command(&[]))
}

#[test]
fn healthz_answers_ok_once_listening() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    let response = get(shop.addr(), "/healthz");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, "ok");
    assert!(
        workdir.db().exists(),
        "the database exists before /healthz answers"
    );
}

#[test]
fn whoami_reports_identity_from_daytwo_env_vars() {
    let workdir = Workdir::new();
    let mut command = workdir.command(&[]);
    command
        .env("DAYTWO_ENV", "qa")
        .env("DAYTWO_RELEASE", "working-tree")
        .env("DAYTWO_REPLICA", "qa/web.2");
    let shop = Shop::web(command);
    let response = get(shop.addr(), "/whoami");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json(),
        json!({
            "app": "shop",
            "env": "qa",
            "release": "working-tree",
            "replica": "qa/web.2",
            "pid": shop.pid(),
            "port": shop.addr().port(),
        })
    );
}

#[test]
fn whoami_reports_null_for_identity_vars_that_are_not_set() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    let whoami = get(shop.addr(), "/whoami").json();
    assert_eq!(whoami["env"], Value::Null);
    assert_eq!(whoami["release"], Value::Null);
    assert_eq!(whoami["replica"], Value::Null);
    assert_eq!(whoami["app"], "shop");
}

#[test]
fn lists_the_seeded_products_and_reads_one() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    let products = get(shop.addr(), "/products").json();
    let products = products.as_array().expect("an array");
    assert!(products.len() >= 3, "{products:?}");
    let first = &products[0];
    assert!(first["name"].is_string() && first["price_cents"].is_i64());

    let one = get(shop.addr(), &format!("/products/{}", first["id"]));
    assert_eq!(one.status, 200);
    assert_eq!(&one.json(), first);
}

#[test]
fn unknown_product_is_a_json_404() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    let response = get(shop.addr(), "/products/9999");
    assert_eq!(response.status, 404);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let error = response.json();
    assert_eq!(error["error"], "not_found");
    assert!(error["message"].as_str().unwrap().contains("9999"));
}

#[test]
fn created_order_is_priced_and_can_be_read_back() {
    let workdir = Workdir::new();
    let mut command = workdir.command(&[]);
    command.env("DAYTWO_REPLICA", "dev/web.1");
    let shop = Shop::web(command);
    let product = get(shop.addr(), "/products/2").json();

    let created = post_json(
        shop.addr(),
        "/orders",
        &json!({ "product_id": 2, "quantity": 3 }),
    );
    assert_eq!(created.status, 201, "{created:?}");
    let order = created.json();
    assert_eq!(order["product_id"], 2);
    assert_eq!(order["quantity"], 3);
    assert_eq!(
        order["total_cents"],
        product["price_cents"].as_i64().unwrap() * 3
    );
    assert_eq!(order["status"], "pending");
    assert_eq!(order["replica"], "dev/web.1");

    let read = get(shop.addr(), &format!("/orders/{}", order["id"]));
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), order);

    let line = shop.wait_for_log("order created");
    assert_eq!(line["order_id"], order["id"]);
    assert_eq!(line["level"], "info");
    assert_eq!(line["replica"], "dev/web.1");
}

#[test]
fn order_for_an_unknown_product_is_404() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    let response = post_json(
        shop.addr(),
        "/orders",
        &json!({ "product_id": 9999, "quantity": 1 }),
    );
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["error"], "not_found");
}

#[test]
fn malformed_orders_are_400_with_a_json_error() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    let bad_bodies = [
        json!({ "product_id": 1 }),
        json!({ "product_id": 1, "quantity": 0 }),
        json!({ "product_id": 1, "quantity": 101 }),
        json!({ "product_id": -1, "quantity": 1 }),
        json!({ "product_id": "one", "quantity": 1 }),
    ];
    for body in bad_bodies {
        let response = post_json(shop.addr(), "/orders", &body);
        assert_eq!(response.status, 400, "{body} → {response:?}");
        assert_eq!(response.json()["error"], "bad_request");
    }
    let not_json = http::request(
        shop.addr(),
        "POST",
        "/orders",
        Some(("application/json", "{not json")),
    );
    assert_eq!(not_json.status, 400);
    let wrong_type = http::request(
        shop.addr(),
        "POST",
        "/orders",
        Some(("text/plain", r#"{"product_id":1,"quantity":1}"#)),
    );
    assert_eq!(wrong_type.status, 400);
}

#[test]
fn unknown_order_is_404_and_a_non_integer_id_is_400() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    assert_eq!(get(shop.addr(), "/orders/424242").status, 404);
    let response = get(shop.addr(), "/orders/abc");
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"], "bad_request");
}

#[test]
fn unknown_route_is_a_json_404() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    let response = get(shop.addr(), "/nope");
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["error"], "not_found");
}

#[test]
fn every_log_line_is_json_with_ts_level_and_msg() {
    let workdir = Workdir::new();
    let shop = start(&workdir);
    get(shop.addr(), "/products");
    shop.wait_for_log_where("request", |line| line["path"] == "/products");
    for line in shop.logs() {
        assert!(line["ts"].is_string(), "{line}");
        assert!(line["level"].is_string(), "{line}");
        assert!(line["msg"].is_string(), "{line}");
    }
    let request = shop.wait_for_log_where("request", |line| line["path"] == "/products");
    assert_eq!(request["method"], "GET");
    assert_eq!(request["status"], 200);
}
