//! Crashed replicas are restarted with exponential backoff; repeated crashes
//! mark a crash loop.

use crate::support::*;
use daytwo_types::ReplicaState;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashed_replica_is_restarted_with_growing_backoff() {
    let h = Harness::new();
    let mut worker = process("worker", "echo starting; exit 3");
    worker.restart.backoff = Duration::from_millis(100);
    worker.restart.max_backoff = Duration::from_secs(2);
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);

    let starts = eventually("four starts", TIMEOUT, || async {
        let starts = h.event_times(&k, "replica.started");
        if starts.len() >= 4 {
            Ok(starts)
        } else {
            Err(format!("{starts:?}"))
        }
    })
    .await;
    let gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    // Backoff 100ms, 200ms, 400ms: each wait at least its backoff, and growing.
    assert!(gaps[0] >= Duration::from_millis(100), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(200), "{gaps:?}");
    assert!(gaps[2] >= Duration::from_millis(400), "{gaps:?}");
    assert!(gaps[2] > gaps[0], "{gaps:?}");

    let status = h.replica(&k).unwrap();
    assert!(status.restarts >= 3, "{status:?}");
    assert_eq!(status.last_exit, Some(3));
    let events = h.event_kinds(&k);
    assert!(
        events
            .iter()
            .any(|(kind, message)| kind == "replica.crashed" && message.contains("exit code 3"))
    );
    assert!(events.iter().any(|(kind, _)| kind == "replica.restarting"));
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_crashes_mark_a_crash_loop_that_keeps_retrying() {
    let h = Harness::new();
    let mut worker = process("worker", "exit 1");
    worker.restart.backoff = Duration::from_millis(50);
    worker.restart.max_backoff = Duration::from_millis(1500);
    worker.restart.crashloop_threshold = 3;
    worker.restart.crashloop_window = Duration::from_secs(30);
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);

    h.wait_state(&k, ReplicaState::Crashloop).await;
    let message = h.wait_event(&k, "replica.crashloop").await;
    assert!(message.contains("3 times"), "{message}");
    // Still retried, at the maximum backoff.
    let started_in_loop = h.event_times(&k, "replica.started").len();
    let starts = eventually("a restart after the crash loop", TIMEOUT, || async {
        let starts = h.event_times(&k, "replica.started");
        if starts.len() > started_in_loop {
            Ok(starts)
        } else {
            Err(format!("{:?}", h.replica(&k)))
        }
    })
    .await;
    let last_gap = starts[starts.len() - 1] - starts[starts.len() - 2];
    assert!(last_gap >= Duration::from_millis(1500), "{last_gap:?}");
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_from_outside_is_restarted_on_the_same_port() {
    let h = Harness::new();
    h.write_app_file("http_app.py", HTTP_APP);
    h.engine
        .up(
            h.spec(vec![http_process("web", 1, None)]),
            RELEASE.to_owned(),
        )
        .await
        .unwrap();
    let k = key("web", 1);
    let before = h.wait_state(&k, ReplicaState::Healthy).await;
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(before.pid.unwrap() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();

    let after = eventually("a new healthy process", TIMEOUT, || async {
        match h.replica(&k) {
            Some(s) if s.pid != before.pid && s.state == ReplicaState::Healthy => Ok(s),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(after.port, before.port);
    assert_eq!(after.restarts, 1);
    assert_eq!(after.last_exit, Some(137));
    h.down("test").await;
}
