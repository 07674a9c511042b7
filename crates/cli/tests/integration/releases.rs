//! `keys`, `build`, `import`, `releases` through the CLI.

use crate::app::{Project, home, web_spec};
use daytwo_testkit::free_port;
use std::os::unix::fs::PermissionsExt;

fn buildable_spec() -> String {
    format!(
        "{}\n[build]\nartifacts = [\"app.py\"]\n",
        web_spec(free_port())
    )
}

#[test]
fn build_without_a_key_says_how_to_make_one() {
    let project = Project::new(&buildable_spec());
    let home = home();
    let output = home.run(&["build", "--no-import", "--spec", &project.spec_arg()]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    assert!(
        output.stderr.contains("daytwo keys generate"),
        "{output:#?}"
    );
}

#[test]
fn build_is_reproducible_signed_and_imported() {
    let project = Project::new(&buildable_spec());
    let home = home();
    let keys = home.run(&["keys", "generate", "--json"]).success().json();
    let private = std::path::PathBuf::from(keys["private_key"].as_str().unwrap());
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "private key must be owner-only");
    assert_eq!(keys["trusted_by"], serde_json::json!(["dev"]));

    let spec = project.spec_arg();
    let first = home
        .run(&[
            "build",
            "--no-import",
            "--version",
            "1.0.0",
            "--json",
            "--spec",
            &spec,
        ])
        .success()
        .json();
    let digest = first["digest"].as_str().unwrap().to_string();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{first:#}"
    );
    assert_eq!(first["version"], "1.0.0");
    assert!(std::path::Path::new(first["path"].as_str().unwrap()).is_file());

    // Same inputs, same digest (the version is a label, not content).
    let again = home
        .run(&[
            "build",
            "--no-import",
            "--version",
            "1.0.1",
            "--json",
            "--spec",
            &spec,
        ])
        .success()
        .json();
    assert_eq!(again["digest"], digest.as_str());

    // Human output: digest on the first line, the file on the second.
    std::fs::write(project.path().join("app.py"), "print('changed')\n").unwrap();
    let human = home
        .run(&["build", "--version", "2.0.0", "--spec", &spec])
        .success();
    let mut lines = human.stdout.lines();
    let changed = lines.next().unwrap();
    assert!(
        changed.starts_with("sha256:") && changed != digest,
        "{human:#?}"
    );
    assert!(lines.next().unwrap().ends_with(".tar.zst"), "{human:#?}");

    // Imported by build; the first bundle imported by hand.
    home.run(&["import", first["path"].as_str().unwrap()])
        .success();
    let releases = home.run(&["releases", "--json"]).success().json();
    let versions: Vec<&str> = releases
        .as_array()
        .unwrap()
        .iter()
        .map(|release| release["version"].as_str().unwrap())
        .collect();
    assert!(
        versions.contains(&"1.0.0") && versions.contains(&"2.0.0"),
        "{releases:#}"
    );
}

#[test]
fn import_refuses_a_bundle_signed_by_an_untrusted_key() {
    let project = Project::new(&buildable_spec());
    let builder = home();
    builder
        .run(&["keys", "generate", "--trust", "qa"])
        .success();
    let built = builder
        .run(&[
            "build",
            "--no-import",
            "--json",
            "--spec",
            &project.spec_arg(),
        ])
        .success()
        .json();
    // Another machine that never trusted the builder's key.
    let other = home();
    other.run(&["keys", "generate"]).success();
    let output = other.run(&["import", built["path"].as_str().unwrap()]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    assert!(output.stderr.contains("trust"), "{output:#?}");
    let releases = other.run(&["releases", "--json"]).success().json();
    assert_eq!(releases.as_array().unwrap().len(), 0);
}
