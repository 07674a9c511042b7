//! A daemon killed with SIGKILL loses nothing: the next one re-adopts the
//! replicas that are still alive, without duplicates, orphans or restarts.

use crate::app::{Project, home, web_spec};
use daytwo_testkit::{eventually, free_port, pid_alive};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::time::Duration;

fn healthy_pids(home: &daytwo_testkit::DaytwoHome, count: usize) -> Vec<(String, u64, u64)> {
    eventually("replicas healthy", Duration::from_secs(20), || {
        let ps = home.run(&["ps", "--json"]).success().json();
        let list = ps.as_array().unwrap();
        if list.len() == count && list.iter().all(|r| r["state"] == "healthy") {
            let mut pids: Vec<(String, u64, u64)> = list
                .iter()
                .map(|r| {
                    (
                        format!("{}.{}", r["process"].as_str().unwrap(), r["replica"]),
                        r["pid"].as_u64().unwrap(),
                        r["restarts"].as_u64().unwrap(),
                    )
                })
                .collect();
            pids.sort();
            Ok(pids)
        } else {
            Err(format!("{ps:#}"))
        }
    })
}

#[test]
fn daemon_sigkill_then_restart_readopts_replicas_without_restarting_them() {
    let project = Project::new(&web_spec(free_port()));
    let home = home();
    home.run(&["up", "--spec", &project.spec_arg(), "--detach"])
        .success();
    let before = healthy_pids(&home, 3);

    let daemon = home.daemon_pid().unwrap();
    kill(Pid::from_raw(daemon as i32), Signal::SIGKILL).unwrap();
    eventually("old daemon gone", Duration::from_secs(5), || {
        if pid_alive(daemon) {
            Err("alive".into())
        } else {
            Ok(())
        }
    });
    for (_, pid, _) in &before {
        assert!(pid_alive(*pid as u32), "replica {pid} died with the daemon");
    }

    // Any command starts a new daemon, which re-adopts.
    let after = healthy_pids(&home, 3);
    assert_ne!(home.daemon_pid().unwrap(), daemon);
    assert_eq!(before, after, "replicas were restarted or duplicated");

    // The re-adopted replicas are still supervised: a crash is restarted.
    let (_, victim, _) = after[0].clone();
    kill(Pid::from_raw(victim as i32), Signal::SIGKILL).unwrap();
    eventually("crashed replica restarted", Duration::from_secs(20), || {
        let ps = home.run(&["ps", "--json"]).success().json();
        let list = ps.as_array().unwrap();
        let restarted = list
            .iter()
            .any(|r| r["restarts"] == 1 && r["state"] == "healthy" && r["pid"] != victim);
        if restarted && list.len() == 3 {
            Ok(())
        } else {
            Err(format!("{ps:#}"))
        }
    });
}
