//! `examples/shop/daytwo.toml` keeps the shape the README and issue promise.
//! (Its full validation is `daytwo check`, tested in the spec crate.)

use std::collections::BTreeSet;

fn spec() -> toml::Table {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/daytwo.toml");
    let text = std::fs::read_to_string(path).expect("read daytwo.toml");
    text.parse().expect("daytwo.toml is valid TOML")
}

#[test]
fn spec_declares_four_envs_on_distinct_local_ports() {
    let spec = spec();
    let envs = spec["env"].as_table().expect("[env.*] tables");
    let names: BTreeSet<&str> = envs.keys().map(String::as_str).collect();
    assert_eq!(names, BTreeSet::from(["dev", "prod", "qa", "staging"]));
    let listens: BTreeSet<&str> = envs
        .values()
        .map(|env| env["listen"].as_str().expect("listen"))
        .collect();
    assert_eq!(listens.len(), 4, "distinct listen addresses: {listens:?}");
    assert!(
        listens
            .iter()
            .all(|listen| listen.starts_with("127.0.0.1:"))
    );
}

#[test]
fn spec_runs_two_web_replicas_in_dev_and_a_worker() {
    let spec = spec();
    assert_eq!(spec["app"]["name"].as_str(), Some("shop"));
    assert_eq!(
        spec["env"]["dev"]["process"]["web"]["replicas"].as_integer(),
        Some(2)
    );
    let web = &spec["process"]["web"];
    assert_eq!(web["http"].as_bool(), Some(true));
    assert_eq!(web["health"]["path"].as_str(), Some("/healthz"));
    let worker = spec["process"]["worker"]["command"].as_str().unwrap();
    assert!(
        worker.contains("exec bin/shop worker") && worker.contains("/target/debug/shop} worker"),
        "{worker}"
    );
}

#[test]
fn spec_keeps_the_schema_in_migrations_in_the_env_data_dir_and_builds_the_binary() {
    let spec = spec();
    assert_eq!(spec["migrations"]["dir"].as_str(), Some("migrations"));
    assert_eq!(
        spec["migrations"]["database"].as_str(),
        Some("sqlite://shop.db"),
        "relative: $DAYTWO_DATA_DIR/shop.db, where the shop opens it"
    );
    let artifacts = spec["build"]["artifacts"].as_array().unwrap();
    assert_eq!(artifacts, &[toml::Value::from("bin/shop")]);
    let build = spec["build"]["command"].as_str().unwrap();
    assert!(build.starts_with("cargo build -p shop"), "{build}");
    // A release runs the packed binary; the working tree the cargo build.
    let web = spec["process"]["web"]["command"].as_str().unwrap();
    assert!(
        web.contains("\"$DAYTWO_RELEASE\" = working-tree") && web.contains("exec bin/shop;"),
        "{web}"
    );
}

#[test]
fn spec_declares_the_analytics_kill_switch_off_by_default_and_on_in_prod() {
    let spec = spec();
    let flag = &spec["flags"]["analytics"];
    assert_eq!(flag["type"].as_str(), Some("boolean"));
    assert_eq!(flag["default"].as_bool(), Some(false));
    assert!(
        flag["description"]
            .as_str()
            .unwrap()
            .contains("Kill switch")
    );
    assert_eq!(
        spec["env"]["prod"]["flags"]["analytics"].as_bool(),
        Some(true)
    );
    let loaded = daytwo_spec::load_with(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/daytwo.toml")),
        &|_| None,
    )
    .expect("daytwo.toml passes daytwo's checks");
    let dev = loaded.spec.env("dev").unwrap();
    assert_eq!(dev.flags["analytics"].value, serde_json::Value::Bool(false));
}
