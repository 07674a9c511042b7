//! `deploy`, `rollback`, `history` and `status` through the CLI: two built
//! releases of the python app, served through the env's listener.

use crate::app::{Project, home, web_spec};
use crate::lifecycle::http_get;
use daytwo_testkit::{eventually, free_port};
use std::time::Duration;

#[test]
fn deploy_switches_the_env_and_rollback_goes_back() {
    let listen = free_port();
    let project = Project::new(&format!(
        "{}\n[build]\nartifacts = [\"app.py\"]\n",
        web_spec(listen)
    ));
    let spec = project.spec_arg();
    let home = home();
    home.run(&["keys", "generate"]).success();
    let v1 = home
        .run(&["build", "--version", "1.0.0", "--json", "--spec", &spec])
        .success()
        .json();
    // v2 differs in content, so it has its own digest.
    let app = std::fs::read_to_string(project.path().join("app.py")).unwrap();
    std::fs::write(project.path().join("app.py"), format!("{app}\n# v2\n")).unwrap();
    let v2 = home
        .run(&["build", "--version", "2.0.0", "--json", "--spec", &spec])
        .success()
        .json();
    assert_ne!(v1["digest"], v2["digest"]);

    let release_at_listener = || {
        eventually("the listener to answer", Duration::from_secs(20), || {
            let body = http_get(listen, "/whoami")?;
            let whoami: serde_json::Value =
                serde_json::from_str(&body).map_err(|e| e.to_string())?;
            // A deployed replica's DAYTWO_RELEASE is its release digest.
            Ok(whoami["DAYTWO_RELEASE"]
                .as_str()
                .unwrap_or_default()
                .to_string())
        })
    };

    home.run(&["deploy", "1.0.0", "--env", "dev"]).success();
    assert_eq!(release_at_listener(), v1["digest"].as_str().unwrap());
    let deployed = home
        .run(&[
            "deploy",
            "2.0.0",
            "--env",
            "dev",
            "--strategy",
            "blue-green",
        ])
        .success();
    assert!(deployed.stdout.contains("1.0.0 → 2.0.0"), "{deployed:#?}");
    assert_eq!(release_at_listener(), v2["digest"].as_str().unwrap());

    let status = home.run(&["status", "--json"]).success().json();
    let env = &status["envs"][0];
    assert_eq!(env["release"]["version"], "2.0.0");
    assert_eq!(env["release"]["digest"], v2["digest"]);

    home.run(&["rollback", "--env", "dev"]).success();
    assert_eq!(release_at_listener(), v1["digest"].as_str().unwrap());

    let history = home
        .run(&["history", "--env", "dev", "--json"])
        .success()
        .json();
    let kinds: Vec<(&str, &str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|record| {
            (
                record["kind"].as_str().unwrap(),
                record["to"]["version"].as_str().unwrap(),
                record["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("rollback", "1.0.0", "succeeded"),
            ("deploy", "2.0.0", "succeeded"),
            ("deploy", "1.0.0", "succeeded"),
        ]
    );
    let releases = home.run(&["releases", "--json"]).success().json();
    let v1_row = releases
        .as_array()
        .unwrap()
        .iter()
        .find(|release| release["version"] == "1.0.0")
        .unwrap();
    assert_eq!(v1_row["deployed_to"], serde_json::json!(["dev"]));
}

#[test]
fn deploy_of_an_unknown_release_fails_with_a_hint() {
    let home = home();
    let output = home.run(&["deploy", "9.9.9", "--env", "dev"]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    assert!(output.stderr.contains("9.9.9"), "{output:#?}");
}
