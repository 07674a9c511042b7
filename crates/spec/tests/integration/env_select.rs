//! `Spec::env`: declared envs, the implicit `dev`, unknown names.

use crate::contract::CONTRACT;
use daytwo_spec::{SpecError, code, parse_str};
use std::path::Path;

fn load(text: &str) -> daytwo_spec::Spec {
    parse_str(text, Path::new("/srv/hello/daytwo.toml"), &|_| None)
        .unwrap()
        .spec
}

#[test]
fn undeclared_dev_is_the_base_config_without_listen() {
    let spec = load(
        "[app]\nname = \"hello\"\n[process.web]\ncommand = \"x\"\nhttp = true\n[env.prod]\nlisten = \"127.0.0.1:9001\"\n",
    );
    let dev = spec.env("dev").unwrap();
    assert_eq!(dev.env, "dev");
    assert_eq!(dev.listen, None);
    assert_eq!(dev.processes["web"].replicas, 1);
    assert_eq!(dev.file, Path::new("/srv/hello/daytwo.toml"));
    assert_eq!(dev.dir, Path::new("/srv/hello"));
    assert_eq!(
        spec.env_names(),
        vec!["dev".to_string(), "prod".to_string()]
    );
}

#[test]
fn unknown_env_suggests_a_declared_one() {
    let spec = load(CONTRACT);
    let error = spec.env("prdo").unwrap_err();
    match &error {
        SpecError::UnknownEnv {
            suggestion, known, ..
        } => {
            assert_eq!(suggestion.as_deref(), Some("prod"));
            assert_eq!(known, &vec!["dev".to_string(), "prod".to_string()]);
        }
        other => panic!("unexpected {other:?}"),
    }
    let diagnostic = &error.diagnostics()[0];
    assert_eq!(diagnostic.code, code::UNKNOWN_ENV);
    assert!(
        diagnostic
            .hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `prod`?")
    );
}
