//! `memory_limit` enforcement: a cgroup where the host allows one, otherwise
//! the RSS watchdog. Either way a replica growing past its limit is killed and
//! a `replica.memory_limit` event says so.

use crate::support::*;
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

/// Grows by 4 MiB every 20 ms up to 400 MiB.
const GROWER: &str = "exec python3 -c 'import time\nchunks = []\nprint(\"growing\", flush=True)\nfor _ in range(100):\n    chunks.append(b\"x\" * (4 * 1024 * 1024))\n    time.sleep(0.02)\ntime.sleep(600)'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_growing_past_its_memory_limit_is_killed_and_reported() {
    let h = Harness::new();
    let enforcement = h.engine.memory_enforcement();
    assert!(
        enforcement.starts_with("cgroup v") || enforcement.starts_with("rss watchdog"),
        "{enforcement}"
    );
    let mut worker = process("worker", GROWER);
    worker.memory_limit = Some(48 * MIB);
    worker.restart.backoff = Duration::from_secs(5);
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);

    let message = h.wait_event(&k, "replica.memory_limit").await;
    assert!(message.contains(&(48 * MIB).to_string()), "{message}");
    let by = if enforcement.starts_with("cgroup") {
        "by the kernel"
    } else {
        "by the rss watchdog"
    };
    assert!(message.contains(by), "{message} ({enforcement})");
    let status = eventually("the kill to be recorded", TIMEOUT, || async {
        match h.replica(&k) {
            Some(s) if s.last_exit.is_some() => Ok(s),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(status.last_exit, Some(137), "{status:?} ({enforcement})");
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_within_its_memory_limit_keeps_running() {
    let h = Harness::new();
    let mut worker = process("worker", "exec sleep 600");
    worker.memory_limit = Some(64 * MIB);
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let k = key("worker", 1);
    let status = h.replica(&k).unwrap();
    assert_eq!(status.restarts, 0);
    assert!(
        !h.event_kinds(&k)
            .iter()
            .any(|(kind, _)| kind == "replica.memory_limit")
    );
    h.down("test").await;
}
