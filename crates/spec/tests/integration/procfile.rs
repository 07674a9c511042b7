//! Procfile import.

use crate::bad_spec::render;
use daytwo_spec::{HealthProbe, code, parse_str, procfile};
use std::path::Path;

const PROCFILE: &str = "# foreman processes\nweb: bundle exec puma -p $PORT -e ${RACK_ENV:-development}\n\nworker:   bundle exec sidekiq\nrelease: ./migrate.sh\n";

#[test]
fn procfile_converts_to_a_spec_that_loads() {
    let toml = procfile::convert(PROCFILE, "shop").unwrap();
    insta::assert_snapshot!(toml);
    let spec = parse_str(&toml, Path::new("/srv/shop/daytwo.toml"), &|_| None)
        .unwrap()
        .spec;
    let dev = spec.env("dev").unwrap();
    let web = &dev.processes["web"];
    assert!(web.http);
    assert_eq!(
        web.command,
        "bundle exec puma -p $PORT -e ${RACK_ENV:-development}"
    );
    assert_eq!(web.health.as_ref().unwrap().probe, HealthProbe::Tcp);
    assert_eq!(dev.processes["worker"].command, "bundle exec sidekiq");
    assert!(!dev.processes["worker"].http);
    assert_eq!(dev.processes.len(), 2, "the release phase is not a service");
    assert!(dev.listen.is_some());
}

#[test]
fn procfile_bad_lines_are_reported_with_line_numbers() {
    let error = procfile::convert(
        "web: serve\nthis is not a process\nweb: again\nworker:\n",
        "shop",
    )
    .unwrap_err();
    let found: Vec<_> = error
        .diagnostics()
        .iter()
        .map(|d| (d.code.clone(), d.line))
        .collect();
    assert_eq!(
        found,
        vec![
            (code::PROCFILE_INVALID_LINE.to_string(), Some(2)),
            (code::PROCFILE_DUPLICATE_PROCESS.to_string(), Some(3)),
            (code::PROCFILE_INVALID_LINE.to_string(), Some(4)),
        ]
    );
    insta::assert_snapshot!(render(&error));
}

#[test]
fn empty_procfile_is_an_error() {
    let error = procfile::convert("# nothing\n\n", "shop").unwrap_err();
    assert_eq!(error.code(), code::PROCFILE_EMPTY);
}

#[test]
fn invalid_app_name_is_made_valid() {
    let toml = procfile::convert("web: serve\n", "My App!").unwrap();
    let spec = parse_str(&toml, Path::new("/srv/daytwo.toml"), &|_| None)
        .unwrap()
        .spec;
    assert_eq!(spec.app, "my-app");
}
