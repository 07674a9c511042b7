//! The analytics feature writes per-minute rollups into `analytics_rollups`
//! (the expand-only migration 0002) while its flag is on; with the flag
//! off the shop works against the same schema and leaves the table alone.

use crate::http::get;
use crate::shop::{Shop, Workdir};
use nix::sys::signal::Signal;
use rusqlite::Connection;
use std::process::Command;
use std::time::{Duration, Instant};

fn command(workdir: &Workdir, analytics: bool, flush_ms: u64) -> Command {
    let mut command = workdir.command(&[]);
    command
        .env("DAYTWO_FLAG_ANALYTICS", analytics.to_string())
        .env("SHOP_ANALYTICS_BYTES", "64")
        .env("SHOP_ANALYTICS_FLUSH_MS", flush_ms.to_string());
    command
}

/// `(path, requests)` summed over the table's rows, by path.
fn rollups(workdir: &Workdir) -> Vec<(String, i64)> {
    let db = Connection::open(workdir.db()).unwrap();
    let mut statement = db
        .prepare("SELECT path, SUM(requests) FROM analytics_rollups GROUP BY path ORDER BY path")
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn browse(shop: &Shop, path: &str, requests: usize) {
    for _ in 0..requests {
        assert_eq!(get(shop.addr(), path).status, 200, "GET {path}");
    }
}

#[test]
fn with_the_flag_on_request_counts_are_flushed_into_the_rollups_table() {
    let workdir = Workdir::new();
    let shop = Shop::web(command(&workdir, true, 100));
    browse(&shop, "/products", 4);
    browse(&shop, "/products/1", 2);
    get(shop.addr(), "/healthz");
    let expected = vec![("/products".to_string(), 4), ("/products/1".to_string(), 2)];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let rows = rollups(&workdir);
        if rows == expected {
            break;
        }
        assert!(Instant::now() < deadline, "rollups: {rows:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let written = shop.wait_for_log("analytics rollups written");
    assert!(written["requests"].as_u64().unwrap() > 0, "{written}");
    let db = Connection::open(workdir.db()).unwrap();
    let bucket: String = db
        .query_row(
            "SELECT bucket_start FROM analytics_rollups LIMIT 1",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(
        bucket.ends_with(":00Z") && bucket.len() == "2026-01-01T00:00:00Z".len(),
        "a minute in RFC 3339 UTC: {bucket}"
    );
}

#[test]
fn a_clean_stop_flushes_what_was_counted_since_the_last_flush() {
    let workdir = Workdir::new();
    // The periodic flush would come only after a minute.
    let mut shop = Shop::web(command(&workdir, true, 60_000));
    browse(&shop, "/products", 3);
    assert!(rollups(&workdir).is_empty());
    shop.signal(Signal::SIGTERM);
    assert_eq!(shop.wait_exit().code(), Some(0));
    assert_eq!(rollups(&workdir), [("/products".to_string(), 3)]);
}

#[test]
fn with_the_flag_off_the_shop_serves_on_the_new_schema_and_writes_no_rollup() {
    let workdir = Workdir::new();
    let mut shop = Shop::web(command(&workdir, false, 100));
    browse(&shop, "/products", 3);
    std::thread::sleep(Duration::from_millis(300));
    shop.signal(Signal::SIGTERM);
    assert_eq!(shop.wait_exit().code(), Some(0));
    assert!(rollups(&workdir).is_empty());
}
