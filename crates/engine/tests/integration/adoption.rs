//! A new engine (after a daemon restart) adopts the replicas of the old one:
//! same processes, no restart, no duplicate; dead ones are restarted.

use crate::support::*;
use daytwo_engine::EngineEvent;
use daytwo_types::ReplicaState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_outlive_their_engine_and_are_adopted_without_restart() {
    let h = Harness::new();
    h.write_app_file("http_app.py", HTTP_APP);
    let spec = h.spec(vec![
        http_process(
            "web",
            2,
            Some(daytwo_spec::HealthProbe::Http {
                path: "/healthz".to_owned(),
            }),
        ),
        process("worker", "echo worker up; exec sleep 600"),
    ]);
    h.engine.up(spec.clone(), RELEASE.to_owned()).await.unwrap();
    h.wait_state(&key("web", 1), ReplicaState::Healthy).await;
    h.wait_state(&key("web", 2), ReplicaState::Healthy).await;
    let before = h.engine.replicas(Some("test"));
    assert_eq!(before.len(), 3);

    // The daemon goes away; its replicas do not.
    let h = h.restart_engine().await;
    for status in &before {
        assert!(is_alive(status.pid.unwrap()), "{status:?}");
    }
    assert!(h.engine.replicas(None).is_empty());

    let adopted = h
        .engine
        .adopt(spec.clone(), RELEASE.to_owned(), before.clone())
        .await
        .unwrap();
    assert_eq!(adopted.len(), 3);
    for old in &before {
        let now = adopted.iter().find(|s| s.key == old.key).unwrap();
        assert_eq!(
            (now.pid, now.port, now.restarts),
            (old.pid, old.port, old.restarts)
        );
    }
    let web = h.wait_state(&key("web", 1), ReplicaState::Healthy).await;
    assert_eq!(http_get(web.port.unwrap(), "/healthz").await.0, 200);
    {
        let events = h.events.lock().unwrap();
        let started = events.iter().filter(|seen| {
            matches!(&seen.event, EngineEvent::Event { kind, .. } if kind == "replica.started")
        });
        assert_eq!(started.count(), 0, "nothing was started again");
    }
    h.wait_event(&key("worker", 1), "replica.adopted").await;

    // An adopted replica that dies is noticed and restarted.
    let victim = before.iter().find(|s| s.key == key("web", 2)).unwrap();
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(victim.pid.unwrap() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let replaced = eventually("web.2 restarted", TIMEOUT, || async {
        match h.replica(&key("web", 2)) {
            Some(s)
                if s.pid.is_some() && s.pid != victim.pid && s.state == ReplicaState::Healthy =>
            {
                Ok(s)
            }
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(replaced.restarts, 1);
    assert_eq!(replaced.last_exit, Some(137));
    assert_eq!(replaced.port, victim.port);

    // Still exactly one process per replica.
    let stopped = h.down("test").await;
    assert_eq!(stopped.len(), 3);
    for status in before.iter().chain([&replaced]) {
        assert!(!is_alive(status.pid.unwrap()), "{status:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_that_died_while_no_engine_ran_are_restarted_on_adoption() {
    let h = Harness::new();
    let spec = h.spec(vec![process("worker", "exec sleep 600")]);
    h.engine.up(spec.clone(), RELEASE.to_owned()).await.unwrap();
    let before = h.engine.replicas(Some("test"));
    let h = h.restart_engine().await;
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(before[0].pid.unwrap() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    eventually("the replica to die", TIMEOUT, || async {
        if is_alive(before[0].pid.unwrap()) {
            Err("alive".to_owned())
        } else {
            Ok(())
        }
    })
    .await;

    let adopted = h
        .engine
        .adopt(spec, RELEASE.to_owned(), before.clone())
        .await
        .unwrap();
    assert_eq!(adopted.len(), 1);
    assert_ne!(adopted[0].pid, before[0].pid);
    assert!(is_alive(adopted[0].pid.unwrap()));
    assert_eq!(adopted[0].restarts, 1);
    h.down("test").await;
}
