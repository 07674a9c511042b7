//! `[build]` and `[checks]`: what a release is made of and what it must pass.

use daytwo_spec::{DEFAULT_SMOKE_TIMEOUT, SmokeCheck, code, parse_str};
use std::path::Path;
use std::time::Duration;

const SPEC: &str = r#"
[app]
name = "shop"

[process.web]
command = "python3 app.py"
http = true

[build]
command = "make assets"
artifacts = ["app.py", "./static/", "lib//shop", "app.py"]

[checks]
smoke = "./smoke.sh $DAYTWO_SMOKE_URL"

[env.qa]

[env.prod.checks]
smoke = "./smoke.sh --full"
smoke_timeout = "2m"
"#;

fn load() -> daytwo_spec::Loaded {
    parse_str(SPEC, Path::new("/srv/shop/daytwo.toml"), &|_| None).unwrap()
}

#[test]
fn build_artifacts_are_normalised_relative_paths() {
    let build = load().spec.build.expect("[build] is written");
    assert_eq!(build.command.as_deref(), Some("make assets"));
    assert_eq!(build.artifacts, vec!["app.py", "static", "lib/shop"]);
}

#[test]
fn a_duplicate_artifact_is_a_warning() {
    let loaded = load();
    let codes: Vec<&str> = loaded.warnings.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, vec![code::DUPLICATE_ARTIFACT]);
}

#[test]
fn a_spec_without_build_has_none() {
    let text = "[app]\nname = \"a\"\n[process.web]\ncommand = \"x\"\n";
    let spec = parse_str(text, Path::new("/a/daytwo.toml"), &|_| None)
        .unwrap()
        .spec;
    assert_eq!(spec.build, None);
    assert_eq!(spec.checks_for("dev").smoke, None);
}

#[test]
fn env_checks_overlay_the_top_level_checks() {
    let spec = load().spec;
    assert_eq!(
        spec.checks_for("prod").smoke,
        Some(SmokeCheck {
            command: "./smoke.sh --full".into(),
            timeout: Duration::from_secs(120),
        })
    );
    let base = Some(SmokeCheck {
        command: "./smoke.sh $DAYTWO_SMOKE_URL".into(),
        timeout: DEFAULT_SMOKE_TIMEOUT,
    });
    assert_eq!(spec.checks_for("qa").smoke, base, "no overlay: top level");
    assert_eq!(
        spec.checks_for("dev").smoke,
        base,
        "undeclared dev: top level"
    );
}

#[test]
fn smoke_commands_keep_runtime_variables_for_the_shell() {
    let text = "[app]\nname = \"a\"\n[process.web]\ncommand = \"x\"\n[checks]\nsmoke = \"curl ${DAYTWO_SMOKE_URL}/healthz\"\n";
    let spec = parse_str(text, Path::new("/a/daytwo.toml"), &|_| None)
        .unwrap()
        .spec;
    assert_eq!(
        spec.checks_for("dev").smoke.as_ref().unwrap().command,
        "curl ${DAYTWO_SMOKE_URL}/healthz"
    );
}

#[test]
fn the_spec_with_build_and_checks_round_trips_through_json() {
    let spec = load().spec;
    let json = serde_json::to_string(&spec).unwrap();
    let back: daytwo_spec::Spec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
}
