//! `daytwo why`: a real shop log line maps to the shop's source line.

use crate::app::home;
use std::path::Path;

const SHOP_LINE: &str = r#"{"ts":"2026-11-27T04:00:00Z","level":"info","msg":"analytics buckets","entries":3,"bytes":49152,"minutes":1,"replica":"dev/web.1"}"#;

fn shop_spec() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/shop/daytwo.toml")
        .display()
        .to_string()
}

#[test]
fn why_prints_the_shop_analytics_line_first() {
    let home = home();
    let output = home
        .run(&["why", SHOP_LINE, "--spec", &shop_spec()])
        .success();
    let first = output.stdout.lines().next().unwrap_or_default();
    assert!(first.contains("analytics.rs:"), "{output:#?}");
    let line: usize = first.rsplit(':').next().unwrap().parse().unwrap();
    let source = std::fs::read_to_string(first.rsplit_once(':').unwrap().0).unwrap();
    assert!(
        source
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("\"analytics buckets\"")
    );

    let json = home
        .run(&[
            "why",
            SHOP_LINE,
            "--spec",
            &shop_spec(),
            "--json",
            "--limit",
            "2",
        ])
        .success();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let best = &value["matches"][0];
    assert!(
        best["file"].as_str().unwrap().ends_with("analytics.rs"),
        "{value}"
    );
    assert_eq!(best["line"].as_u64(), Some(line as u64));
    assert_eq!(best["function"], "record");
    assert!(best.get("commit").is_some() && best["release"].is_null());
    assert!(best["score"].as_f64().unwrap() > 0.9);
}

#[test]
fn why_exits_1_when_nothing_matches() {
    let home = home();
    let output = home.run(&["why", "zebra quantum xylophone", "--spec", &shop_spec()]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    assert!(output.stderr.contains("matches this line"), "{output:#?}");
}
