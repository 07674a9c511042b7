//! `up`, `ps`, `status`, `logs`, `down` against the real daemon and replicas.

use crate::app::{Project, home, web_spec};
use daytwo_testkit::{eventually, free_port, pid_alive};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `GET path` on 127.0.0.1:port; the body of a 200 answer.
pub fn http_get(port: u16, path: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    if !response.starts_with("HTTP/1.0 200") && !response.starts_with("HTTP/1.1 200") {
        return Err(response);
    }
    Ok(response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default())
}

#[test]
fn up_detach_runs_replicas_that_become_healthy_and_down_stops_them() {
    let project = Project::new(&web_spec(free_port()));
    let home = home();
    let spec = project.spec_arg();

    let up = home
        .run(&["up", "--spec", &spec, "--env", "dev", "--detach", "--json"])
        .success();
    let started = up.json();
    assert_eq!(started["replicas"].as_array().unwrap().len(), 3);

    // The daemon runs in the background with its pid file.
    let daemon = home.daemon_pid().expect("pid file written");
    assert!(pid_alive(daemon));

    let replicas = eventually("all replicas healthy", Duration::from_secs(20), || {
        let ps = home.run(&["ps", "--json"]).success().json();
        let list = ps.as_array().unwrap().clone();
        if list.len() == 3 && list.iter().all(|r| r["state"] == "healthy") {
            Ok(list)
        } else {
            Err(format!("{ps:#}"))
        }
    });
    let web: Vec<_> = replicas.iter().filter(|r| r["process"] == "web").collect();
    assert_eq!(web.len(), 2);
    let mut ports = Vec::new();
    for replica in &replicas {
        for field in [
            "env",
            "process",
            "replica",
            "pid",
            "state",
            "restarts",
            "rss_bytes",
            "cpu_percent",
            "release",
        ] {
            assert!(!replica[field].is_null(), "{field} missing in {replica:#}");
        }
        assert_eq!(replica["env"], "dev");
        assert_eq!(replica["release"], "working-tree");
        assert_eq!(replica["restarts"], 0);
        assert!(pid_alive(replica["pid"].as_u64().unwrap() as u32));
        if replica["process"] == "web" {
            ports.push(replica["port"].as_u64().unwrap() as u16);
        } else {
            assert!(
                replica["port"].is_null(),
                "a worker has no port: {replica:#}"
            );
        }
    }
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 2, "each web replica gets its own $PORT");

    // Each replica sees its identity and the spec's environment.
    let whoami: serde_json::Value =
        serde_json::from_str(&http_get(ports[0], "/whoami").unwrap()).unwrap();
    assert_eq!(whoami["DAYTWO_ENV"], "dev");
    assert_eq!(whoami["DAYTWO_RELEASE"], "working-tree");
    assert_eq!(whoami["GREETING"], "hi");
    assert!(
        whoami["DAYTWO_REPLICA"]
            .as_str()
            .unwrap()
            .starts_with("web.")
    );

    let status = home.run(&["status", "--json"]).success().json();
    assert_eq!(status["daemon"]["pid"], daemon);
    assert!(status["daemon"]["version"].is_string());
    let env = &status["envs"][0];
    assert_eq!(env["name"], "dev");
    assert_eq!(env["release"]["version"], "working-tree");
    assert!(env["release"]["digest"].is_null());
    assert!(env["listen"].as_str().unwrap().starts_with("127.0.0.1:"));

    // stdout and stderr of every replica are captured.
    let logs = eventually("startup lines in logs", Duration::from_secs(10), || {
        let output = home
            .run(&["logs", "--env", "dev", "--process", "web", "--json"])
            .success();
        let lines: Vec<serde_json::Value> = output
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let listening = lines
            .iter()
            .filter(|l| l["line"].as_str().unwrap().starts_with("listening on"))
            .count();
        let stderr = lines.iter().filter(|l| l["stream"] == "stderr").count();
        if listening == 2 && stderr == 2 {
            Ok(lines)
        } else {
            Err(output.stdout)
        }
    });
    assert!(logs.iter().all(|l| l["process"] == "web"));
    let human = home
        .run(&["logs", "--env", "dev", "--process", "worker", "--tail", "1"])
        .success();
    assert_eq!(human.stdout.lines().count(), 1, "{human:#?}");
    assert!(human.stdout.contains("dev/worker.1 | tick"), "{human:#?}");

    let pids: Vec<u32> = replicas
        .iter()
        .map(|r| r["pid"].as_u64().unwrap() as u32)
        .collect();
    let down = home.run(&["down", "--env", "dev", "--json"]).success();
    assert_eq!(down.json()[0]["env"], "dev");
    for pid in pids {
        assert!(!pid_alive(pid), "replica {pid} still alive after down");
    }
    let ps = home.run(&["ps", "--json"]).success().json();
    assert_eq!(ps.as_array().unwrap().len(), 0, "{ps:#}");
}

#[test]
fn concurrent_commands_start_exactly_one_daemon() {
    let home = home();
    let children: Vec<_> = (0..4)
        .map(|_| {
            home.command(&["status", "--json"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut pids = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:#?}");
        let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        pids.push(status["daemon"]["pid"].as_u64().unwrap());
    }
    pids.dedup();
    assert_eq!(pids.len(), 1, "several daemons answered: {pids:?}");
}

#[test]
fn up_with_unknown_env_names_the_declared_ones() {
    let project = Project::new(&web_spec(free_port()));
    let home = home();
    let output = home.run(&[
        "up",
        "--spec",
        &project.spec_arg(),
        "--env",
        "dve",
        "--detach",
    ]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    assert!(output.stderr.contains("dev"), "{output:#?}");
    assert!(
        home.daemon_pid().is_none(),
        "no daemon needed to reject a bad env"
    );
}
