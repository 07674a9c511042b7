//! Warnings: reported, but the spec still loads.

use crate::bad_spec::render;
use daytwo_spec::{Severity, code, parse_str};
use std::path::Path;

#[test]
fn warnings_do_not_fail_loading_and_are_reported_separately() {
    let text = r#"[app]
name = "hello"

[process.web]
command = "x"
http = true
health = { path = "/healthz", interval = "1s", timeout = "3s" }
environment = { PORT = "80" }

[process.worker]
command = "y"

[env.batch]
listen = "127.0.0.1:18090"

[env.batch.process.web]
http = false
"#;
    let loaded = parse_str(text, Path::new("daytwo.toml"), &|_| None).unwrap();
    let found: Vec<_> = loaded
        .warnings
        .iter()
        .map(|w| (w.code.as_str(), w.severity, w.line, w.field.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                code::HEALTH_TIMEOUT_EXCEEDS_INTERVAL,
                Severity::Warning,
                Some(7),
                Some("process.web.health.timeout")
            ),
            (
                code::RESERVED_ENV_VAR,
                Severity::Warning,
                Some(8),
                Some("process.web.environment.PORT")
            ),
            (
                code::LISTEN_WITHOUT_HTTP,
                Severity::Warning,
                Some(14),
                Some("env.batch.listen")
            ),
        ]
    );
    let report = loaded.warnings_report.expect("a renderable report");
    insta::assert_snapshot!(render(&report));
}

#[test]
fn warnings_are_kept_alongside_errors_when_loading_fails() {
    let text = "[app]\nname = \"hello\"\n[process.web]\ncommand = \"\"\nenvironment = { DAYTWO_ENV = \"x\" }\n";
    let error = parse_str(text, Path::new("daytwo.toml"), &|_| None).unwrap_err();
    let severities: Vec<_> = error.diagnostics().iter().map(|d| d.severity).collect();
    assert_eq!(severities, vec![Severity::Error, Severity::Warning]);
}
