//! The starter spec of `daytwo init`.

use daytwo_spec::{load_with, starter};

#[test]
fn starter_spec_loads_cleanly_with_web_dev_and_prod() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daytwo.toml");
    std::fs::write(&path, starter("hello")).unwrap();
    let loaded = load_with(&path, &|_| None).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let spec = loaded.spec;
    assert_eq!(spec.app, "hello");
    assert_eq!(
        spec.env_names(),
        vec!["dev".to_string(), "prod".to_string()]
    );
    assert!(spec.env("dev").unwrap().http_process().is_some());
    assert_eq!(spec.env("prod").unwrap().processes["web"].replicas, 3);
}

#[test]
fn starter_comments_every_process_key() {
    let text = starter("hello");
    for key in [
        "command",
        "http",
        "replicas",
        "health",
        "memory_limit",
        "stop_signal",
        "stop_timeout",
        "environment",
        "restart",
        "listen",
    ] {
        assert!(text.contains(key), "starter mentions `{key}`");
    }
}

#[test]
fn starter_makes_an_invalid_app_name_valid() {
    assert!(starter("My_Project").contains("name = \"my-project\""));
}

#[test]
fn starter_commented_examples_are_valid_when_uncommented() {
    let text = starter("hello")
        .replace("# restart = ", "restart = ")
        .replace("# [process.worker]", "[process.worker]")
        .replace(
            "# command = \"python3 worker.py\"",
            "command = \"python3 worker.py\"",
        );
    let spec = daytwo_spec::parse_str(&text, std::path::Path::new("/srv/daytwo.toml"), &|_| None)
        .unwrap()
        .spec;
    assert_eq!(spec.base.processes["worker"].command, "python3 worker.py");
    assert_eq!(
        spec.base.processes["web"].restart,
        daytwo_spec::RestartPolicy::default()
    );
}
