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

/// The canary contract through the CLI: `deploy --strategy canary` of a
/// release that leaks exits non-zero, and history names the guard.
#[test]
fn a_leaking_canary_exits_non_zero_and_history_names_the_guard() {
    let listen = free_port();
    let spec = |leak: u32| {
        format!(
            r#"{base}
[build]
artifacts = ["app.py", "leak.py"]

[rollout]
steps = [50, 100]
step_duration = "30s"

[rollout.guards]
latency = false
analysis_interval = "1s"
min_samples = 5
"#,
            base = web_spec(listen)
                .replace(
                    "command = \"python3 app.py\"",
                    "command = \"python3 leak.py\""
                )
                .replace(
                    "environment = { GREETING = \"hi\" }",
                    &format!("environment = {{ GREETING = \"hi\", LEAK = \"{leak}\" }}")
                ),
        )
    };
    let project = Project::new(&spec(0));
    // The app, keeping LEAK bytes per request it answers.
    std::fs::write(
        project.path().join("leak.py"),
        "import os\nKEPT = []\nLEAK = int(os.environ['LEAK'])\n\
         import http.server\nclass H(http.server.BaseHTTPRequestHandler):\n\
         \x20   def do_GET(self):\n\
         \x20       if LEAK and self.path != '/healthz': KEPT.append(b'x' * LEAK)\n\
         \x20       self.send_response(200); self.send_header('Content-Length', '2'); self.end_headers(); self.wfile.write(b'ok')\n\
         \x20   def log_message(self, *args): pass\n\
         http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n",
    )
    .unwrap();
    let spec_arg = project.spec_arg();
    let home = home();
    home.run(&["keys", "generate"]).success();
    home.run(&["build", "--version", "1.0.0", "--spec", &spec_arg])
        .success();
    std::fs::write(project.spec(), spec(128 * 1024)).unwrap();
    home.run(&["build", "--version", "2.0.0", "--spec", &spec_arg])
        .success();
    home.run(&["deploy", "1.0.0", "--env", "dev"]).success();

    // Users, while the canary runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut failed = 0_u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if http_get(listen, "/").is_err() {
                    failed += 1;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            failed
        })
    };
    let canary = home.run(&["deploy", "2.0.0", "--env", "dev", "--strategy", "canary"]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let failed = load.join().unwrap();
    assert_eq!(canary.code, Some(1), "{canary:#?}");
    assert_eq!(failed, 0, "requests failed during the canary");

    let history = home
        .run(&["history", "--env", "dev", "--json"])
        .success()
        .json();
    let last = &history[0];
    assert_eq!(last["to"]["version"], "2.0.0", "{history:#}");
    assert_eq!(last["strategy"], "canary", "{last:#}");
    assert_eq!(last["outcome"], "rolled_back", "{last:#}");
    assert_eq!(last["failed_guard"], "memory_growth", "{last:#}");
    let status = home.run(&["status", "--json"]).success().json();
    assert_eq!(status["envs"][0]["release"]["version"], "1.0.0");

    let events = home
        .run(&["events", "--env", "dev", "--json"])
        .success()
        .json();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"canary.guard_failed"), "{kinds:?}");
    assert!(events[0]["time"].is_string() && events[0]["message"].is_string());
}
