//! `check`, `init`, `env diff`: spec handling through the CLI.

use crate::app::{Project, home, web_spec};
use daytwo_testkit::free_port;

#[test]
fn check_accepts_the_contract_spec() {
    let project = Project::new(
        r#"
[app]
name = "hello"

[process.web]
command = "python3 app.py"      # run in the spec file's directory
http = true                      # serves HTTP on $PORT; the env's listener routes to it
replicas = 2
health = { path = "/healthz", interval = "1s", timeout = "1s" }
memory_limit = "256MiB"
stop_timeout = "5s"
environment = { GREETING = "hi" }   # env vars of the process

[process.worker]
command = "python3 worker.py"

[env.dev]
listen = "127.0.0.1:18080"

[env.prod]
listen = "127.0.0.1:18083"

[env.prod.process.web]
replicas = 3
"#,
    );
    let home = home();
    let output = home
        .run(&["check", "--spec", &project.spec_arg()])
        .success();
    assert!(output.stdout.contains("is valid"), "{output:#?}");
}

#[test]
fn check_reports_file_line_key_and_hint_and_exits_1() {
    let project = Project::new(
        "[app]\nname = \"hello\"\n\n[process.web]\ncommand = \"x\"\nreplicas = 2\nstop_timout = \"5s\"\n",
    );
    let home = home();
    let output = home.run(&["check", "--spec", &project.spec_arg()]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    assert!(output.stderr.contains("stop_timout"), "{output:#?}");
    assert!(
        output.stderr.contains("stop_timeout"),
        "did-you-mean missing: {output:#?}"
    );
    assert!(
        output.stderr.contains("daytwo.toml:7:"),
        "no file:line: {output:#?}"
    );

    let json = home.run(&["check", "--json", "--spec", &project.spec_arg()]);
    assert_eq!(json.code, Some(1));
    let value = json.json();
    assert_eq!(value["valid"], false);
    let diagnostic = &value["diagnostics"][0];
    assert_eq!(diagnostic["line"], 7);
    assert_eq!(diagnostic["column"], 1);
    assert_eq!(diagnostic["field"], "process.web.stop_timout");
    assert!(
        diagnostic["hint"]
            .as_str()
            .unwrap()
            .contains("stop_timeout")
    );
    assert!(diagnostic["code"].as_str().is_some());
}

#[test]
fn commands_find_the_spec_in_a_parent_directory() {
    let project = Project::new(&web_spec(free_port()));
    let nested = project.path().join("src/deep");
    std::fs::create_dir_all(&nested).unwrap();
    let home = home();
    let output = home
        .command(&["check"])
        .current_dir(&nested)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:#?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&project.spec().display().to_string()),
        "{stdout}"
    );
}

#[test]
fn init_writes_a_starter_spec_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    let home = home();
    let output = home
        .command(&["init", "--name", "shop"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:#?}");
    let spec = dir.path().join("daytwo.toml");
    home.run(&["check", "--spec", spec.to_str().unwrap()])
        .success();
    // A second init refuses to overwrite.
    let again = home
        .command(&["init"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[test]
fn init_converts_a_procfile_with_web_as_the_http_process() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Procfile"),
        "# comment\nweb: python3 app.py --port $PORT\nworker: python3 worker.py\n",
    )
    .unwrap();
    let home = home();
    let output = home
        .command(&["init", "--procfile", "Procfile", "--name", "demo"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:#?}");
    let spec = dir.path().join("daytwo.toml");
    let check = home
        .run(&["check", "--json", "--spec", spec.to_str().unwrap()])
        .success();
    let value = check.json();
    assert_eq!(value["app"], "demo");
    let processes = value["processes"].as_array().unwrap();
    assert!(processes.iter().any(|p| p == "web") && processes.iter().any(|p| p == "worker"));
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.contains("http = true"), "{text}");
    assert!(text.contains("$PORT"), "{text}");
}

#[test]
fn env_diff_prints_effective_differences() {
    let project = Project::new(
        r#"
[app]
name = "hello"

[process.web]
command = "python3 app.py"
http = true
replicas = 2
environment = { GREETING = "hi" }

[env.qa]
listen = "127.0.0.1:18081"

[env.prod]
listen = "127.0.0.1:18083"

[env.prod.process.web]
replicas = 3
environment = { GREETING = "hello" }
"#,
    );
    let home = home();
    let output = home
        .run(&[
            "env",
            "diff",
            "qa",
            "prod",
            "--json",
            "--spec",
            &project.spec_arg(),
        ])
        .success();
    let value = output.json();
    let differences = value["differences"].as_array().unwrap();
    let find = |key: &str| {
        differences
            .iter()
            .find(|d| d["key"] == key)
            .unwrap_or_else(|| panic!("no difference {key} in {value:#}"))
    };
    assert_eq!(find("listen")["left"], "127.0.0.1:18081");
    assert_eq!(find("listen")["right"], "127.0.0.1:18083");
    assert_eq!(find("process.web.replicas")["left"], "2");
    assert_eq!(find("process.web.replicas")["right"], "3");
    assert_eq!(find("process.web.environment.GREETING")["right"], "hello");
    assert!(
        differences
            .iter()
            .all(|d| d["key"] != "process.web.command")
    );

    let human = home
        .run(&["env", "diff", "qa", "prod", "--spec", &project.spec_arg()])
        .success();
    assert!(human.stdout.contains("process.web.replicas"), "{human:#?}");

    let unknown = home.run(&["env", "diff", "qa", "prd", "--spec", &project.spec_arg()]);
    assert_eq!(unknown.code, Some(1));
    assert!(
        unknown.stderr.contains("prod"),
        "did-you-mean missing: {unknown:#?}"
    );
}

#[test]
fn the_example_app_spec_is_valid_with_four_envs() {
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/shop/daytwo.toml"
    );
    let home = home();
    let value = home
        .run(&["check", "--json", "--spec", spec])
        .success()
        .json();
    assert_eq!(value["app"], "shop");
    assert_eq!(
        value["envs"],
        serde_json::json!(["dev", "prod", "qa", "staging"])
    );
}
