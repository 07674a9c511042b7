//! Graceful stop: the stop signal reaches the whole process group; a replica
//! that ignores it is SIGKILLed after `stop_timeout`.

use crate::support::*;
use daytwo_types::ReplicaState;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_sends_the_stop_signal_to_the_whole_process_group() {
    let h = Harness::new();
    let worker = process(
        "worker",
        "sleep 600 & echo child $!; trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.05; done",
    );
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);
    let records = h.wait_log_line(&k, "child ").await;
    let child: u32 = records
        .iter()
        .find_map(|r| r.line.strip_prefix("child "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(is_alive(child));

    let stopped = h.down("test").await;
    assert_eq!(stopped.len(), 1);
    assert_eq!(stopped[0].state, ReplicaState::Exited);
    assert_eq!(stopped[0].last_exit, Some(0));
    assert_eq!(stopped[0].pid, None);
    assert!(
        !is_alive(child),
        "the group's other process got the signal too"
    );
    h.wait_log_line(&k, "got TERM").await;
    h.wait_event(&k, "replica.stopped").await;
    let kinds: Vec<String> = h
        .event_kinds(&k)
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert!(kinds.contains(&"replica.stopped".to_owned()), "{kinds:?}");
    assert!(!kinds.contains(&"replica.killed".to_owned()), "{kinds:?}");
    assert!(h.engine.replicas(Some("test")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_ignoring_the_stop_signal_is_killed_after_the_timeout() {
    let h = Harness::new();
    let mut worker = process(
        "worker",
        "trap '' TERM; echo ready; while true; do sleep 0.05; done",
    );
    worker.stop_timeout = Duration::from_millis(400);
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);
    h.wait_log_line(&k, "ready").await;
    let pid = h.replica(&k).unwrap().pid.unwrap();

    let asked = Instant::now();
    let stopped = h.down("test").await;
    assert!(asked.elapsed() >= Duration::from_millis(400));
    assert_eq!(stopped[0].last_exit, Some(137));
    assert!(!is_alive(pid));
    let message = h.wait_event(&k, "replica.killed").await;
    assert!(message.contains("SIGKILL"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_stop_signal_is_used() {
    let h = Harness::new();
    let mut worker = process(
        "worker",
        "trap 'echo got INT; exit 0' INT; echo ready; while true; do sleep 0.05; done",
    );
    worker.stop_signal = "SIGINT".to_owned();
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);
    h.wait_log_line(&k, "ready").await;
    let stopped = h.down("test").await;
    assert_eq!(stopped[0].last_exit, Some(0));
    h.wait_log_line(&k, "got INT").await;
}

/// What the hook saw of a replica: state, pid, whether the pid was alive.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(ReplicaState, Option<u32>, bool)>>>;

/// Records what the pre-stop hook saw: the replica still alive and already
/// `stopping` (out of routing) before any signal was sent.
struct RecordingHook {
    engine: std::sync::Mutex<Option<daytwo_engine::Engine>>,
    seen: Seen,
}

impl daytwo_engine::PreStop for RecordingHook {
    fn before_stop(
        &self,
        key: daytwo_types::ReplicaKey,
        _timeout: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>> {
        let engine = self.engine.lock().unwrap().clone();
        let seen = self.seen.clone();
        Box::pin(async move {
            let status = engine.and_then(|engine| {
                engine
                    .replicas(Some(&key.env))
                    .into_iter()
                    .find(|s| s.key == key)
            });
            if let Some(status) = status {
                let alive = status.pid.is_some_and(is_alive);
                seen.lock().unwrap().push((status.state, status.pid, alive));
            }
            // A drain takes a while; the signal must wait for it.
            tokio::time::sleep(Duration::from_millis(300)).await;
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pre_stop_hook_runs_before_the_stop_signal() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let hook = std::sync::Arc::new(RecordingHook {
        engine: std::sync::Mutex::new(None),
        seen: seen.clone(),
    });
    let hook_for_config = hook.clone();
    let h = Harness::with_config(move |config| {
        config.pre_stop = Some(daytwo_engine::PreStopHook(hook_for_config));
    });
    *hook.engine.lock().unwrap() = Some(h.engine.clone());
    let mut worker = process("worker", "exec sleep 600");
    worker.replicas = 2;
    h.engine
        .up(h.spec(vec![worker.clone()]), RELEASE.to_owned())
        .await
        .unwrap();
    h.wait_state(&key("worker", 2), ReplicaState::Healthy).await;

    // Scale down: the engine stops worker.2 by itself, hook first.
    worker.replicas = 1;
    let started = Instant::now();
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the stop waited for the hook"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let (state, pid, alive) = seen[0];
    assert_eq!(state, ReplicaState::Stopping);
    assert!(
        pid.is_some() && alive,
        "no signal before the hook: {seen:?}"
    );
    h.down("test").await;
}
