//! `${VAR}` interpolation through a whole spec.

use daytwo_spec::{code, parse_str};
use std::path::Path;

fn lookup(name: &str) -> Option<String> {
    match name {
        "DB_HOST" => Some("db.internal".to_string()),
        "PORT" => Some("1".to_string()),
        _ => None,
    }
}

#[test]
fn variables_defaults_and_escapes_are_expanded() {
    let text = r#"
[app]
name = "shop"

[process.web]
command = "serve --port ${PORT} --replica ${DAYTWO_REPLICA} --db ${DB_HOST} $PORT $${HOME}"
environment = { DATABASE_URL = "postgres://${DB_HOST}/shop", MODE = "${MODE:-demo}", RETRIES = 3, DEBUG = false }
"#;
    let spec = parse_str(text, Path::new("/srv/daytwo.toml"), &lookup)
        .unwrap()
        .spec;
    let web = &spec.base.processes["web"];
    assert_eq!(
        web.command,
        "serve --port ${PORT} --replica ${DAYTWO_REPLICA} --db db.internal $PORT ${HOME}",
        "run-time variables stay for the shell, others are expanded"
    );
    assert_eq!(
        web.environment["DATABASE_URL"],
        "postgres://db.internal/shop"
    );
    assert_eq!(web.environment["MODE"], "demo");
    assert_eq!(web.environment["RETRIES"], "3");
    assert_eq!(web.environment["DEBUG"], "false");
}

#[test]
fn every_unset_variable_is_reported() {
    let text = "[app]\nname = \"${APP}\"\n[process.web]\ncommand = \"x\"\nenvironment = { A = \"${NOPE}\" }\n";
    let error = parse_str(text, Path::new("daytwo.toml"), &lookup).unwrap_err();
    let diagnostics = error.diagnostics();
    let found: Vec<_> = diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.field.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![
            (code::UNSET_VARIABLE, Some(2), Some("app.name")),
            (
                code::UNSET_VARIABLE,
                Some(5),
                Some("process.web.environment.A")
            ),
        ]
    );
    assert!(diagnostics[0].message.contains("`APP`"));
}

#[test]
fn load_uses_the_process_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daytwo.toml");
    // PATH is set in any environment the tests run in.
    std::fs::write(
        &path,
        "[app]\nname = \"a\"\n[process.web]\ncommand = \"x\"\nenvironment = { P = \"${PATH}\" }\n",
    )
    .unwrap();
    let spec = daytwo_spec::load(&path).unwrap().spec;
    assert_eq!(
        spec.base.processes["web"].environment["P"],
        std::env::var("PATH").unwrap()
    );
}
